"""Schema migrations for the server database, run through alembic's Python API.

The revisions live in the repository's ``migrations/`` folder, next to the ``server_ref``
package (so ``pocketsync-server migrate`` works from a fresh clone and from an editable
install); ``POCKETSYNC_MIGRATIONS_DIR`` points elsewhere when the server is installed
without the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from pocketsync.errors import ConfigurationError
from pocketsync.serverdb import create_server_engine

__all__ = ["MigrationStatus", "migration_status", "migrations_dir", "upgrade"]


def migrations_dir() -> Path:
    """The alembic script folder (``migrations/`` beside the ``server_ref`` package).

    Raises:
        ConfigurationError: the folder is not there.
    """
    configured = os.environ.get("POCKETSYNC_MIGRATIONS_DIR")
    folder = (
        Path(configured) if configured else Path(__file__).resolve().parent.parent / "migrations"
    )
    if not (folder / "env.py").is_file():
        raise ConfigurationError(
            f"alembic migrations not found at {folder}; set POCKETSYNC_MIGRATIONS_DIR"
        )
    return folder


def _alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # ConfigParser interpolates '%': URL-encoded characters must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (alembic ``upgrade``)."""
    command.upgrade(_alembic_config(url), revision)


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """The revisions a database is at, and the revisions the code expects."""

    current: frozenset[str]
    heads: frozenset[str]

    @property
    def at_head(self) -> bool:
        return bool(self.heads) and self.current == self.heads


def migration_status(url: str) -> MigrationStatus:
    """Where the database at ``url`` stands against the migration scripts (read-only)."""
    script = ScriptDirectory.from_config(_alembic_config(url))
    engine = create_server_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()
    return MigrationStatus(current=frozenset(current), heads=frozenset(script.get_heads()))
