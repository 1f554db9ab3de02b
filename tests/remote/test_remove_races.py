"""Targeted property: an offline ``remove_line`` against concurrent adds and sets (R4).

Device R pulled the line after some history (several devices' adds and sets) and removes it
offline; meanwhile other devices, which never saw each other's new edits, add to the line or
set its quantity. R4 says the removal drops exactly what R had seen. So, wherever R's removal
lands among the concurrent edits, the line must end up as if the history R had seen had never
existed: equal to replaying the concurrent edits alone on an empty cart.

One line and few devices, so every generated case is a collision.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pocketsync.clock import FixedClock
from pocketsync.remote import AddLine, AddQty, Hlc, RemoveLine, SetQty
from tests.remote.harness import Device, new_replica

KEY = ("A", "pc")
EDITORS = 3  # devices other than the remover

edit = st.tuples(
    st.integers(0, EDITORS - 1),  # which device
    st.sampled_from(("add_line", "add_qty", "set_qty")),
    st.integers(1, 9),
)


def _op(kind: str, n: int) -> AddLine | AddQty | SetQty:
    if kind == "add_line":
        return AddLine(*KEY, n)
    if kind == "add_qty":
        return AddQty(*KEY, n)
    return SetQty(*KEY, n)


def _line(devices: list[Device]) -> tuple[int, str] | None:
    meta = devices[0].replica.lines.get(KEY)
    return (meta.qty, meta.note) if meta is not None and meta.present else None


@settings(max_examples=300, deadline=None)
@given(
    history=st.lists(edit, min_size=1, max_size=6),
    concurrent=st.lists(edit, max_size=6),
    at=st.integers(0, 6),
    remover_edits=st.booleans(),
)
def test_offline_remove_drops_what_it_saw_and_nothing_else(
    history: list[tuple[int, str, int]],
    concurrent: list[tuple[int, str, int]],
    at: int,
    remover_edits: bool,
) -> None:
    clock = FixedClock()
    replica = new_replica(clock)
    ids = [bytes([i + 1]) * 16 for i in range(EDITORS + 1)]
    devices = [Device(replica, clock, ids[i]) for i in range(EDITORS)]
    remover = Device(replica, clock, ids[EDITORS])
    for who, kind, n in history:
        devices[who].op(_op(kind, n))  # each saw everything before it
    if remover_edits:
        remover.op(AddQty(*KEY, 1))  # the remover's own edit: it sees it, so removes it too
    seen = replica.version  # R pulls here, then goes offline
    assert _line(devices) is not None
    at = min(at, len(concurrent))
    for who, kind, n in concurrent[:at]:
        devices[who].op(_op(kind, n), seen=seen)  # none of them sees the others' new edits
    result = remover.op(RemoveLine(*KEY), seen=seen)
    for who, kind, n in concurrent[at:]:
        devices[who].op(_op(kind, n), seen=seen)

    # The same concurrent edits alone, on an empty cart, stamped the same way (later than
    # the history), by the same devices.
    alone_clock = FixedClock(clock.ms)
    alone = new_replica(alone_clock)
    others = [Device(alone, alone_clock, ids[i]) for i in range(EDITORS)]
    for who, kind, n in concurrent:
        others[who].op(_op(kind, n), seen=0)
    want = _line(others)
    got = _line(devices)
    assert (None if got is None else got[0]) == (None if want is None else want[0])
    if at > 0:  # concurrent edits were there when the removal arrived, and they stay
        assert result.code == "concurrent_edit_kept"


def test_the_property_sees_a_remove_that_drops_everything() -> None:
    """The property is not vacuous: W's concurrent +2 after P's stale remove leaves 2."""
    clock = FixedClock()
    replica = new_replica(clock)
    web, phone = Device(replica, clock, b"w" * 16), Device(replica, clock, b"p" * 16)
    web.op(AddLine(*KEY, 10))
    seen = replica.version
    web.op(AddQty(*KEY, 2), seen=seen)
    phone.op(RemoveLine(*KEY), seen=seen, hlc=Hlc(clock.ms + 1, 0))
    assert _line([web]) == (2, "")
