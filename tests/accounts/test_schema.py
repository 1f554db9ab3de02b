"""The account tables, and the alembic revision that creates exactly them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect

import pocketsync.accounts.schema as schema
from pocketsync.serverdb import create_server_engine, metadata

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0002_accounts.py"


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0002_accounts", MIGRATION)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _account_metadata() -> MetaData:
    md = MetaData(naming_convention=dict(metadata.naming_convention))
    for table in metadata.sorted_tables:
        if table.name.startswith("account_"):
            table.to_metadata(md)
    return md


def test_tables_are_prefixed_and_on_shared_metadata() -> None:
    names = {t.name for t in metadata.sorted_tables if t.name.startswith("account_")}
    assert names == set(schema.__all__)
    assert all(getattr(schema, n).metadata is metadata for n in names)


def test_revision_ids() -> None:
    m = _migration()
    assert (m.revision, m.down_revision) == ("0002_accounts", "0001_catalog")


def test_migration_creates_exactly_the_schema(server_url: str) -> None:
    engine: Engine = create_server_engine(server_url)
    try:
        module = _migration()
        with engine.begin() as conn:
            ctx = MigrationContext.configure(conn)
            with Operations.context(ctx):
                module.upgrade()
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(ctx, _account_metadata())
        assert diffs == []
        assert set(inspect(engine).get_table_names()) == set(schema.__all__)
        with engine.begin() as conn:
            ctx = MigrationContext.configure(conn)
            with Operations.context(ctx):
                module.downgrade()
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
