"""Property: a client's view at v plus the delta from v equals the server's view now.

Random publisher transactions (some rolled back, some with invalid edits that must change
nothing), a client that syncs in the middle, possibly a compaction and a move to another
price list, then a second sync: the client must hold exactly ``customer_view``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete

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
from pocketsync.catalog.schema import CATALOG_TABLES
from tests.catalog.support import View, sync

SKUS = [f"s{i}" for i in range(6)]
CATS = [f"c{i}" for i in range(4)]
LISTS = ["A", "B"]
EMPTY: View = {"categories": set(), "products": set(), "prices": set()}

names = st.sampled_from(["x", "y", "Zürich", "日本"])
_ops = (
    st.tuples(
        st.just("category"),
        st.sampled_from(CATS),
        st.none() | st.sampled_from(CATS),
        names,
        st.integers(-2, 2),
    ),
    st.tuples(st.just("delete_category"), st.sampled_from(CATS)),
    st.tuples(
        st.just("product"),
        st.sampled_from(SKUS),
        st.sampled_from(CATS),
        names,
        st.booleans(),
        st.integers(1, 3),
        st.dictionaries(st.sampled_from("ab"), st.integers(0, 2), max_size=2),
    ),
    st.tuples(st.just("delete_product"), st.sampled_from(SKUS)),
    st.tuples(
        st.just("prices"),
        st.sampled_from(LISTS),
        st.sampled_from(SKUS),
        st.lists(
            st.tuples(st.integers(1, 4), st.integers(0, 99)), max_size=3, unique_by=lambda b: b[0]
        ),
    ),
    st.tuples(st.just("delete_prices"), st.sampled_from(LISTS), st.sampled_from(SKUS)),
)
# Upserts of products and prices twice as likely as the rest, so views are not mostly empty.
ops = st.one_of(*_ops, _ops[2], _ops[4])
# (commit?, edits) per transaction
commit = st.sampled_from([True, True, True, False])
transactions = st.lists(
    st.tuples(commit, st.lists(ops, min_size=2, max_size=10)), min_size=1, max_size=5
)


def run(engine: Engine, txns: list[tuple[bool, list[tuple[Any, ...]]]]) -> None:
    for commit, edits in txns:
        with engine.connect() as conn, conn.begin() as txn:
            pub = Publisher(conn)
            for edit in edits:
                # An invalid edit changes nothing; the transaction goes on.
                with contextlib.suppress(CatalogError):
                    apply(pub, edit)
            if not commit:
                txn.rollback()


def apply(pub: Publisher, edit: tuple[Any, ...]) -> None:
    kind, *args = edit
    if kind == "category":
        pub.upsert_category(Category(args[0], args[1], args[2], args[3]))
    elif kind == "delete_category":
        pub.delete_category(args[0])
    elif kind == "product":
        sku, cat, name, active, pack, attrs = args
        pub.upsert_product(Product(sku, name, "", cat, "pc", pack, pack, None, None, active, attrs))
    elif kind == "delete_product":
        pub.delete_product(args[0])
    elif kind == "prices":
        pub.set_prices(args[0], args[1], [PriceBreak(q, a) for q, a in args[2]])
    else:
        pub.delete_prices(args[0], args[1])


def reset(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(CATALOG_TABLES):
            conn.execute(delete(table))
        pub = Publisher(conn)
        for plid in LISTS:
            pub.create_price_list(PriceList(plid, plid, "EUR"))
        # Start with a few categories so most product edits are valid.
        for cid in CATS[:3]:
            pub.upsert_category(Category(cid, None, cid))


def view(conn: Connection, plid: str) -> View:
    return customer_view(conn, plid)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=transactions,
    after=transactions,
    horizon=st.none() | st.integers(0, 12),
    lists=st.tuples(st.sampled_from(LISTS), st.sampled_from(LISTS)),
)
def test_view_at_v_plus_delta_equals_view_now(
    server_engine: Engine,
    catalog_server: CatalogServer,
    before: list[tuple[bool, list[tuple[Any, ...]]]],
    after: list[tuple[bool, list[tuple[Any, ...]]]],
    horizon: int | None,
    lists: tuple[str, str],
) -> None:
    reset(server_engine)
    run(server_engine, before)
    at_v, cursors, _ = sync(catalog_server, EMPTY, None, lists[0])
    with server_engine.connect() as conn:
        assert at_v == view(conn, lists[0])
    run(server_engine, after)
    if horizon is not None:
        with server_engine.connect() as conn:
            horizon = min(horizon, partition_version(conn, "catalog"))
        catalog_server.compact("catalog", horizon)
    now, _, manifest = sync(catalog_server, at_v, cursors, lists[1])
    with server_engine.connect() as conn:
        assert now == view(conn, lists[1])
    catalog = manifest.partition("catalog")
    expect_reset = horizon is not None and cursors["catalog"].version < horizon
    assert catalog.is_reset == (expect_reset or cursors["catalog"].version == 0)
    assert manifest.partition("prices").is_reset == (
        lists[0] != lists[1] or cursors["prices"].version == 0
    )
    # A snapshot from nothing is the same end state.
    fresh, _, _ = sync(catalog_server, EMPTY, None, lists[1], customer="cus_2")
    assert fresh == now
    event(f"products and prices at v: {min(len(at_v['products']) + len(at_v['prices']), 4)}+")
    event(f"delta rows: {min(sum(c.rows for c in manifest.chunks), 8) // 4 * 4}+")
