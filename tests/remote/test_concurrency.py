"""Concurrent pushes for one owner (the owner-row lock), on SQLite and PostgreSQL.

Several threads push for the same owner from different client ids at once, each through an
engine of its own (as separate server processes would), and some pushes are sent twice (a
lost answer). The pushes are serialised by the owner-row lock (``SELECT ... FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite); the server HLC each answer carries is ticked
inside that lock, so it tells the order the transactions committed in. Afterwards every
operation is applied exactly once, and replaying the same pushes one by one in that order on a
fresh database gives the same answers and the same state.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.pool import StaticPool

from pocketsync.clock import FixedClock
from pocketsync.remote import (
    AddLine,
    AddQty,
    Envelope,
    FavAdd,
    FavRemove,
    Hlc,
    Op,
    PushRequest,
    PushResponse,
    RemoteStateServer,
    RemoveLine,
    SetQty,
    SettingPut,
)
from pocketsync.remote.server_schema import remote_clients
from pocketsync.serverdb import create_server_engine, metadata
from tests.remote.harness import make_rules

OWNER = "u1"
THREADS = 6
PUSHES = 8  # per thread
LINE_SKUS = ("A", "B", "C")


def _op(rng: random.Random, n: int) -> Op:
    """A random operation on a few shared lines, favourites and one setting (they collide)."""
    sku = rng.choice(LINE_SKUS)
    roll = rng.random()
    if roll < 0.35:
        return AddLine(sku, "pc", rng.randint(1, 5))
    if roll < 0.5:
        return AddQty(sku, "pc", rng.randint(1, 3))
    if roll < 0.62:
        return SetQty(sku, "pc", rng.randint(1, 9))
    if roll < 0.72:
        return RemoveLine(sku, "pc")
    if roll < 0.82:
        return FavAdd(rng.choice(("A", "D")), rng.choice(("b", "m", "mm", "z")))
    if roll < 0.9:
        return FavRemove(rng.choice(("A", "D")))
    return SettingPut("page_size", 10 + n)


def _batches(index: int, clock: FixedClock) -> list[PushRequest]:
    """One client's pushes: sequence numbers 1, 2, ... in batches of 1 to 5 operations."""
    rng = random.Random(index)
    cid = bytes([index + 1]) * 16
    seq, out = 0, []
    for _ in range(PUSHES):
        envs = []
        for _ in range(rng.randint(1, 5)):
            seq += 1
            # Distinct stamps: wall time by step, the counter says which client.
            hlc = Hlc(clock.ms - 10_000 + seq * 10 + rng.randint(0, 9), index)
            envs.append(Envelope(seq, hlc, 0, _op(rng, seq * 10 + index)))
        out.append(PushRequest(cid, tuple(envs)))
    return out


def test_concurrent_pushes_for_one_owner_apply_once_in_a_serial_order(
    server_url: str, clock: FixedClock
) -> None:
    setup = create_server_engine(server_url)
    metadata.create_all(setup)
    plans = [_batches(i, clock) for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    answers: list[tuple[Hlc, PushRequest, PushResponse]] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        engine = create_server_engine(server_url)  # its own connections, like another process
        server = RemoteStateServer(engine, clock=clock, rules=make_rules())
        rng = random.Random(100 + index)
        try:
            start.wait(timeout=30)
            for request in plans[index]:
                sends = 2 if rng.random() < 0.3 else 1  # the first answer was "lost"
                for _ in range(sends):
                    answer = server.push(OWNER, request)
                    with lock:
                        answers.append((answer.server_hlc, request, answer))
        finally:
            engine.dispose()

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(client, i) for i in range(THREADS)]:
            future.result(timeout=120)

    # The owner-row lock serialises the pushes: every answer's server HLC is distinct.
    order = sorted(answers, key=lambda a: a[0])
    assert len({a[0] for a in answers}) == len(answers)

    # Exactly once: each client's high-water mark is its last sequence number, a repeated
    # push got the first answer again, and every operation has exactly one result.
    with setup.connect() as conn:
        rows = conn.execute(select(remote_clients.c.client_id, remote_clients.c.last_seq))
        marks = {bytes(r.client_id): r.last_seq for r in rows}
    assert marks == {p[0].client_id: p[-1].ops[-1].seq for p in plans}
    first: dict[tuple[bytes, int], PushResponse] = {}
    for _, request, answer in order:
        key = (request.client_id, request.ops[0].seq)
        assert answer.last_seq == request.ops[-1].seq
        assert [r.seq for r in answer.results] == [e.seq for e in request.ops]
        assert first.setdefault(key, answer).results == answer.results

    # The same pushes one by one, in the order the locks granted them, on a fresh database.
    engine = create_server_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    metadata.create_all(engine)
    serial = RemoteStateServer(engine, clock=clock, rules=make_rules())
    for _, request, answer in order:
        assert serial.push(OWNER, request).results == answer.results
    concurrent = RemoteStateServer(setup, clock=clock, rules=make_rules())
    assert concurrent.view(OWNER) == serial.view(OWNER)
    assert concurrent.view(OWNER).lines  # the test really moved data
    engine.dispose()
    setup.dispose()
