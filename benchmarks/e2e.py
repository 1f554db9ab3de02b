"""The end-to-end part of ``initial_sync.py``: the wait a user sees, over real HTTP.

Two clients load the benchmark's catalog from servers on loopback, in the same run as the
in-process floor:

* **e2e** — ``pocketsync-server serve`` (a subprocess, the reference server as a user
  starts it) over the benchmark's own server database, migrated by
  ``pocketsync-server migrate``, signing with the benchmark's key. A :class:`PocketSyncClient`
  in a fresh folder logs in as a B2B customer on the benchmark's price list, syncs
  (manifest, chunks over HTTP, verify, apply, search index) and answers a first search.
  The server's bundles are built once before timing (as after a publish); that build,
  through the server's own manifest endpoint, is reported separately.
* **naive** — the way many apps do it: JSON pages of 100 rows per request from
  ``naive_server.py`` (same database, a benchmark-only app), an ``httpx`` client with
  keep-alive, one request and one SQLite transaction per page, into the store's own
  tables and indexes (search index included, kept by its triggers), then the same
  first search.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgpack
from sqlalchemy import Engine, text

from client_ref.server_process import ServerProcess, free_port, run_server_command
from pocketsync.accounts import AdminPrincipal, AdminService, Conflict, FileMailer
from pocketsync.bundle import TABLES, SigningKey
from pocketsync.client import PocketSyncClient, SyncProgress
from pocketsync.clock import SystemClock
from pocketsync.store import queries as store_queries
from pocketsync.store import schema as store_schema

__all__ = [
    "LOGIN",
    "PASSWORD",
    "create_customer",
    "measure_e2e",
    "measure_naive",
    "prepare_server_dir",
]

LOGIN = "bench-buyer@example.com"
PASSWORD = "bench-sync-password-7"
FIRST_QUERY = "hinge"  # a word of every generated catalog's product names (sample.py)
PAGE_ROWS = 100
SYNCHRONOUS = {"FULL": "FULL", "NORMAL": "NORMAL"}  # the naive client's choices, verbatim
_ACTOR = AdminPrincipal(
    admin_id="benchmark", login="benchmark", display_name="benchmark", session_id="-"
)
_BUILD_TABLES = ("catalog_build_chunks", "catalog_builds", "catalog_chunks")


# -- server database -----------------------------------------------------------------------


def prepare_server_dir(data_dir: Path, key: SigningKey) -> str:
    """A ``pocketsync-server`` data folder whose database is migrated and whose signing key
    is ``key``; returns the database URL.

    The schema comes from ``pocketsync-server migrate`` (not ``metadata.create_all``) so
    the served database is exactly what a user's server would run on. The key is the
    benchmark's fixed one so the in-process part and the server sign alike.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    run_server_command(data_dir, "migrate")
    key_file = data_dir / "signing.key"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        os.fchmod(out.fileno(), 0o600)  # the server refuses a key file others can read
        out.write(key.seed().hex() + "\n")
    return f"sqlite:///{data_dir / 'server.db'}"


def create_customer(engine: Engine, data_dir: Path, customer_id: str, price_list_id: str) -> None:
    """A B2B customer on ``price_list_id`` with one app user (LOGIN / PASSWORD)."""
    outbox = data_dir / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    admin = AdminService(engine, clock=SystemClock(), mailer=FileMailer(outbox / "mail.txt"))
    with contextlib.suppress(Conflict):  # --keep: created by an earlier run
        admin.create_customer(
            _ACTOR,
            company_name="Benchmark Trading Ltd",
            account_number="BENCH-0001",
            price_list_id=price_list_id,
            account_type="b2b",
            customer_id=customer_id,
        )
    with contextlib.suppress(Conflict):
        admin.create_user(
            _ACTOR,
            customer_id,
            login=LOGIN,
            display_name="Benchmark buyer",
            email=LOGIN,
            initial_password=PASSWORD,
            must_change_password=False,
        )


def clear_builds(engine: Engine) -> None:
    """Forget every built bundle so the next manifest request builds from nothing."""
    with engine.begin() as conn:
        for table in _BUILD_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))


# -- e2e -----------------------------------------------------------------------------------


