"""Alembic environment for the pocketsync server database.

The URL is taken, in order, from ``-x url=...``, the ``sqlalchemy.url`` set on the
Config by ``server_ref.db.upgrade``, or ``POCKETSYNC_DATABASE_URL``.
"""

from __future__ import annotations

import os

from alembic import context

from pocketsync.serverdb import create_server_engine
from pocketsync.serverdb.tables import metadata

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = (
        url or config.get_main_option("sqlalchemy.url") or os.environ.get("POCKETSYNC_DATABASE_URL")
    )
    if not url:
        raise SystemExit("no database URL: set POCKETSYNC_DATABASE_URL or pass -x url=...")
    return url


def run_migrations() -> None:
    engine = create_server_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
