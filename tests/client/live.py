"""A real ``pocketsync-server`` process per test, over a copy of a prepared data folder.

The template (migrated SQLite database, signing key, administrator, seeded demo catalog of
``PRODUCTS`` products with demo accounts ``demo1..3@example.com``) is made once per test
session with the server's own commands; each test copies it and starts ``serve`` on a free
loopback port.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from client_ref.server_process import ServerProcess, ServerSetup, prepare_server
from pocketsync.client import PocketSyncClient, RetryPolicy

PRODUCTS = 3000
CATEGORIES = 50  # server_ref.demo_catalog: min(50, products // 20)
PRICE_ROWS = 2 * PRODUCTS  # two breaks per product
ALL_ROWS = CATEGORIES + PRODUCTS + PRICE_ROWS
USER = "demo1@example.com"
OTHER_USER = "demo2@example.com"
PASSWORD = "demo-password-1"
ADMIN = "root@example.com"
ADMIN_PASSWORD = "admin pass phrase 7"
FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05, read_timeout_s=10)


@dataclass
class Live:
    setup: ServerSetup
    server: ServerProcess

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def key(self) -> str:
        return self.setup.public_key_hex

    def server_url_db(self) -> str:
        """The server's SQLAlchemy database URL (the default SQLite file)."""
        return f"sqlite:///{self.setup.data_dir / 'server.db'}"

    def client(self, folder: Path, url: str | None = None, **kwargs: object) -> PocketSyncClient:
        kwargs.setdefault("retry", FAST_RETRY)
        return PocketSyncClient(folder, url or self.url, [self.key], **kwargs)  # type: ignore[arg-type]


def template(tmp_path_factory: pytest.TempPathFactory) -> ServerSetup:
    base = tmp_path_factory.mktemp("server-template")
    return prepare_server(
        base / "data", products=PRODUCTS, admin_login=ADMIN, admin_password=ADMIN_PASSWORD
    )


def live_server(setup: ServerSetup, tmp_path: Path) -> Iterator[Live]:
    data = tmp_path / "server"
    shutil.copytree(setup.data_dir, data)
    copy = ServerSetup(data, setup.public_key_hex, setup.admin_login, setup.admin_password)
    server = ServerProcess(data)
    server.start()
    try:
        yield Live(copy, server)
    finally:
        server.stop()


def table_counts(folder: Path) -> dict[str, int]:
    """Row counts of the client's catalog tables, read with plain sqlite3."""
    conn = sqlite3.connect(folder / "catalog" / "catalog.db")
    try:
        return {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("categories", "products", "prices")
        }
    finally:
        conn.close()


EXPECTED_COUNTS = {"categories": CATEGORIES, "products": PRODUCTS, "prices": PRICE_ROWS}
