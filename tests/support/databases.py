"""Throw-away server databases for tests: a SQLite file, or a fresh PostgreSQL schema."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

PG_URL_ENV = "POCKETSYNC_TEST_PG_URL"


def pg_url() -> str | None:
    """The PostgreSQL URL tests may use, or None when it is not configured."""
    return os.environ.get(PG_URL_ENV) or None


@contextlib.contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    """Yield a URL of an empty database on ``backend``; drop it afterwards.

    For PostgreSQL, a new schema is created and the URL's ``search_path`` points at
    it, so several processes (two servers, say) can share one test database.
    """
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'server.db'}"
        return
    base = pg_url()
    if base is None:
        raise RuntimeError(f"{PG_URL_ENV} is not set")
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