def _warm_build(url: str) -> float:
    """Log in and ask for a first manifest once, so the server builds (and caches) the
    snapshot's chunks as a publish would leave them; returns that request's seconds."""
    with httpx.Client(base_url=url, timeout=600) as http:
        answer = http.post(
            "/v1/auth/login",
            json={"login": LOGIN, "password": PASSWORD, "channel": "app", "device_id": "warm-up"},
        )
        answer.raise_for_status()
        token = answer.json()["access_token"]
        start = time.perf_counter()
        manifest = http.post(
            "/v1/sync/manifest",
            content=msgpack.packb({"cursors": {}}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/msgpack"},
        )
        seconds = time.perf_counter() - start
        manifest.raise_for_status()
    return seconds


class _PhaseClock:
    """Wall time at which each sync phase first reported (from the progress callback)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    def __call__(self, p: SyncProgress) -> None:
        self.at.setdefault(p.phase, time.perf_counter())


def _one_e2e(url: str, public_key_hex: str, folder: Path) -> dict[str, float]:
    """One timed run into an empty folder; returns the total and its phases in seconds."""
    shutil.rmtree(folder, ignore_errors=True)
    phases = _PhaseClock()
    start = time.perf_counter()
    with PocketSyncClient(folder, url, [public_key_hex]) as client:
        opened = time.perf_counter()
        client.login(LOGIN, PASSWORD)
        logged_in = time.perf_counter()
        client.sync(progress=phases)
        synced = time.perf_counter()
        found = client.search(FIRST_QUERY)
        answered = time.perf_counter()
    if not found:
        raise RuntimeError(f"the first search for {FIRST_QUERY!r} found nothing")
    at = phases.at
    download = at.get("download", synced)
    apply = at.get("apply", synced)
    index = at.get("index", at.get("done", synced))
    done = at.get("done", synced)
    return {
        "total": answered - start,
        "open": opened - start,
        "login": logged_in - opened,
        # push of the (empty) outbox + manifest request + planning, up to the first chunk
        "manifest": download - logged_in,
        "download": apply - download,
        "apply": index - apply,
        "index": done - index,
        # remote-state pull after the catalog, and bookkeeping
        "after_catalog": synced - done,
        "query": answered - synced,
    }


def _count_rows(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return sum(
            int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]) for name in TABLES
        )
    finally:
        conn.close()


def measure_e2e(
    engine: Engine, data_dir: Path, work: Path, public_key_hex: str, rows: int, repeat: int
) -> dict[str, Any]:
    """Median of ``repeat`` end-to-end initial syncs against a real server process.

    Returns ``e2e_s``, ``e2e_rows_per_s``, ``e2e_build_s`` (the warm-up build through the
    server's manifest endpoint, not part of ``e2e_s``) and the median of each phase.
    """
    clear_builds(engine)
    runs: list[dict[str, float]] = []
    with ServerProcess(data_dir) as server:
        build_s = _warm_build(server.url)
        for i in range(repeat):
            folder = work / f"e2e-client-{i}"
            runs.append(_one_e2e(server.url, public_key_hex, folder))
            loaded = _count_rows(folder / "catalog" / "catalog.db")
            if loaded != rows:
                raise RuntimeError(f"e2e client holds {loaded} rows, expected {rows}")
            shutil.rmtree(folder, ignore_errors=True)
    e2e_s = statistics.median(r["total"] for r in runs)
    return {
        "e2e_s": round(e2e_s, 3),
        "e2e_rows_per_s": int(rows / e2e_s),
        "e2e_build_s": round(build_s, 3),
        "e2e_phases_s": {
            k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0] if k != "total"
        },
        "e2e_repeat": repeat,
    }


# -- naive ---------------------------------------------------------------------------------


@contextlib.contextmanager
def naive_server(db_path: Path, log: Path) -> Iterator[str]:
    """``naive_server.py`` as a uvicorn subprocess on a free loopback port; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("naive_server.py")),
                "--db",
                str(db_path),
                "--port",
                str(port),
                "--mail-outbox",
                str(log.with_name("naive-mail.txt")),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the naive server exited; see {log}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the naive server did not answer; see {log}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _open_naive_db(path: Path, synchronous: str) -> sqlite3.Connection:
    """The naive app's database: the store's tables and every index from the start.

    WAL, like the store's own database. ``synchronous`` FULL (SQLite's default, and what
    the store's delta transactions use) makes each page's commit durable, which is what
    "a commit per page" costs a real app; NORMAL skips the fsync per commit.
    """
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS[synchronous]}")
    conn.execute("BEGIN")
    store_schema.create_tables(conn)
    store_schema.create_indexes(conn)
    conn.execute("COMMIT")
    return conn


