"""Collection: views with collection equal views without it; metadata bounded under churn."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pocketsync.clock import FixedClock
from pocketsync.remote import AddLine, AddQty, FavAdd, FavRemove, RemoveLine, SetQty
from tests.remote.harness import Device, make_rules, new_replica

OPS = st.lists(
    st.tuples(
        st.integers(0, 2),  # device
        st.sampled_from(["add", "addq", "set", "rm", "fav", "unfav"]),
        st.sampled_from(["A", "B"]),
        st.integers(1, 5),
        st.booleans(),  # pull (observe everything) before acting
    ),
    max_size=60,
)


def _op(kind: str, sku: str, n: int) -> object:
    return {
        "add": AddLine(sku, "pc", n), "addq": AddQty(sku, "pc", n), "set": SetQty(sku, "pc", n),
        "rm": RemoveLine(sku, "pc"), "fav": FavAdd(sku, "n"), "unfav": FavRemove(sku),
    }[kind]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_collection_does_not_change_views(script: list[tuple[int, str, str, int, bool]]) -> None:
    views = []
    for collect in (False, True):
        clock = FixedClock()
        r = new_replica(clock)
        devs = [Device(r, clock, bytes([i + 1]) * 16) for i in range(3)]
        known = [0, 0, 0]
        for d, kind, sku, n, refresh in script:
            if refresh:
                known[d] = r.version
            devs[d].op(_op(kind, sku, n), seen=known[d])  # type: ignore[arg-type]
            if collect:
                r.horizon = min(known)  # every device's future context is at least this
                r.collect()
        views.append(r.view(make_rules().rules))
    assert views[0] == views[1]


def test_metadata_bounded_after_100k_churn() -> None:
    clock = FixedClock()
    r = new_replica(clock)
    devs = [Device(r, clock, bytes([i + 1]) * 16) for i in range(3)]
    rng = random.Random(3)
    known = [0, 0, 0]
    for step in range(100_000):
        d = rng.randrange(3)
        if step % 50 == 0:
            known[d] = r.version
        kind = rng.choice(["add", "addq", "set", "rm", "fav", "unfav"])
        devs[d].op(_op(kind, f"S{rng.randrange(50)}", rng.randint(1, 3)), seen=known[d])  # type: ignore[arg-type]
        if step % 100 == 0:
            r.horizon = min(known)
            r.collect()
    r.horizon = min(known)
    r.collect()
    contributions = sum(len(m.adds) for m in r.lines.values()) + sum(
        len(m.dots) for m in r.favs.values()
    )
    assert len(r.lines) + len(r.favs) <= 100  # at most one record per key
    assert contributions < 2_000  # bounded by keys x activity since the horizon, not by 100k
