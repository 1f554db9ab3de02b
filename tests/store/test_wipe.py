"""Logout wipe: nothing of the catalog left on disk, the rollback floor kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from pocketsync.store import CatalogStore, StoreCorruptError
from tests.store.bundles import ChunkServer, apply, delta, make_catalog, snapshot

SENTINEL = "Sentinel-7f3a9c"


def _hits(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and SENTINEL.encode() in p.read_bytes()]


def test_wipe_leaves_no_trace(tmp_path: Path) -> None:
    store = CatalogStore.open(tmp_path)
    cat1 = make_catalog(200, name_prefix=SENTINEL + " ")
    apply(store, snapshot(cat1))
    cat2 = make_catalog(200, seed=4, name_prefix=SENTINEL + " v2 ")
    apply(store, delta(cat1, cat2, catalog=(1, 2), prices=(1, 2)))  # lands in the WAL
    # A half-done third apply leaves cached chunks behind, which must go too.
    cat3 = make_catalog(300, seed=5, name_prefix=SENTINEL + " v3 ")
    bundle = delta(cat2, cat3, catalog=(2, 3), prices=(2, 3), chunk_rows=50)
    server = ChunkServer(bundle)
    server.fail_at = 3
    with pytest.raises(ConnectionError):
        apply(store, bundle, fetch_chunk=server)
    assert len(list((tmp_path / "chunks").iterdir())) == 3
    assert _hits(tmp_path)
    store.wipe()
    assert _hits(tmp_path) == []
    assert not list(tmp_path.glob("catalog.db*"))
    assert not (tmp_path / "chunks").exists()
    assert store.cursors() == {}
    assert store.floor() == {"catalog": 2, "prices:TRADE-A": 2}
    # The store takes a new initial sync after a wipe.
    apply(store, snapshot(make_catalog(10), catalog_v=3, prices_v=3))
    assert store.cursors()["catalog"].version == 3
    store.close()


def test_interrupted_wipe_is_finished_on_open(tmp_path: Path) -> None:
    with CatalogStore.open(tmp_path) as store:
        apply(store, snapshot(make_catalog(20, name_prefix=SENTINEL)))
    (tmp_path / "wipe-pending").touch()  # as if the process died mid-wipe
    with CatalogStore.open(tmp_path) as store:
        assert store.cursors() == {}
    assert _hits(tmp_path) == []
    assert not (tmp_path / "wipe-pending").exists()


def test_wipe_folder_without_opening_a_damaged_store(tmp_path: Path) -> None:
    with CatalogStore.open(tmp_path) as store:
        apply(store, snapshot(make_catalog(20, name_prefix=SENTINEL)))
    (tmp_path / "catalog.db").write_bytes(b"garbage " * 1000)
    with pytest.raises(StoreCorruptError):
        CatalogStore.open(tmp_path)
    CatalogStore.wipe_folder(tmp_path)
    assert not list(tmp_path.glob("catalog.db*"))
    with CatalogStore.open(tmp_path) as store:
        assert store.cursors() == {}
        assert store.floor() == {"catalog": 1, "prices:TRADE-A": 1}
