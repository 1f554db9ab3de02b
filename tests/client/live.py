"""A real ``pocketsync-server`` process per test, over a copy of a prepared data folder.

The template (migrated SQLite database, signing key, administrator, seeded demo catalog of
``PRODUCTS`` products with demo accounts ``demo1..3@example.com``) is made once per test
session with the server's own commands; each test copies it and starts ``serve`` on a free
loopback port.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from client_ref.server_process import ServerProcess, ServerSetup, prepare_server
from pocketsync.client import PocketSyncClient, RetryPolicy
from server_ref.demo_catalog import demo_sample, sold_singly

PRODUCTS = 3000
SAMPLE = demo_sample(PRODUCTS)  # the generator of what seed-demo-catalog publishes
CATEGORIES = SAMPLE.categories
PRICE_ROWS = SAMPLE.breaks * PRODUCTS  # every product on the customer's price list
ALL_ROWS = CATEGORIES + PRODUCTS + PRICE_ROWS
USER = "demo1@example.com"
OTHER_USER = "demo2@example.com"
PASSWORD = "demo-password-1"
ADMIN = "root@example.com"
ADMIN_PASSWORD = "admin pass phrase 7"
FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05, read_timeout_s=10)

# Products picked by their properties. SINGLY: sold one at a time (active, pack size 1,
# minimum 1), so the server keeps cart quantities as typed. NAMED: an active product whose
# name no other product has, so a search for its name finds it first. LAST: the last one
# generated. BUSY_CATEGORY: the category holding the most products.
SINGLY = SAMPLE.products_where(sold_singly, limit=4)
_NAMES = Counter(p.name for batch in SAMPLE.product_batches() for p in batch)
NAMED = SAMPLE.products_where(lambda p: p.active and _NAMES[p.name] == 1, limit=1)[0]
LAST = SAMPLE.product(PRODUCTS - 1)
BUSY_CATEGORY = Counter(
    p.category_id for batch in SAMPLE.product_batches() for p in batch
).most_common(1)[0][0]


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
