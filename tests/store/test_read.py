"""The read API: category tree, paging, product by sku, search, price breaks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pocketsync.store import (
    CatalogNotLoadedError,
    CatalogStore,
    InvalidQueryError,
    PriceBreak,
    Product,
    StoreClosedError,
)
from tests.store.bundles import Catalog, apply, snapshot


def _catalog() -> Catalog:
    cat = Catalog()
    for row in [
        ("tools", None, "Tools", 1),
        ("fix", None, "Fixings", 0),
        ("drills", "tools", "Drills", 2),
        ("saws", "tools", "Saws", 1),
        ("orphan", "missing", "Orphan", 0),
    ]:
        cat.categories[row[0]] = row
    products = [
        ("AB-100", "Cordless Drill 18V", "drills", "4006381333931", "Bosch"),
        ("AB-101", "Hammer Drill Café Edition", "drills", None, None),
        ("AB-200", "Jig Saw", "saws", "4006381333948", "Makita"),
        ("ZZ-1", "Wood Screw 4x40", "fix", None, None),
    ] + [(f"SC-{i:03d}", f"Screw Pack {i}", "fix", None, None) for i in range(25)]
    for sku, name, cat_id, barcode, brand in products:
        cat.products[sku] = (sku, name, "d", cat_id, "pc", 1, 1, barcode, brand, True, "{}")
    for min_qty, amount in [(1, 1000), (10, 900), (100, 750)]:
        cat.prices[("AB-100", min_qty)] = ("AB-100", min_qty, amount, "EUR")
    cat.prices[("AB-200", 5)] = ("AB-200", 5, 4999, "EUR")
    return cat


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CatalogStore]:
    with CatalogStore.open(tmp_path) as s:
        apply(s, snapshot(_catalog()))
        yield s


def test_category_tree(store: CatalogStore) -> None:
    roots = store.category_tree()
    assert [n.category.id for n in roots] == ["fix", "orphan", "tools"]
    tools = roots[2]
    assert [c.category.id for c in tools.children] == ["saws", "drills"]
    assert tools.children[0].children == ()


def test_products_in_category_keyset_paging(store: CatalogStore) -> None:
    seen: list[str] = []
    page = store.products_in_category("fix", limit=10)
    pages = 1
    while True:
        seen += [p.sku for p in page.items]
        if page.next is None:
            break
        page = store.products_in_category("fix", limit=10, after=page.next)
        pages += 1
    assert pages == 3
    assert len(seen) == 26 == len(set(seen))
    names = [store.product(s).name for s in seen]  # type: ignore[union-attr]
    assert names == sorted(names)
    assert store.products_in_category("nothing").items == ()
    with pytest.raises(InvalidQueryError):
        store.products_in_category("fix", limit=0)


def test_product_by_sku(store: CatalogStore) -> None:
    p = store.product("AB-100")
    assert p == Product(
        "AB-100",
        "Cordless Drill 18V",
        "d",
        "drills",
        "pc",
        1,
        1,
        "4006381333931",
        "Bosch",
        True,
        "{}",
    )
    assert store.product("ab-100") is None


def test_search_by_name_sku_barcode(store: CatalogStore) -> None:
    assert [p.sku for p in store.search("drill")] == ["AB-100", "AB-101"] or {
        p.sku for p in store.search("drill")
    } == {"AB-100", "AB-101"}
    assert [p.sku for p in store.search("cafe hamm")] == ["AB-101"]  # diacritics, prefix
    assert [p.sku for p in store.search("4006381333948")] == ["AB-200"]  # barcode
    assert store.search("AB-200")[0].sku == "AB-200"  # exact sku first
    assert {p.sku for p in store.search("ab-1")} >= {"AB-100", "AB-101"}  # sku prefix
    assert len(store.search("screw", limit=5)) == 5
    assert store.search("   ") == ()
    assert store.search("\"o'neil* OR NEAR(") == ()  # FTS syntax is quoted, not parsed


def test_price_at_quantity(store: CatalogStore) -> None:
    assert store.price_at("AB-100", 1) == PriceBreak("AB-100", 1, 1000, "EUR")
    assert store.price_at("AB-100", 9) == PriceBreak("AB-100", 1, 1000, "EUR")
    assert store.price_at("AB-100", 10) == PriceBreak("AB-100", 10, 900, "EUR")
    assert store.price_at("AB-100", 10_000) == PriceBreak("AB-100", 100, 750, "EUR")
    assert store.price_at("AB-200", 4) is None  # below the first break
    assert store.price_at("ZZ-1", 1) is None
    assert [b.min_qty for b in store.price_breaks("AB-100")] == [1, 10, 100]
    with pytest.raises(InvalidQueryError):
        store.price_at("AB-100", 0)


def test_reads_before_sync_and_after_close(tmp_path: Path) -> None:
    store = CatalogStore.open(tmp_path)
    assert store.cursors() == {}
    with pytest.raises(CatalogNotLoadedError):
        store.product("x")
    store.close()
    with pytest.raises(StoreClosedError):
        store.cursors()
