"""Engine factory for the server database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pocketsync.errors import ConfigurationError

__all__ = ["create_server_engine"]


def create_server_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with transactions that mean the same on both backends.

    On SQLite, pysqlite's own transaction handling is switched off and every
    transaction starts with ``BEGIN IMMEDIATE``: the write lock is taken up front, so
    two writers queue on ``busy_timeout`` instead of failing to upgrade a read lock,
    and DDL runs inside the transaction (see the brief's pitfalls). WAL mode lets
    readers proceed while one writer works. Foreign keys are enforced.

    Raises:
        ConfigurationError: ``url`` is not a database URL SQLAlchemy understands.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"not a database URL: {exc}") from exc
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Default to psycopg 3 (the pinned driver) rather than psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
