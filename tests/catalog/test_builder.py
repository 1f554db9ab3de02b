"""Bundle builder: snapshots, deltas, resets, content-addressed shared chunks, compaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from pocketsync.bundle import RoleCursor, encode_chunk, open_manifest
from pocketsync.catalog import (
    CatalogServer,
    Category,
    InvalidCursorError,
    InvalidHorizonError,
    PriceBreak,
    PriceList,
    Product,
    Publisher,
    UnknownPartitionError,
    UnknownPriceListError,
    customer_view,
)
from pocketsync.catalog.schema import catalog_builds, catalog_chunks, catalog_products
from pocketsync.clock import FixedClock
from tests.catalog.support import KEY, TRUSTED, View, cursors_of, open_bundle, sync

EMPTY: View = {"categories": set(), "products": set(), "prices": set()}


def product(sku: str, category: str = "root", **kw: Any) -> Product:
    return Product(sku, f"Product {sku}", f"About {sku}", category, "pc", **kw)


def publish(engine: Engine, n: int = 20) -> None:
    with engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("root", None, "Root"))
        pub.upsert_category(Category("tools", "root", "Tools", position=1))
        pub.upsert_products(product(f"p{i:02}", "tools" if i % 2 else "root") for i in range(n))
        for plid, currency in (("A", "EUR"), ("B", "USD")):
            pub.create_price_list(PriceList(plid, f"List {plid}", currency))
            base = 1000 if plid == "A" else 1100
            pub.set_prices_many(
                plid,
                {f"p{i:02}": [PriceBreak(1, base + i), PriceBreak(10, base)] for i in range(n)},
            )


def view(engine: Engine, price_list: str) -> View:
    with engine.connect() as conn:
        return customer_view(conn, price_list)


def test_snapshot_then_up_to_date(server_engine: Engine, catalog_server: CatalogServer) -> None:
    publish(server_engine)
    got, cursors, manifest = sync(catalog_server, EMPTY, None, "A")
    assert got == view(server_engine, "A")
    assert [(p.from_version, p.to_version) for p in manifest.partitions] == [(0, 1), (0, 1)]
    # 2 categories, 20 products and 40 prices in chunks of at most 7 rows.
    assert [c.table for c in manifest.chunks] == ["categories"] + ["products"] * 3 + ["prices"] * 6
    again, _, manifest = sync(catalog_server, got, cursors, "A")
    assert again == got
    assert manifest.chunks == ()
    assert [(p.from_version, p.to_version) for p in manifest.partitions] == [(1, 1), (1, 1)]


def test_delta_brings_a_client_up_to_date(
    server_engine: Engine, catalog_server: CatalogServer
) -> None:
    publish(server_engine)
    old, cursors, _ = sync(catalog_server, EMPTY, None, "A")
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_product(product("p03", "root", active=False))
        pub.delete_product("p04")
        pub.upsert_category(Category("tools", None, "Tools moved"))
        pub.set_prices("A", "p05", [PriceBreak(1, 1)])
        pub.delete_prices("A", "p06")
        pub.set_prices("B", "p07", [PriceBreak(1, 7)])  # another customer's list
    new, _, manifest = sync(catalog_server, old, cursors, "A")
    assert new == view(server_engine, "A")
    assert [(p.from_version, p.to_version) for p in manifest.partitions] == [(1, 2), (1, 2)]
    # Changed rows only: p03, p04, tools; p05's two breaks (one replaced, one gone), p06's two.
    assert sum(c.rows for c in manifest.chunks) == 3 + 2 + 2


def test_customer_moved_to_another_price_list_gets_a_prices_reset(
    server_engine: Engine, catalog_server: CatalogServer
) -> None:
    publish(server_engine)
    old, cursors, _ = sync(catalog_server, EMPTY, None, "A")
    moved, _, manifest = sync(catalog_server, old, cursors, "B")
    assert moved == view(server_engine, "B")
    assert manifest.partition("prices").is_reset
    assert manifest.partition("prices").partition_id == "prices:B"
    assert manifest.partition("catalog").from_version == 1
    assert {c.table for c in manifest.chunks} == {"prices"}


def test_cursor_older_than_the_compaction_horizon_gets_a_reset(
    server_engine: Engine, catalog_server: CatalogServer
) -> None:
    publish(server_engine)
    at_1, cursors_1, _ = sync(catalog_server, EMPTY, None, "A")
    for sku in ("p01", "p02"):  # versions 2 and 3
        with server_engine.begin() as conn:
            Publisher(conn).delete_product(sku)
    at_3, cursors_3, _ = sync(catalog_server, at_1, cursors_1, "A")
    with server_engine.begin() as conn:
        Publisher(conn).delete_product("p03")  # version 4
    catalog_server.compact("catalog", 3)
    with server_engine.connect() as conn:
        tombstones = conn.execute(
            select(catalog_products.c.sku).where(catalog_products.c.deleted.is_(True))
        ).scalars()
        assert list(tombstones) == ["p03"]  # p01 and p02 (versions 2, 3) were purged
    # A cursor at the horizon still gets a delta; one below it a snapshot, not an error.
    got, _, manifest = sync(catalog_server, at_3, cursors_3, "A")
    assert (manifest.partition("catalog").from_version, manifest.chunks[0].rows) == (3, 1)
    assert got == view(server_engine, "A")
    got, _, manifest = sync(catalog_server, at_1, cursors_1, "A")
    assert manifest.partition("catalog").is_reset
    assert not manifest.partition("prices").is_reset
    assert got == view(server_engine, "A")
    catalog_server.compact("catalog", 2)  # below retained_from: nothing to do
    with pytest.raises(InvalidHorizonError):
        catalog_server.compact("catalog", 5)
    with pytest.raises(InvalidHorizonError):
        catalog_server.compact("prices:A", -1)
    with pytest.raises(UnknownPartitionError):
        catalog_server.compact("prices:nope", 0)


def test_shared_catalog_chunks_are_built_and_stored_once(
    server_engine: Engine, catalog_server: CatalogServer
) -> None:
    publish(server_engine)
    manifests = {}
    for customer, plid in (("cus_a", "A"), ("cus_b", "B"), ("cus_c", "A")):
        envelope = catalog_server.manifest_for(customer, plid)
        manifests[customer] = open_manifest(envelope, TRUSTED)
    shared = [[c for c in m.chunks if c.table != "prices"] for m in manifests.values()]
    assert shared[0] == shared[1] == shared[2]
    prices = [[c for c in m.chunks if c.table == "prices"] for m in manifests.values()]
    assert prices[0] == prices[2]
    assert not set(prices[0]) & set(prices[1])
    with server_engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(catalog_chunks)).scalar_one()
        builds = conn.execute(select(func.count()).select_from(catalog_builds)).scalar_one()
    assert stored == len(shared[0]) + len(prices[0]) + len(prices[1])
    assert builds == 3  # catalog 0→1, prices:A 0→1, prices:B 0→1


def test_chunks_are_deterministic_rows_in_key_order(
    server_engine: Engine, catalog_server: CatalogServer
) -> None:
    publish(server_engine)
    manifest = open_manifest(catalog_server.manifest_for("cus_a", "A"), TRUSTED)
    products = sorted(view(server_engine, "A")["products"])
    expected = [encode_chunk("products", products[i : i + 7])[0] for i in range(0, 20, 7)]
    assert [c for c in manifest.chunks if c.table == "products"] == expected


def test_chunk_lookup(server_engine: Engine, catalog_server: CatalogServer) -> None:
    publish(server_engine)
    manifest, chunks = open_bundle(catalog_server, catalog_server.manifest_for("cus_a", "A"))
    assert len(chunks) == len(manifest.chunks)
    assert catalog_server.chunk("00" * 32) is None
    assert catalog_server.chunk(manifest.chunks[0].address.upper()) is None
    assert catalog_server.chunk("../etc/passwd") is None


def test_chunk_visibility_shares_catalog_chunks_and_hides_other_price_lists(
    server_engine: Engine, catalog_server: CatalogServer
) -> None:
    publish(server_engine)
    manifest = open_manifest(catalog_server.manifest_for("cus_a", "A"), TRUSTED)
    shared = [c.address for c in manifest.chunks if c.table != "prices"]
    own = [c.address for c in manifest.chunks if c.table == "prices"]
    assert shared
    assert own
    for address in shared:
        assert catalog_server.chunk_visibility(address, "A") == "shared"
        assert catalog_server.chunk_visibility(address, "B") == "shared"
    for address in own:
        assert catalog_server.chunk_visibility(address, "A") == "private"
        assert catalog_server.chunk_visibility(address, "B") is None
    assert catalog_server.chunk_visibility("00" * 32, "A") is None
    assert catalog_server.chunk_visibility("not hex", "A") is None


def test_manifest_binding_and_expiry(server_engine: Engine, clock: FixedClock) -> None:
    publish(server_engine)
    server = CatalogServer(server_engine, KEY, clock=clock, manifest_ttl_ms=60_000)
    manifest = open_manifest(server.manifest_for("cus_x", "B"), TRUSTED)
    assert manifest.customer_id == "cus_x"
    assert manifest.key_id == KEY.key_id
    assert (manifest.created_ms, manifest.expires_ms) == (clock.ms, clock.ms + 60_000)


def test_bad_requests(server_engine: Engine, catalog_server: CatalogServer) -> None:
    publish(server_engine)
    with pytest.raises(UnknownPriceListError):
        catalog_server.manifest_for("cus_a", "nope")
    with pytest.raises(InvalidCursorError):
        catalog_server.manifest_for("cus_a", "A", {"carts": RoleCursor("catalog", 1)})
    with pytest.raises(InvalidCursorError):
        catalog_server.manifest_for("cus_a", "A", {"catalog": RoleCursor("catalog", -1)})


def test_cursor_from_the_future_gets_a_reset(
    server_engine: Engine, catalog_server: CatalogServer
) -> None:
    publish(server_engine)
    cursors = {"catalog": RoleCursor("catalog", 99), "prices": RoleCursor("prices:A", 1)}
    manifest = open_manifest(catalog_server.manifest_for("cus_a", "A", cursors), TRUSTED)
    assert manifest.partition("catalog").is_reset  # the client's rollback check refuses it


def test_empty_catalog_gives_empty_resets(
    server_engine: Engine, catalog_server: CatalogServer
) -> None:
    with server_engine.begin() as conn:
        Publisher(conn).create_price_list(PriceList("A", "A", "EUR"))
    got, cursors, manifest = sync(catalog_server, EMPTY, None, "A")
    assert got == EMPTY
    assert manifest.chunks == ()
    assert cursors_of(manifest) == cursors


def test_garbage_collection_keeps_what_unexpired_manifests_name(
    server_engine: Engine, clock: FixedClock
) -> None:
    server = CatalogServer(server_engine, KEY, clock=clock, chunk_rows=7, manifest_ttl_ms=1_000)
    publish(server_engine)
    old = open_manifest(server.manifest_for("cus_a", "A"), TRUSTED)
    with server_engine.begin() as conn:
        Publisher(conn).upsert_product(product("p00", brand="changed"))
    new = open_manifest(server.manifest_for("cus_a", "A"), TRUSTED)
    gone = {c.address for c in old.chunks} - {c.address for c in new.chunks}
    assert gone  # the old products chunk that held p00
    assert server.collect_garbage() == 0  # marks the superseded catalog build retired
    assert all(server.chunk(a) is not None for a in gone)
    clock.advance(1_001)
    assert server.collect_garbage() == len(gone)
    assert all(server.chunk(a) is None for a in gone)
    assert all(server.chunk(c.address) is not None for c in new.chunks)
    # A cached delta whose chunks were collected is not served: builds went with them.
    _, _, manifest = sync(server, EMPTY, None, "A")
    assert manifest.chunks == new.chunks
