"""Applying bundles: initial sync, deltas, role resets, idempotence, resume, progress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pocketsync.bundle import RoleCursor, VersionGapError
from pocketsync.clock import FixedClock
from pocketsync.store import CatalogStore, CustomerMismatchError, Progress
from tests.store.bundles import (
    CUSTOMER,
    Catalog,
    ChunkServer,
    apply,
    delta,
    expected_rows,
    make_catalog,
    snapshot,
    store_rows,
    with_customer,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CatalogStore]:
    with CatalogStore.open(tmp_path / "data") as s:
        yield s


def test_initial_sync_writes_rows_and_cursors(store: CatalogStore) -> None:
    cat = make_catalog(300)
    result = apply(store, snapshot(cat, catalog_v=7, prices_v=3))
    assert result.kind == "full_reset"
    assert result.rows_upserted == 20 + 300 + 900
    assert store.cursors() == {
        "catalog": RoleCursor("catalog", 7),
        "prices": RoleCursor("prices:TRADE-A", 3),
    }
    assert store_rows(store.folder) == expected_rows(
        cat, {"catalog": ("catalog", 7), "prices": ("prices:TRADE-A", 3)}
    )
    assert store.floor() == {"catalog": 7, "prices:TRADE-A": 3}
    assert not (store.folder / "chunks").exists()  # cache cleared after success
    assert not (store.folder / "catalog.db.new").exists()


def _edit(cat0: Catalog) -> Catalog:
    cat = cat0.copy()
    for i in range(0, 300, 7):  # renames (search index must follow)
        sku = f"SKU-{i:06d}"
        cat.products[sku] = (sku, f"Renamed Widget {i}", *cat.products[sku][2:])
    for i in range(1, 300, 11):  # deletes with their prices
        sku = f"SKU-{i:06d}"
        del cat.products[sku]
        for k in list(cat.prices):
            if k[0] == sku:
                del cat.prices[k]
    cat.products["NEW-1"] = (
        "NEW-1",
        "Brand New Gadget",
        "d",
        "c0001",
        "pc",
        1,
        1,
        None,
        None,
        True,
        "{}",
    )
    cat.prices[("NEW-1", 1)] = ("NEW-1", 1, 999, "EUR")
    cat.prices[("SKU-000002", 1)] = ("SKU-000002", 1, 1, "EUR")  # price change
    cat.categories["c0005"] = ("c0005", "c0001", "Moved", 3)  # category move
    return cat


def test_delta_applies_changes_and_search_follows(store: CatalogStore) -> None:
    cat1 = make_catalog(300)
    apply(store, snapshot(cat1))
    cat2 = _edit(cat1)
    result = apply(store, delta(cat1, cat2, catalog=(1, 2), prices=(1, 2)))
    assert result.kind == "delta"
    assert store_rows(store.folder) == expected_rows(
        cat2, {"catalog": ("catalog", 2), "prices": ("prices:TRADE-A", 2)}
    )
    assert [p.sku for p in store.search("gadget")] == ["NEW-1"]
    assert store.search("renamed widget 7")[0].sku == "SKU-000007"
    assert store.product("SKU-000001") is None
    assert not any(p.sku == "SKU-000001" for p in store.search("SKU-000001"))
    assert store.floor() == {"catalog": 2, "prices:TRADE-A": 2}


def test_role_reset_inside_delta(store: CatalogStore) -> None:
    cat1 = make_catalog(200)
    apply(store, snapshot(cat1))
    cat2 = cat1.copy()
    cat2.prices = {k: (*v[:2], v[2] * 2, "EUR") for k, v in cat1.prices.items() if k[1] == 1}
    cat2.products["SKU-000000"] = ("SKU-000000", "Changed", *cat1.products["SKU-000000"][2:])
    bundle = delta(cat1, cat2, catalog=(1, 2), prices=(0, 5), price_list="TRADE-B")
    result = apply(store, bundle)
    assert result.kind == "delta"
    assert store.cursors()["prices"] == RoleCursor("prices:TRADE-B", 5)
    assert store_rows(store.folder) == expected_rows(
        cat2, {"catalog": ("catalog", 2), "prices": ("prices:TRADE-B", 5)}
    )
    assert store.price_breaks("SKU-000003")[0].amount == cat2.prices[("SKU-000003", 1)][2]
    # The reset role's indexes are back: search and upsert still work.
    assert store.search("changed")[0].sku == "SKU-000000"


def test_catalog_role_reset_inside_delta_rebuilds_search(store: CatalogStore) -> None:
    cat1 = make_catalog(100)
    apply(store, snapshot(cat1))
    cat2 = make_catalog(150, seed=9, name_prefix="Zebra ")
    cat2.prices = cat1.prices
    apply(store, delta(cat1, cat2, catalog=(0, 9), prices=(1, 1)))
    assert store.cursors()["catalog"] == RoleCursor("catalog", 9)
    assert store.cursors()["prices"] == RoleCursor("prices:TRADE-A", 1)
    assert len(store.search("zebra", limit=1000)) == 150
    assert store_rows(store.folder)["products"] == expected_rows(cat2, {})["products"]


def test_reapply_is_noop(store: CatalogStore) -> None:
    cat1 = make_catalog(100)
    b1 = snapshot(cat1)
    apply(store, b1)
    before = store_rows(store.folder)
    server = ChunkServer(b1)
    result = apply(store, b1, fetch_chunk=server)
    assert result.kind == "noop"
    assert server.calls == []
    d = delta(cat1, cat1, catalog=(1, 1), prices=(1, 1))
    assert apply(store, d).kind == "noop"
    assert store_rows(store.folder) == before


def test_delta_reapplied_after_success_is_noop(store: CatalogStore) -> None:
    cat1 = make_catalog(100)
    apply(store, snapshot(cat1))
    cat2 = _edit(make_catalog(300))
    d = delta(cat1, cat2, catalog=(1, 2), prices=(1, 2))
    apply(store, d)
    after = store_rows(store.folder)
    assert apply(store, d).kind == "noop"
    assert store_rows(store.folder) == after


def test_delta_out_of_order_is_a_gap(store: CatalogStore) -> None:
    cat1 = make_catalog(50)
    apply(store, snapshot(cat1))
    with pytest.raises(VersionGapError):
        apply(store, delta(cat1, cat1, catalog=(2, 3), prices=(1, 1)))


@pytest.mark.parametrize("kind", ["snapshot", "delta"])
def test_resume_after_fetch_failure_fetches_only_missing_chunks(
    store: CatalogStore, kind: str
) -> None:
    cat1 = make_catalog(400)
    if kind == "snapshot":
        bundle = snapshot(cat1, chunk_rows=100)
    else:
        apply(store, snapshot(cat1))
        cat2 = make_catalog(400, seed=3)
        bundle = delta(cat1, cat2, catalog=(1, 2), prices=(1, 2), chunk_rows=100)
    before = store_rows(store.folder)
    total = len(bundle.manifest.chunks)
    assert total >= 4
    server = ChunkServer(bundle)
    server.fail_at = total // 2
    with pytest.raises(ConnectionError):
        apply(store, bundle, fetch_chunk=server)
    assert store_rows(store.folder) == before
    assert len(server.calls) == total // 2
    server.fail_at = None
    result = apply(store, bundle, fetch_chunk=server)
    assert len(server.calls) == total  # each chunk fetched exactly once overall
    assert len(set(server.calls)) == total
    assert result.chunks_from_cache == total // 2
    assert result.chunks_fetched == total - total // 2


def test_torn_cache_entry_is_fetched_again(store: CatalogStore) -> None:
    bundle = snapshot(make_catalog(200), chunk_rows=100)
    server = ChunkServer(bundle)
    server.fail_at = 2
    with pytest.raises(ConnectionError):
        apply(store, bundle, fetch_chunk=server)
    cached = sorted((store.folder / "chunks").iterdir())
    cached[0].write_bytes(cached[0].read_bytes()[:-3])
    server.fail_at = None
    result = apply(store, bundle, fetch_chunk=server)
    assert result.chunks_fetched == len(bundle.manifest.chunks) - 1


def test_progress_reports(tmp_path: Path) -> None:
    clock = FixedClock()
    reports: list[Progress] = []

    def on_progress(p: Progress) -> None:
        reports.append(p)
        clock.advance(10)

    with CatalogStore.open(tmp_path, clock=clock) as store:
        bundle = snapshot(make_catalog(300), chunk_rows=100)
        apply(store, bundle, progress=on_progress)
    phases = [p.phase for p in reports]
    assert phases[0] == "download"
    assert phases[-1] == "done"
    assert {"apply", "index"} <= set(phases)
    applied = [p for p in reports if p.phase == "apply"]
    assert applied[-1].chunks_done == applied[-1].chunks_total == len(bundle.manifest.chunks)
    assert applied[-1].rows_done == applied[-1].rows_total
    left = [p.seconds_left for p in reports if p.seconds_left is not None]
    assert left
    assert all(x >= 0 for x in left)
    with pytest.raises(AttributeError):
        reports[0].phase = "done"  # type: ignore[misc]


def test_delta_for_another_customer_than_the_local_copy(store: CatalogStore) -> None:
    cat1 = make_catalog(50)
    apply(store, snapshot(cat1))
    d = with_customer(delta(cat1, _edit(make_catalog(300)), catalog=(1, 2), prices=(1, 2)), "x")
    with pytest.raises(CustomerMismatchError):
        apply(store, d, customer_id="x")
    assert store.customer_id() == CUSTOMER


def test_reopen_keeps_state(tmp_path: Path) -> None:
    cat = make_catalog(50)
    with CatalogStore.open(tmp_path) as store:
        apply(store, snapshot(cat, catalog_v=4))
    with CatalogStore.open(tmp_path) as store:
        assert store.cursors()["catalog"] == RoleCursor("catalog", 4)
        assert store.product("SKU-000001") is not None


def test_snapshot_over_existing_store_replaces_everything(store: CatalogStore) -> None:
    apply(store, snapshot(make_catalog(100)))
    cat2 = make_catalog(60, seed=5)
    apply(store, snapshot(cat2, catalog_v=10, prices_v=10))
    assert store_rows(store.folder) == expected_rows(
        cat2, {"catalog": ("catalog", 10), "prices": ("prices:TRADE-A", 10)}
    )
    leftovers = {p.name for p in store.folder.iterdir()}
    assert leftovers <= {"catalog.db", "catalog.db-wal", "catalog.db-shm", "rollback-floor.json"}
