"""The server's answer must not depend on the order in which pushes arrive (docs/merge.md).

The property generates a *causal history* first: a few devices act on a few cart lines and
now and then sync (push everything, then pull). A sync fixes what that device has observed
from then on: every operation created before it. The history is then delivered to a fresh
server in different interleavings that respect it: each device's operations stay in sequence
order, and the operations a sync observed are all delivered before the operations created
after that sync (so ``seen`` — the server version at the sync — denotes the same set of
operations in every interleaving). Between syncs, the devices' operations are concurrent and
may arrive in any order. Every interleaving must end in the same view.

Stamps follow the hybrid logical clock: each device has its own clock skew, and an operation
always stamps later than everything it had observed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import StaticPool

from pocketsync.clock import FixedClock
from pocketsync.remote import (
    AddLine,
    AddQty,
    Envelope,
    Hlc,
    OpStatus,
    PullRequest,
    PushRequest,
    RemoteStateServer,
    RemoteView,
    RemoveLine,
    SetNote,
    SetQty,
)
from pocketsync.remote.replay import Replica
from pocketsync.serverdb import create_server_engine, metadata
from tests.remote.harness import make_rules, new_replica

DEVICES = 3
LINE_SKUS = ("A", "B")
OWNER = "u1"

# (device, action, sku, n); "sync" makes the device push everything and pull.
STEP = st.tuples(
    st.integers(0, DEVICES - 1),
    st.sampled_from(("add_line", "add_qty", "set_qty", "remove_line", "set_note", "sync")),
    st.sampled_from(LINE_SKUS),
    st.integers(1, 9),
)


@dataclass(frozen=True)
class Planned:
    """One operation of the causal history."""

    device: int
    seq: int
    sync: int  # index of the device's last sync before it (-1: none, seen = 0)
    wall_ms: int
    op: AddLine | AddQty | SetQty | RemoveLine | SetNote


@dataclass(frozen=True)
class History:
    ops: tuple[Planned, ...]  # in creation order
    syncs: tuple[int, ...]  # per sync: how many operations (a prefix of ``ops``) it observed


def _op(kind: str, sku: str, n: int) -> AddLine | AddQty | SetQty | RemoveLine | SetNote:
    if kind == "add_line":
        return AddLine(sku, "pc", n, f"note {n}" if n % 3 == 0 else "")
    if kind == "add_qty":
        return AddQty(sku, "pc", n)  # positive: no minimum-quantity correction (see docs)
    if kind == "set_qty":
        return SetQty(sku, "pc", n)
    if kind == "remove_line":
        return RemoveLine(sku, "pc")
    return SetNote(sku, "pc", "" if n == 9 else f"note {n}")


def build_history(steps: Sequence[tuple[int, str, str, int]], skews: Sequence[int]) -> History:
    ops: list[Planned] = []
    syncs: list[int] = []
    last_sync = [-1] * DEVICES
    seqs = [0] * DEVICES
    for device, kind, sku, n in steps:
        if kind == "sync":
            syncs.append(len(ops))
            last_sync[device] = len(syncs) - 1
            continue
        s = last_sync[device]
        observed = list(ops[: syncs[s]]) if s >= 0 else []
        observed += [p for p in ops if p.device == device]
        wall = 10_000 + 10 * len(ops) + skews[device]
        wall = max([wall, *(p.wall_ms + 1 for p in observed)])  # HLC: later than what it saw
        seqs[device] += 1
        ops.append(Planned(device, seqs[device], s, wall, _op(kind, sku, n)))
    return History(tuple(ops), tuple(syncs))


def interleave(history: History, rng: random.Random | None) -> list[tuple[int, Planned]]:
    """A delivery order: ``(barrier, op)`` pairs, ``barrier`` = syncs completed before ``op``.

    Within each stretch between syncs the devices' operations are shuffled (``rng``) keeping
    each device's own order; ``rng=None`` keeps creation order.
    """
    out: list[tuple[int, Planned]] = []
    bounds = [*history.syncs, len(history.ops)]
    start = 0
    for barrier, end in enumerate(bounds):
        queues = [[p for p in history.ops[start:end] if p.device == d] for d in range(DEVICES)]
        chunk: list[Planned] = []
        if rng is None:
            chunk = list(history.ops[start:end])
        else:
            while any(queues):
                chunk.append(rng.choice([q for q in queues if q]).pop(0))
        out.extend((barrier, p) for p in chunk)
        start = max(start, end)
    return out


def _device_id(device: int) -> bytes:
    return bytes([device + 1]) * 16


def _envelope(p: Planned, cookies: list[int]) -> Envelope:
    return Envelope(p.seq, Hlc(p.wall_ms, 0), cookies[p.sync] if p.sync >= 0 else 0, p.op)


def replay_pure(history: History, rng: random.Random | None) -> RemoteView:
    replica = new_replica(FixedClock())
    rules = make_rules().rules
    cookies: list[int] = []
    for barrier, p in interleave(history, rng):
        while len(cookies) < min(barrier, len(history.syncs)):
            cookies.append(replica.version)  # a sync's cookie: the version when it pulled
        replica.apply(_envelope(p, cookies), _device_id(p.device), rules)
    return replica.view(rules)


def replay_server(history: History, rng: random.Random | None) -> RemoteView:
    engine = create_server_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    metadata.create_all(engine)
    server = RemoteStateServer(engine, clock=FixedClock(), rules=make_rules())
    for d in range(DEVICES):  # every device is known (and holds collection back) from the start
        server.pull(OWNER, PullRequest(_device_id(d), None))
    observer = b"\xee" * 16
    cookies: list[int] = []
    for barrier, p in interleave(history, rng):
        while len(cookies) < min(barrier, len(history.syncs)):
            cookies.append(server.pull(OWNER, PullRequest(observer, None)).cookie)
        server.push(OWNER, PushRequest(_device_id(p.device), (_envelope(p, cookies),)))
    view = server.view(OWNER)
    engine.dispose()
    return view


HISTORIES = st.builds(
    build_history,
    st.lists(STEP, min_size=1, max_size=28),
    st.lists(st.integers(-40, 40), min_size=DEVICES, max_size=DEVICES),
)


@settings(max_examples=400, deadline=None)
@given(
    history=HISTORIES, orders=st.lists(st.randoms(use_true_random=False), min_size=2, max_size=2)
)
def test_replica_result_does_not_depend_on_arrival_order(
    history: History, orders: list[random.Random]
) -> None:
    want = replay_pure(history, None)
    for rng in orders:
        assert replay_pure(history, rng) == want


@settings(max_examples=30, deadline=None)
@given(history=HISTORIES, rng=st.randoms(use_true_random=False))
def test_server_result_does_not_depend_on_arrival_order(
    history: History, rng: random.Random
) -> None:
    want = replay_server(history, None)
    assert replay_server(history, rng) == want
    assert replay_pure(history, None) == want


# -- the reported case, both arrival orders ---------------------------------------------------


def _two_device_example(device_1_first: bool) -> tuple[Replica, list[OpStatus]]:
    """Device 1 adds +3 then types 5 (stamp t1); device 2, which never saw the +3, types 7
    later (t2 > t1). Both had pulled the line holding 2."""
    replica = new_replica(FixedClock())
    rules = make_rules().rules
    web, d1, d2 = b"w" * 16, b"1" * 16, b"2" * 16
    replica.apply(Envelope(1, Hlc(1_000, 0), 0, AddLine("A", "pc", 2)), web, rules)
    seen = replica.version
    device_1 = [
        Envelope(1, Hlc(2_000, 0), seen, AddQty("A", "pc", 3)),
        Envelope(2, Hlc(2_001, 0), seen, SetQty("A", "pc", 5)),
    ]
    device_2 = [Envelope(1, Hlc(3_000, 0), seen, SetQty("A", "pc", 7))]
    batches = [(d1, device_1), (d2, device_2)]
    statuses = []
    for who, batch in batches if device_1_first else batches[::-1]:
        statuses += [replica.apply(env, who, rules).status for env in batch]
    return replica, statuses


def test_set_replaces_what_it_observed_in_either_arrival_order() -> None:
    for device_1_first in (True, False):
        replica, _ = _two_device_example(device_1_first)
        assert replica.lines[("A", "pc")].qty == 7, device_1_first


def test_losing_set_still_consumes_the_adds_it_observed() -> None:
    """Device 2's 7 arrives first; device 1's +3 shows for a moment (10); device 1's older 5
    then loses to the 7 but takes the +3 it had decided about with it."""
    replica, statuses = _two_device_example(device_1_first=False)
    assert statuses == [OpStatus.APPLIED, OpStatus.APPLIED, OpStatus.SUPERSEDED]
    line = replica.lines[("A", "pc")]
    assert (line.qty, line.adds) == (7, [])


def _both_orders(
    prefix: list[tuple[bytes, Envelope]], batches: list[list[tuple[bytes, Envelope]]]
) -> list[Replica]:
    out = []
    for order in (batches, batches[::-1]):
        replica = new_replica(FixedClock())
        rules = make_rules().rules
        for who, env in prefix + [x for batch in order for x in batch]:
            replica.apply(env, who, rules)
        out.append(replica)
    return out


def test_removal_clears_a_concurrent_note_in_either_order() -> None:
    """docs/merge.md R5 example b: P removes offline; W adds +2 and writes a note."""
    web, phone = b"w" * 16, b"p" * 16
    prefix = [(web, Envelope(1, Hlc(1_000, 0), 0, AddLine("A", "pc", 10)))]
    w_ops = [
        (web, Envelope(2, Hlc(2_000, 0), 1, AddQty("A", "pc", 2))),
        (web, Envelope(3, Hlc(2_001, 0), 1, SetNote("A", "pc", "urgent"))),
    ]
    p_ops = [(phone, Envelope(1, Hlc(1_500, 0), 1, RemoveLine("A", "pc")))]
    for replica in _both_orders(prefix, [w_ops, p_ops]):
        line = replica.lines[("A", "pc")]
        assert (line.present, line.qty, line.note) == (True, 2, "")


def test_cleared_winning_set_still_outranks_older_sets_in_either_order() -> None:
    """W types 8 (10:00) and later removes the line; P typed 5 offline at 09:00 and a +1."""
    web, phone = b"w" * 16, b"p" * 16
    prefix = [(web, Envelope(1, Hlc(1_000, 0), 0, AddLine("A", "pc", 2)))]
    w_ops = [
        (web, Envelope(2, Hlc(3_000, 0), 1, SetQty("A", "pc", 8))),
        (web, Envelope(3, Hlc(3_001, 0), 1, RemoveLine("A", "pc"))),
    ]
    p_ops = [
        (phone, Envelope(1, Hlc(2_000, 0), 1, SetQty("A", "pc", 5))),
        (phone, Envelope(2, Hlc(2_001, 0), 1, AddQty("A", "pc", 1))),
    ]
    for replica in _both_orders(prefix, [w_ops, p_ops]):
        line = replica.lines[("A", "pc")]
        assert (line.present, line.qty) == (True, 1)  # only P's unobserved +1 survives
