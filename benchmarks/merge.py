"""Remote-state merge benchmark (issue 3).

Measures, on a SQLite file database:
* ``push_1000_ms``: server-side merge of one push of 1,000 operations (median of repetitions),
  against a floor: the same number of plain INSERTs of the same rows in one transaction;
* ``pull_ms``: a full pull of a 500-line cart (median);
* ``state_bytes_after_churn``: stored state after 100,000 churn operations (adds, sets,
  removes, favourites, settings) from three clients that keep pulling.

Run: ``.venv/bin/python benchmarks/merge.py``. The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from pocketsync.clock import FixedClock
from pocketsync.remote import (
    AddLine,
    AddQty,
    DictProductRules,
    Envelope,
    FavAdd,
    FavRemove,
    Hlc,
    ProductRule,
    PullRequest,
    PushRequest,
    RemoteStateServer,
    RemoveLine,
    SetQty,
    SettingPut,
)
from pocketsync.remote.server_schema import remote_entities
from pocketsync.serverdb import create_server_engine, metadata

REPS = 7


def _server(folder: Path, name: str, clock: FixedClock) -> RemoteStateServer:
    engine = create_server_engine(f"sqlite:///{folder / name}")
    metadata.create_all(engine)
    rules = DictProductRules({f"P{i:05d}": ProductRule(f"P{i:05d}") for i in range(2_000)})
    return RemoteStateServer(engine, clock=clock, rules=rules)


def _ops(rng: random.Random, start: int, n: int, seen: int, ms: int) -> tuple[Envelope, ...]:
    out = []
    for i in range(n):
        sku = f"P{rng.randrange(2_000):05d}"
        kind = rng.random()
        if kind < 0.5:
            op: object = AddLine(sku, "pc", rng.randint(1, 5))
        elif kind < 0.7:
            op = AddQty(sku, "pc", rng.randint(1, 3))
        elif kind < 0.85:
            op = SetQty(sku, "pc", rng.randint(1, 9))
        elif kind < 0.95:
            op = FavAdd(sku, "n")
        else:
            op = SettingPut("page_size", rng.randint(10, 200))
        out.append(Envelope(start + i, Hlc(ms, i), seen, op))  # type: ignore[arg-type]
    return tuple(out)


def bench_push(folder: Path) -> tuple[float, float]:
    clock = FixedClock()
    rng = random.Random(1)
    times, floors = [], []
    for rep in range(REPS):
        server = _server(folder, f"push{rep}.db", clock)
        cid = rep.to_bytes(16, "big")
        req = PushRequest(cid, _ops(rng, 1, 1_000, 0, clock.ms))
        t0 = time.perf_counter()
        server.push("owner", req)
        times.append((time.perf_counter() - t0) * 1000)
        # Floor: the same number of rows, plain INSERTs in one transaction.
        rows = [
            {"owner": "floor", "kind": "line", "k1": f"F{i:05d}", "k2": "pc", "version": i,
             "present": True, "body": os.urandom(60)}
            for i in range(1_000)
        ]  # fmt: skip
        engine = server._engine
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO remote_owners VALUES ('floor', 0, 0, 0, 0)")
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(remote_entities), rows)
        floors.append((time.perf_counter() - t0) * 1000)
        engine.dispose()
    return statistics.median(times), statistics.median(floors)


def bench_pull(folder: Path) -> float:
    clock = FixedClock()
    server = _server(folder, "pull.db", clock)
    ops = tuple(
        Envelope(i + 1, Hlc(clock.ms, i), 0, AddLine(f"P{i:05d}", "pc", 1 + i % 7))
        for i in range(500)
    )
    server.push("owner", PushRequest(b"\x01" * 16, ops))
    times = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        resp = server.pull("owner", PullRequest(b"\x01" * 16, None))
        times.append((time.perf_counter() - t0) * 1000)
        assert len(resp.lines) == 500
    return statistics.median(times)


def bench_churn(folder: Path, total: int = 100_000) -> tuple[int, object]:
    clock = FixedClock()
    server = _server(folder, "churn.db", clock)
    rng = random.Random(7)
    clients = [bytes([i]) * 16 for i in range(1, 4)]
    seqs = dict.fromkeys(clients, 0)
    cookie: dict[bytes, int | None] = dict.fromkeys(clients, None)
    done = 0
    while done < total:
        cid = rng.choice(clients)
        batch = []
        seen = cookie[cid] or 0
        for _ in range(200):
            seqs[cid] += 1
            sku = f"P{rng.randrange(300):05d}"
            r = rng.random()
            if r < 0.35:
                op: object = AddLine(sku, "pc", rng.randint(1, 3))
            elif r < 0.5:
                op = SetQty(sku, "pc", rng.randint(1, 9))
            elif r < 0.8:
                op = RemoveLine(sku, "pc")
            elif r < 0.9:
                op = FavAdd(sku, "n")
            else:
                op = FavRemove(sku)
            batch.append(Envelope(seqs[cid], Hlc(clock.ms, len(batch)), seen, op))  # type: ignore[arg-type]
        server.push("owner", PushRequest(cid, tuple(batch)))
        done += len(batch)
        clock.advance(1_000)
        for c in clients:
            cookie[c] = server.pull("owner", PullRequest(c, cookie[c])).cookie
    stats = server.stats("owner")
    return stats.stored_bytes, stats


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        push_ms, floor_ms = bench_push(folder)
        print(
            f"push of 1,000 ops: median {push_ms:.1f} ms"
            f" (floor: 1,000 plain INSERTs {floor_ms:.1f} ms)"
        )
        pull_ms = bench_pull(folder)
        print(f"full pull of a 500-line cart: median {pull_ms:.1f} ms")
        size, stats = bench_churn(folder)
        print(f"after 100,000 churn ops: {stats}")
    result = {
        "push_1000_ms": round(push_ms, 2),
        "push_floor_1000_inserts_ms": round(floor_ms, 2),
        "push_ratio_to_floor": round(push_ms / floor_ms, 2),
        "pull_ms": round(pull_ms, 2),
        "state_bytes_after_churn": size,
        "python": sys.version.split()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
