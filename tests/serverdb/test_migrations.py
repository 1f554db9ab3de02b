"""The alembic revisions build exactly the schema the code declares, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from pocketsync.serverdb import create_server_engine
from pocketsync.serverdb.tables import metadata

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def test_upgrade_head_matches_metadata_and_downgrade_empties(server_url: str) -> None:
    command.upgrade(alembic_config(server_url), "head")
    engine = create_server_engine(server_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), metadata
            )
            tables = set(inspect(conn).get_table_names())
        assert diff == []
        assert set(metadata.tables) <= tables
        command.downgrade(alembic_config(server_url), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
