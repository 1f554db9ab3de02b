"""Revision 0001_catalog creates exactly the catalog tables of ``pocketsync.catalog.schema``."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect

from pocketsync.catalog.schema import CATALOG_TABLES
from pocketsync.serverdb import create_server_engine, metadata
from tests.support.databases import database_url

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0001_catalog.py"
CATALOG = {t.name for t in CATALOG_TABLES}


def load_migration() -> Any:
    spec = importlib.util.spec_from_file_location("migration_0001_catalog", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def only_catalog(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "schema":
        return True
    if type_ == "table":
        return name in CATALOG
    return parent_names.get("table_name") in CATALOG


def only_catalog_objects(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in CATALOG


def test_revision_identity() -> None:
    module = load_migration()
    assert (module.revision, module.down_revision) == ("0001_catalog", None)
    assert {t.name for t in metadata.sorted_tables if t.name.startswith("catalog_")} == CATALOG


def test_upgrade_matches_metadata_and_downgrade_removes_it(backend: str, tmp_path: Path) -> None:
    module = load_migration()
    with database_url(backend, tmp_path) as url:
        engine = create_server_engine(url)
        try:
            with engine.begin() as conn:
                ctx = MigrationContext.configure(conn)
                with Operations.context(ctx):
                    module.upgrade()
            with engine.connect() as conn:
                ctx = MigrationContext.configure(
                    conn,
                    opts={
                        "compare_type": True,
                        "include_name": only_catalog,
                        "include_object": only_catalog_objects,
                    },
                )
                assert compare_metadata(ctx, metadata) == []
                migrated = schema_of(conn)
            with engine.begin() as conn:
                metadata.create_all(conn, tables=list(CATALOG_TABLES))  # no-op: all exist
            with tmp_path_db(backend, tmp_path / "created") as created:
                assert created == migrated  # same names for constraints and indexes too
            with engine.begin() as conn:
                ctx = MigrationContext.configure(conn)
                with Operations.context(ctx):
                    module.downgrade()
            with engine.connect() as conn:
                assert not set(inspect(conn).get_table_names()) & CATALOG
        finally:
            engine.dispose()


def schema_of(conn: Any) -> dict[str, Any]:
    insp = inspect(conn)
    out: dict[str, Any] = {}
    for table in sorted(CATALOG):
        out[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)
            ],
            "pk": insp.get_pk_constraint(table)["name"],
            "fks": sorted(fk["name"] or "" for fk in insp.get_foreign_keys(table)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"])) for i in insp.get_indexes(table)
            ),
        }
    return out


class tmp_path_db:  # lower case: used like a function
    """The catalog schema as ``metadata.create_all`` makes it, in a fresh database."""

    def __init__(self, backend: str, folder: Path) -> None:
        folder.mkdir()
        self._cm = database_url(backend, folder)

    def __enter__(self) -> dict[str, Any]:
        url = self._cm.__enter__()
        self._engine = create_server_engine(url)
        metadata.create_all(self._engine, tables=list(CATALOG_TABLES))
        with self._engine.connect() as conn:
            return schema_of(conn)

    def __exit__(self, *exc: object) -> None:
        self._engine.dispose()
        self._cm.__exit__(None, None, None)


@pytest.mark.parametrize("table", sorted(CATALOG))
def test_tables_are_prefixed(table: str) -> None:
    assert table.startswith("catalog_")