@dataclass(slots=True)
class _NaiveRun:
    """One naive initial sync: its (possibly extrapolated) seconds, rows loaded, and the
    measured seconds spent waiting for pages (request, server, JSON parse) and in SQLite."""

    seconds: float = 0.0
    rows: int = 0
    http_s: float = 0.0
    sqlite_s: float = 0.0


def _one_naive(
    url: str,
    db_path: Path,
    expected: dict[str, int],
    fraction: float,
    paging: str,
    synchronous: str,
) -> _NaiveRun:
    """One naive initial sync.

    With ``fraction`` < 1 only the first ``fraction`` of each table's pages are loaded and
    each table's time is scaled up to all of its rows (linear extrapolation; with OFFSET
    paging this underestimates, since later pages cost the server more).
    """
    run = _NaiveRun()
    total = 0.0
    loaded = 0
    start = time.perf_counter()
    conn = _open_naive_db(db_path, synchronous)
    with httpx.Client(base_url=url, timeout=60) as http:  # one keep-alive connection
        answer = http.post(
            "/login", json={"login": LOGIN, "password": PASSWORD, "device_id": "naive-client"}
        )
        answer.raise_for_status()
        http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        total += time.perf_counter() - start
        for name, spec in TABLES.items():
            want = math.ceil(expected[name] * fraction)
            sql = store_schema.insert_sql(spec)
            columns = spec.column_names
            table_start = time.perf_counter()
            table_rows = 0
            after: list[Any] | None = None
            while table_rows < want:
                t0 = time.perf_counter()
                params: dict[str, str | int] = {"limit": PAGE_ROWS}
                if paging == "offset":
                    params["offset"] = table_rows
                elif after is not None:
                    params["after"] = json.dumps(after, separators=(",", ":"))
                answer = http.get(f"/rows/{name}", params=params)
                answer.raise_for_status()
                body = answer.json()
                t1 = time.perf_counter()
                page = [tuple(obj[c] for c in columns) for obj in body["rows"]]
                conn.execute("BEGIN")
                conn.executemany(sql, page)
                conn.execute("COMMIT")
                run.http_s += t1 - t0
                run.sqlite_s += time.perf_counter() - t1
                table_rows += len(page)
                after = body["next"]
                if after is None:
                    break
            elapsed = time.perf_counter() - table_start
            total += elapsed * (expected[name] / table_rows if table_rows else 1.0)
            loaded += table_rows
    start = time.perf_counter()
    found = store_queries.search_products(conn, FIRST_QUERY)
    total += time.perf_counter() - start
    conn.close()
    if not found:
        raise RuntimeError(f"the naive client's search for {FIRST_QUERY!r} found nothing")
    run.seconds, run.rows = total, loaded
    return run


def measure_naive(
    db_path: Path,
    work: Path,
    expected: dict[str, int],
    *,
    repeat: int = 1,
    fraction: float = 1.0,
    paging: str = "keyset",
    synchronous: str = "FULL",
) -> dict[str, Any]:
    """Median of ``repeat`` naive initial syncs of the ``expected`` rows per table, as the
    benchmark's customer (LOGIN, created by :func:`create_customer`)."""
    rows = sum(expected.values())
    runs: list[_NaiveRun] = []
    with naive_server(db_path, work / "naive-server.log") as url:
        for _ in range(repeat):
            run = _one_naive(url, work / "naive.db", expected, fraction, paging, synchronous)
            if fraction >= 1.0 and run.rows != rows:
                raise RuntimeError(f"the naive client loaded {run.rows} rows, expected {rows}")
            runs.append(run)
    mid = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]  # the median run (odd repeat)
    return {
        "naive_s": round(mid.seconds, 3),
        "naive_rows_per_s": int(rows / mid.seconds),
        # measured (not extrapolated) parts of that run: waiting for pages, SQLite
        "naive_http_s": round(mid.http_s, 3),
        "naive_sqlite_s": round(mid.sqlite_s, 3),
        "naive_page_rows": PAGE_ROWS,
        "naive_paging": paging,
        "naive_synchronous": synchronous,
        "naive_extrapolated": fraction < 1.0,
        "naive_repeat": repeat,
    }
