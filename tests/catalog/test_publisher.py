"""Publisher: versions per partition and transaction, rollback, validation, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, func, select

from pocketsync.catalog import (
    CatalogError,
    Category,
    CategoryCycleError,
    CategoryNotEmptyError,
    DuplicatePriceListError,
    InvalidCategoryError,
    InvalidPriceError,
    InvalidPriceListError,
    InvalidProductError,
    PriceBreak,
    PriceList,
    Product,
    Publisher,
    UnknownCategoryError,
    UnknownPriceListError,
    customer_view,
    partition_version,
    product_rules,
)
from pocketsync.catalog.schema import CATALOG_TABLES
from pocketsync.remote.rules import ProductRule


def product(sku: str, category: str = "root", **kw: Any) -> Product:
    fields: dict[str, Any] = {"name": f"Product {sku}", "description": "", "unit": "pc"}
    fields.update(kw)
    return Product(sku=sku, category_id=category, **fields)


def seed(engine: Engine) -> None:
    with engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("root", None, "Root"))
        pub.create_price_list(PriceList("A", "Trade A", "EUR"))


def versions(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return partition_version(conn, "catalog"), partition_version(conn, "prices:A")


def test_one_version_per_transaction_and_partition(server_engine: Engine) -> None:
    seed(server_engine)
    assert versions(server_engine) == (1, 0)
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_product(product("p1"))
        pub.upsert_product(product("p2"))
        pub.delete_product("p1")
        pub.set_prices("A", "p2", [PriceBreak(1, 500)])
    assert versions(server_engine) == (2, 1)
    with server_engine.begin() as conn:
        Publisher(conn).set_prices("A", "p2", [PriceBreak(1, 450), PriceBreak(5, 400)])
    assert versions(server_engine) == (2, 2)
    with server_engine.connect() as conn:
        rows = conn.execute(select(CATALOG_TABLES[2].c.sku, CATALOG_TABLES[2].c.version)).all()
    assert sorted(rows) == [("p1", 2), ("p2", 2)]


def test_one_publisher_across_transactions(server_engine: Engine) -> None:
    seed(server_engine)
    with server_engine.connect() as conn:
        pub = Publisher(conn)
        for i in range(3):
            with conn.begin():
                pub.upsert_product(product(f"p{i}"))
    assert versions(server_engine) == (4, 0)


def test_unchanged_rows_take_no_version(server_engine: Engine) -> None:
    seed(server_engine)
    with server_engine.begin() as conn:
        Publisher(conn).upsert_products([product("p1"), product("p2")])
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_products([product("p1"), product("p2")])  # a nightly republish
        pub.delete_product("nope")
        pub.delete_category("nope")
    assert versions(server_engine) == (2, 0)


def test_rollback_leaves_no_version_and_no_rows(server_engine: Engine) -> None:
    seed(server_engine)
    with server_engine.connect() as conn:
        before = dump(conn)

    def platform_transaction() -> None:
        with server_engine.begin() as conn:
            pub = Publisher(conn)
            pub.upsert_category(Category("c2", "root", "Child"))
            pub.upsert_product(product("p1", "c2"))
            pub.set_prices("A", "p1", [PriceBreak(1, 100)])
            pub.create_price_list(PriceList("B", "Trade B", "EUR"))
            raise RuntimeError("the platform's own write failed")

    with pytest.raises(RuntimeError):
        platform_transaction()
    with server_engine.connect() as conn:
        assert dump(conn) == before
    assert versions(server_engine) == (1, 0)


def test_views(server_engine: Engine) -> None:
    seed(server_engine)
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("c2", "root", "Child", position=3))
        pub.upsert_product(
            product(
                "p1",
                "c2",
                pack_size=6,
                min_order_qty=12,
                barcode="4006381333931",
                brand="Acme",
                attributes={"b": [1, True, None], "a": {"x": "ü"}},
            )
        )
        pub.upsert_product(product("p2", active=False))
        pub.upsert_product(product("p3"))
        pub.delete_product("p3")
        pub.create_price_list(PriceList("B", "Trade B", "USD"))
        pub.set_prices("A", "p1", [PriceBreak(1, 1299), PriceBreak(10, 1199)])
        pub.set_prices("B", "p1", [PriceBreak(1, 1500)])
        pub.set_prices("A", "p2", [PriceBreak(1, 10)])
        pub.delete_prices("A", "p2")
        view = customer_view(conn, "A")
        rules = product_rules(conn, ["p1", "p2", "p3", "zz"])
    assert view == {
        "categories": {("root", None, "Root", 0), ("c2", "root", "Child", 3)},
        "products": {
            (
                "p1",
                "Product p1",
                "",
                "c2",
                "pc",
                6,
                12,
                "4006381333931",
                "Acme",
                True,
                '{"a":{"x":"ü"},"b":[1,true,null]}',
            ),
            ("p2", "Product p2", "", "root", "pc", 1, 1, None, None, False, "{}"),
        },
        "prices": {("p1", 1, 1299, "EUR"), ("p1", 10, 1199, "EUR")},
    }
    assert rules == {
        "p1": ProductRule("p1", True, 6, 12),
        "p2": ProductRule("p2", False, 1, 1),
    }
    with server_engine.connect() as conn, pytest.raises(UnknownPriceListError):
        customer_view(conn, "nope")


def test_category_tree_rules(server_engine: Engine) -> None:
    seed(server_engine)
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("a", "root", "A"))
        pub.upsert_category(Category("b", "a", "B"))
        pub.upsert_product(product("p1", "b"))
        pub.upsert_category(Category("a", None, "A moved to the top"))  # a move
    bad: list[tuple[Callable[[Publisher], None], type[CatalogError]]] = [
        (lambda p: p.upsert_category(Category("a", "b", "A")), CategoryCycleError),
        (lambda p: p.upsert_category(Category("a", "a", "A")), InvalidCategoryError),
        (lambda p: p.upsert_category(Category("x", "ghost", "X")), UnknownCategoryError),
        (lambda p: p.delete_category("a"), CategoryNotEmptyError),
        (lambda p: p.delete_category("b"), CategoryNotEmptyError),
    ]
    expect_unchanged(server_engine, bad)
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.delete_product("p1")
        pub.delete_category("b")
        pub.delete_category("a")
        assert {r[0] for r in customer_view(conn, "A")["categories"]} == {"root"}
        with pytest.raises(UnknownCategoryError):
            pub.upsert_product(product("p2", "a"))  # deleted categories are unknown


BAD_INPUT: list[tuple[Callable[[Publisher], None], type[CatalogError]]] = [
    (lambda p: p.upsert_category(Category("", None, "X")), InvalidCategoryError),
    (lambda p: p.upsert_category(Category(" x", None, "X")), InvalidCategoryError),
    (lambda p: p.upsert_category(Category("x", None, "")), InvalidCategoryError),
    (lambda p: p.upsert_category(Category("x", None, "X", position=True)), InvalidCategoryError),
    (lambda p: p.upsert_category(Category("x", None, "X\x00")), InvalidCategoryError),
    (lambda p: p.upsert_product(product("")), InvalidProductError),
    (lambda p: p.upsert_product(product("p", "ghost")), UnknownCategoryError),
    (lambda p: p.upsert_product(product("p", pack_size=0)), InvalidProductError),
    (lambda p: p.upsert_product(product("p", min_order_qty=1.0)), InvalidProductError),
    (lambda p: p.upsert_product(product("p", active=1)), InvalidProductError),
    (lambda p: p.upsert_product(product("p", unit="")), InvalidProductError),
    (lambda p: p.upsert_product(product("p", attributes={"w": 0.5})), InvalidProductError),
    (lambda p: p.upsert_product(product("p", attributes={1: "x"})), InvalidProductError),
    (lambda p: p.upsert_product(product("p", attributes=["x"])), InvalidProductError),
    (lambda p: p.upsert_product(product("p", name="\ud800")), InvalidProductError),
    (lambda p: p.upsert_products([product("p"), product("p")]), InvalidProductError),
    # The valid first product of a batch is not written when the second is bad.
    (lambda p: p.upsert_products([product("ok"), product("p", "ghost")]), UnknownCategoryError),
    (lambda p: p.set_prices("A", "p", [PriceBreak(1, 9.99)]), InvalidPriceError),  # type: ignore[arg-type]
    (lambda p: p.set_prices("A", "p", [PriceBreak(1, -1)]), InvalidPriceError),
    (lambda p: p.set_prices("A", "p", [PriceBreak(0, 1)]), InvalidPriceError),
    (lambda p: p.set_prices("A", "p", [PriceBreak(1, 1), PriceBreak(1, 2)]), InvalidPriceError),
    (lambda p: p.set_prices("A", "p", [PriceBreak(1, 2**63)]), InvalidPriceError),
    (lambda p: p.set_prices("A", "p", [(1, 100)]), InvalidPriceError),  # type: ignore[list-item]
    (lambda p: p.set_prices("A", "", [PriceBreak(1, 1)]), InvalidPriceError),
    (lambda p: p.set_prices_many("A", {"ok": [PriceBreak(1, 1)], "": []}), InvalidPriceError),
    (lambda p: p.set_prices("ghost", "p", [PriceBreak(1, 1)]), UnknownPriceListError),
    (lambda p: p.delete_prices("ghost", "p"), UnknownPriceListError),
    (lambda p: p.create_price_list(PriceList("A", "Again", "EUR")), DuplicatePriceListError),
    (lambda p: p.create_price_list(PriceList("B", "B", "eur")), InvalidPriceListError),
    (lambda p: p.create_price_list(PriceList("B", "", "EUR")), InvalidPriceListError),
    (lambda p: p.create_price_list(PriceList("x" * 65, "B", "EUR")), InvalidPriceListError),
]


@pytest.mark.parametrize(("call", "error"), BAD_INPUT)
def test_bad_input_raises_and_changes_nothing(
    server_engine: Engine, call: Callable[[Publisher], None], error: type[CatalogError]
) -> None:
    seed(server_engine)
    expect_unchanged(server_engine, [(call, error)])


def test_errors_have_codes_and_status_hints() -> None:
    import pocketsync.catalog.errors as errors

    classes = [getattr(errors, name) for name in errors.__all__ if name != "CatalogError"]
    codes = {cls.code for cls in classes}
    assert len(codes) == len(classes)
    assert all(issubclass(cls, CatalogError) and 400 <= cls.status_hint < 600 for cls in classes)


def expect_unchanged(
    engine: Engine, calls: list[tuple[Callable[[Publisher], None], type[CatalogError]]]
) -> None:
    """Each call raises its error; the transaction then commits and nothing changed."""
    with engine.connect() as conn:
        before = dump(conn)
    for call, error in calls:
        with engine.begin() as conn:
            with pytest.raises(error) as info:
                call(Publisher(conn))
            assert str(info.value)
        with engine.connect() as conn:
            assert dump(conn) == before, f"{error.__name__} left a change behind"


def dump(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t.name: sorted(tuple(map(repr, r)) for r in conn.execute(select(t))) for t in CATALOG_TABLES
    }


@pytest.mark.postgres
def test_concurrent_publishers_are_serialised(server_engine: Engine) -> None:
    if server_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; this tests row locks")
    seed(server_engine)
    first = server_engine.connect()
    first.begin()
    Publisher(first).upsert_product(product("first"))
    assert partition_version(first, "catalog") == 2
    done = threading.Event()
    seen: list[int] = []

    def second() -> None:
        with server_engine.begin() as conn:
            Publisher(conn).upsert_product(product("second"))
            seen.append(partition_version(conn, "catalog"))
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    # The second publisher waits on the partition row lock until the first commits.
    assert not done.wait(0.5)
    first.commit()
    first.close()
    thread.join(10)
    assert seen == [3]


@pytest.mark.postgres
def test_concurrent_publishers_get_distinct_ordered_versions(server_engine: Engine) -> None:
    if server_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; this tests row locks")
    seed(server_engine)
    per_thread, threads = 15, 4
    got: list[list[int]] = [[] for _ in range(threads)]

    def work(n: int) -> None:
        for i in range(per_thread):
            with server_engine.begin() as conn:
                Publisher(conn).upsert_product(product(f"t{n}-{i}"))
                got[n].append(partition_version(conn, "catalog"))

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    flat = sorted(v for versions_ in got for v in versions_)
    assert flat == list(range(2, 2 + per_thread * threads))
    assert all(vs == sorted(vs) for vs in got)
    with server_engine.connect() as conn:
        products = CATALOG_TABLES[2]
        by_version = conn.execute(
            select(products.c.version, func.count()).group_by(products.c.version)
        ).all()
    assert all(count == 1 for _, count in by_version)


# -- batched category upserts ---------------------------------------------------------


def tree(engine: Engine) -> dict[str, tuple[str | None, int]]:
    """Every live category: its parent and the version in which it last changed."""
    t = CATALOG_TABLES[1]
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.id, t.c.parent_id, t.c.version).where(t.c.deleted.is_(False))
        ).all()
    return {cid: (parent, version) for cid, parent, version in rows}


def seed_tree(engine: Engine) -> None:
    """root > a > b > c, and root > d (catalog version 2)."""
    seed(engine)
    with engine.begin() as conn:
        Publisher(conn).upsert_categories(
            [
                Category("a", "root", "A"),
                Category("b", "a", "B"),
                Category("c", "b", "C"),
                Category("d", "root", "D"),
            ]
        )


def test_upsert_categories_parent_later_in_batch_one_version(server_engine: Engine) -> None:
    seed(server_engine)
    with server_engine.begin() as conn:
        # Children before their parents: the batch is checked as a whole.
        Publisher(conn).upsert_categories(
            [
                Category("leaf", "mid", "Leaf"),
                Category("mid", "top", "Mid"),
                Category("top", "root", "Top"),
            ]
        )
    assert versions(server_engine) == (2, 0)
    assert tree(server_engine) == {
        "root": (None, 1),
        "top": ("root", 2),
        "mid": ("top", 2),
        "leaf": ("mid", 2),
    }


def test_upsert_categories_moves_a_subtree(server_engine: Engine) -> None:
    seed_tree(server_engine)
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_categories(
            [
                Category("a", "n", "A"),  # a (with b and c) moves under a new category...
                Category("n", "d", "N"),  # ...defined after it, under d
                Category("d", "root", "D"),  # unchanged: keeps its version
                Category("c", "root", "C"),  # and c moves out to the root
            ]
        )
        pub.upsert_product(product("p1", "b"))
    assert versions(server_engine) == (3, 0)
    assert tree(server_engine) == {
        "root": (None, 1),
        "a": ("n", 3),
        "b": ("a", 2),
        "c": ("root", 3),
        "d": ("root", 2),
        "n": ("d", 3),
    }


def test_upsert_categories_unchanged_takes_no_version(server_engine: Engine) -> None:
    seed_tree(server_engine)
    before = tree(server_engine)
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_categories(
            [Category("c", "b", "C"), Category("a", "root", "A"), Category("root", None, "Root")]
        )
        pub.upsert_categories([])
    assert versions(server_engine) == (2, 0)
    assert tree(server_engine) == before


def test_upsert_categories_refused_batches_change_nothing(
    server_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_tree(server_engine)
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("gone", "root", "Gone"))
        pub.delete_category("gone")
    ok = Category("ok", "root", "Fine on its own")
    bad: list[tuple[Callable[[Publisher], None], type[CatalogError]]] = [
        # A cycle made within the batch, between new categories.
        (
            lambda p: p.upsert_categories([ok, Category("x", "y", "X"), Category("y", "x", "Y")]),
            CategoryCycleError,
        ),
        # A subtree moved under its own descendant (c is below a), with other valid moves.
        (
            lambda p: p.upsert_categories([ok, Category("d", "a", "D"), Category("a", "c", "A")]),
            CategoryCycleError,
        ),
        # A cycle closed through a live category and a parent defined in the batch.
        (
            lambda p: p.upsert_categories([Category("n", "c", "N"), Category("a", "n", "A")]),
            CategoryCycleError,
        ),
        (
            lambda p: p.upsert_categories([ok, Category("x", "ghost", "X")]),
            UnknownCategoryError,
        ),
        # Its parent is unknown only further up: the batch defines x, but not x's parent.
        (
            lambda p: p.upsert_categories([Category("y", "x", "Y"), Category("x", "ghost", "X")]),
            UnknownCategoryError,
        ),
        (lambda p: p.upsert_categories([ok, Category("x", "gone", "X")]), UnknownCategoryError),
        (lambda p: p.upsert_categories([ok, Category("ok", None, "Twice")]), InvalidCategoryError),
        (lambda p: p.upsert_categories([ok, Category("x", None, "")]), InvalidCategoryError),
        (lambda p: p.upsert_categories([ok, Category("x", "x", "X")]), InvalidCategoryError),
    ]
    expect_unchanged(server_engine, bad)
    # The depth limit guards walks up a corrupt tree; a low one shows it is applied.
    monkeypatch.setattr("pocketsync.catalog.publisher._MAX_DEPTH", 3)
    deep = [Category("e", "c", "E")]  # e's ancestors: c, b, a, root
    expect_unchanged(server_engine, [(lambda p: p.upsert_categories(deep), InvalidCategoryError)])
    with server_engine.begin() as conn:
        Publisher(conn).upsert_categories([Category("e", "b", "E")])  # b, a, root: allowed
    assert tree(server_engine)["e"] == ("b", 4)


def test_upsert_categories_revives_a_deleted_parent_in_the_batch(server_engine: Engine) -> None:
    seed(server_engine)
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("old", "root", "Old"))
        pub.delete_category("old")
    with server_engine.begin() as conn:
        Publisher(conn).upsert_categories(
            [Category("new", "old", "New"), Category("old", None, "Old again")]
        )
    assert versions(server_engine) == (3, 0)
    assert tree(server_engine) == {"root": (None, 1), "old": (None, 3), "new": ("old", 3)}


def test_upsert_categories_queries_do_not_grow_with_the_tree(server_engine: Engine) -> None:
    seed(server_engine)
    chain = [Category(f"c{i}", f"c{i - 1}" if i else "root", f"C{i}") for i in range(300)]
    with server_engine.begin() as conn:
        Publisher(conn).upsert_categories(chain)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(server_engine, "before_cursor_execute", count)
    try:
        with server_engine.begin() as conn:
            # Deep leaves whose every ancestor must be checked, plus a move of the chain.
            Publisher(conn).upsert_categories(
                [Category(f"leaf{i}", "c299", f"Leaf {i}") for i in range(50)]
                + [Category("c0", None, "C0 moved to the top")]
            )
    finally:
        event.remove(server_engine, "before_cursor_execute", count)
    # Lock, read the tree, read the rows, take a version, insert, update (+ BEGIN on SQLite).
    assert len(statements) <= 7, statements
    assert tree(server_engine)["c0"] == (None, 3)
    assert tree(server_engine)["leaf49"] == ("c299", 3)
