"""Server publisher → signed bundles → client store, under any sequence of edits.

A hypothesis state machine edits the server catalog through the publisher (upserts,
price changes, deletes, category moves, customers moved between price lists, history
compaction) while two phones sync at random points, one of them logging out (wipe) now
and then. After every sync:

* the phone's store equals the server's view for its customer (``customer_view``);
* a snapshot at the same versions applied to an empty store equals the phone's store,
  which got there through the first snapshot plus every delta since.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pocketsync.bundle import ChunkRef, SigningKey, TrustedKeys
from pocketsync.catalog import (
    CatalogError,
    CatalogServer,
    Category,
    PriceBreak,
    PriceList,
    Product,
    Publisher,
    customer_view,
    partition_version,
)
from pocketsync.clock import FixedClock
from pocketsync.serverdb import create_server_engine, metadata
from pocketsync.store import CatalogStore
from tests.store.bundles import store_rows

KEY = SigningKey.from_seed(b"s" * 32)
TRUSTED = TrustedKeys([KEY.public_key])
SKUS = [f"SKU-{i}" for i in range(12)]
CATEGORIES = [f"C{i}" for i in range(5)]
PRICE_LISTS = ["A", "B"]
CUSTOMERS = ["cus-1", "cus-2"]

names = st.sampled_from(["bolt", "screw", "hinge", "Bolt M8", "washer ø10", "clé", ""])
breaks = st.lists(
    st.builds(PriceBreak, st.integers(1, 100), st.integers(0, 10**9)),
    max_size=3,
    unique_by=lambda b: b.min_qty,
)


def synced(rows: dict[str, list[Any]]) -> dict[str, set[tuple[Any, ...]]]:
    return {t: set(rows.get(t, [])) for t in ("categories", "products", "prices")}


class CatalogSync(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        self.engine = create_server_engine(f"sqlite:///{root / 'server.db'}")
        metadata.create_all(self.engine)
        self.clock = FixedClock()
        self.server = CatalogServer(self.engine, KEY, clock=self.clock, chunk_rows=4)
        self.price_list = {c: PRICE_LISTS[i % 2] for i, c in enumerate(CUSTOMERS)}
        self.phones = {c: CatalogStore.open(root / c) for c in CUSTOMERS}
        self.root = root
        self.syncs = 0

    def teardown(self) -> None:
        for store in self.phones.values():
            store.close()
        self.engine.dispose()
        self.tmp.cleanup()

    def publish(self, action: Any) -> None:
        """Run one publisher transaction; a refused edit must leave no trace."""
        before = self.views()
        try:
            with self.engine.begin() as conn:
                action(Publisher(conn))
        except CatalogError:
            assert self.views() == before

    def views(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return {pl: customer_view(conn, pl) for pl in PRICE_LISTS}

    @initialize()
    def seed(self) -> None:
        with self.engine.begin() as conn:
            pub = Publisher(conn)
            for c in CATEGORIES[:2]:
                pub.upsert_category(Category(c, None, f"cat {c}", 0))
            for pl in PRICE_LISTS:
                pub.create_price_list(PriceList(pl, f"list {pl}", "EUR"))

    @rule(sku=st.sampled_from(SKUS), cat=st.sampled_from(CATEGORIES), name=names,
          active=st.booleans(), pack=st.integers(1, 12))  # fmt: skip
    def upsert_product(self, sku: str, cat: str, name: str, active: bool, pack: int) -> None:
        product = Product(sku, name, f"{name} described", cat, "piece", pack_size=pack,
                          active=active, attributes={"n": pack})  # fmt: skip
        self.publish(lambda pub: pub.upsert_product(product))

    @rule(sku=st.sampled_from(SKUS))
    def delete_product(self, sku: str) -> None:
        self.publish(lambda pub: pub.delete_product(sku))

    @rule(cat=st.sampled_from(CATEGORIES), parent=st.none() | st.sampled_from(CATEGORIES),
          name=names, position=st.integers(0, 5))  # fmt: skip
    def upsert_or_move_category(
        self, cat: str, parent: str | None, name: str, position: int
    ) -> None:
        self.publish(lambda pub: pub.upsert_category(Category(cat, parent, name, position)))

    @rule(cat=st.sampled_from(CATEGORIES))
    def delete_category(self, cat: str) -> None:
        self.publish(lambda pub: pub.delete_category(cat))

    @rule(pl=st.sampled_from(PRICE_LISTS), sku=st.sampled_from(SKUS), breaks=breaks)
    def set_prices(self, pl: str, sku: str, breaks: list[PriceBreak]) -> None:
        self.publish(lambda pub: pub.set_prices(pl, sku, breaks))

    @rule(pl=st.sampled_from(PRICE_LISTS), sku=st.sampled_from(SKUS))
    def delete_prices(self, pl: str, sku: str) -> None:
        self.publish(lambda pub: pub.delete_prices(pl, sku))

    @rule(customer=st.sampled_from(CUSTOMERS), pl=st.sampled_from(PRICE_LISTS))
    def move_customer(self, customer: str, pl: str) -> None:
        self.price_list[customer] = pl

    @rule(partition=st.sampled_from(["catalog", "prices:A", "prices:B"]), data=st.data())
    def compact(self, partition: str, data: st.DataObject) -> None:
        with self.engine.connect() as conn:
            top = partition_version(conn, partition)
        self.server.compact(partition, data.draw(st.integers(0, top), label="horizon"))

    @rule(customer=st.sampled_from(CUSTOMERS))
    def logout(self, customer: str) -> None:
        self.phones[customer].wipe()
        assert store_rows(self.root / customer) == {}

    @rule(customer=st.sampled_from(CUSTOMERS))
    def sync(self, customer: str) -> None:
        store = self.phones[customer]
        envelope = self.server.manifest_for(customer, self.price_list[customer], store.cursors())
        store.apply(envelope, trusted=TRUSTED, customer_id=customer,
                    now_ms=self.clock.now_ms(), fetch_chunk=self.fetch)  # fmt: skip
        self.syncs += 1
        got = store_rows(self.root / customer)
        with self.engine.connect() as conn:
            want = customer_view(conn, self.price_list[customer])
        assert synced(got) == want
        # The same versions as one snapshot into an empty store: equal to snapshot + deltas.
        with tempfile.TemporaryDirectory() as fresh_dir, CatalogStore.open(fresh_dir) as fresh:
            fresh.apply(self.server.manifest_for(customer, self.price_list[customer], None),
                        trusted=TRUSTED, customer_id=customer, now_ms=self.clock.now_ms(),
                        fetch_chunk=self.fetch)  # fmt: skip
            assert fresh.cursors() == store.cursors()
            assert synced(store_rows(Path(fresh_dir))) == synced(got)

    def fetch(self, ref: ChunkRef) -> bytes:
        data = self.server.chunk(ref.address)
        assert data is not None, f"server does not have chunk {ref.address}"
        return data

    @precondition(lambda self: self.syncs > 0)
    @invariant()
    def phones_never_hold_other_prices(self) -> None:
        for store in self.phones.values():
            with contextlib.suppress(KeyError):
                pid = store.cursors()["prices"].partition_id
                assert pid in {f"prices:{pl}" for pl in PRICE_LISTS}


CatalogSync.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_catalog_sync = CatalogSync.TestCase


def test_the_harness_moves_data() -> None:
    """Guards against a vacuous machine: a sync after an edit really changes the phone."""
    machine = CatalogSync()
    try:
        machine.seed()
        machine.upsert_product("SKU-1", "C0", "bolt", True, 6)
        machine.set_prices("A", "SKU-1", [PriceBreak(1, 250), PriceBreak(10, 200)])
        assert store_rows(machine.root / "cus-1") == {}
        machine.sync("cus-1")
        rows = synced(store_rows(machine.root / "cus-1"))
        assert {r[0] for r in rows["products"]} == {"SKU-1"}
        assert sorted(r[1:3] for r in rows["prices"]) == [(1, 250), (10, 200)]
        machine.delete_product("SKU-1")
        machine.sync("cus-1")
        assert synced(store_rows(machine.root / "cus-1"))["products"] == set()
    finally:
        machine.teardown()
