"""Crash safety: a child applying a bundle is SIGKILLed at random points.

On reopen the store must be at the old or the new version, never between (cursors and
every row compared), and SQLite's integrity check must pass.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pocketsync.store import CatalogStore
from tests.store.bundles import (
    CUSTOMER,
    KEY,
    NOW_MS,
    Bundle,
    Row,
    apply,
    delta,
    expected_rows,
    make_catalog,
    snapshot,
    store_rows,
)

TRIALS = 50
PRODUCTS = 2000
CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]


def _write_bundle(bundle: Bundle, folder: Path) -> Path:
    (folder / "chunks").mkdir(parents=True)
    (folder / "envelope").write_bytes(bundle.envelope)
    (folder / "public_key").write_bytes(KEY.public_key)
    (folder / "customer").write_text(f"{CUSTOMER} {NOW_MS}")
    for address, data in bundle.chunks.items():
        (folder / "chunks" / address).write_bytes(data)
    return folder


def _run_child(store: Path, bundle: Path, delay: float | None) -> float | None:
    """Run the child; kill it ``delay`` seconds into the apply (None: let it finish)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(store), str(bundle)],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "go"
        if delay is None:
            line = proc.stdout.readline().split()
            proc.wait(timeout=60)
            return float(line[1])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        return None
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _state(folder: Path) -> dict[str, list[Row]]:
    with CatalogStore.open(folder):
        pass  # recovery: stale fresh file, floor reconciliation
    db = folder / "catalog.db"
    if db.exists():
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()
    return store_rows(folder)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["initial", "delta"])
def test_sigkill_during_apply_leaves_old_or_new(tmp_path: Path, kind: str) -> None:
    cat1 = make_catalog(PRODUCTS, 100)
    cat2 = make_catalog(PRODUCTS + 200, 100, seed=2, name_prefix="V2 ")
    base = tmp_path / "base"  # the store at version 1
    with CatalogStore.open(base) as store:
        apply(store, snapshot(cat1, chunk_rows=400))
    old_rows = store_rows(base)
    if kind == "initial":
        bundle = snapshot(cat2, catalog_v=2, prices_v=2, chunk_rows=400)
    else:
        bundle = delta(cat1, cat2, catalog=(1, 2), prices=(1, 2), chunk_rows=400)
    bundle_dir = _write_bundle(bundle, tmp_path / "bundle")
    new_rows = expected_rows(cat2, {"catalog": ("catalog", 2), "prices": ("prices:TRADE-A", 2)})

    def start_state(trial: int) -> tuple[Path, dict[str, list[Row]]]:
        folder = tmp_path / f"t{trial}"
        # Initial sync alternates between an empty folder and a snapshot over v1
        # (the "cursor too old" resync), which swaps out a live file.
        if kind == "initial" and trial % 2 == 0:
            folder.mkdir()
            return folder, {}
        shutil.copytree(base, folder)
        return folder, dict(old_rows)

    calib, _ = start_state(1)
    duration = _run_child(calib, bundle_dir, None)
    assert duration is not None
    assert _state(calib) == new_rows

    rnd = random.Random(1234)
    # Up to 2.5x the calibrated duration: two children run at once on a loaded machine,
    # and the kills should also land in the last steps (swap, commit, floor write).
    delays = [rnd.uniform(0, duration * 2.5) for _ in range(TRIALS)]
    starts = [start_state(i + 2) for i in range(TRIALS)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda i: _run_child(starts[i][0], bundle_dir, delays[i]), range(TRIALS)))

    outcomes = {"old": 0, "new": 0}
    for folder, before in starts:
        after = _state(folder)
        if after == new_rows:
            outcomes["new"] += 1
        else:
            assert after == before, f"{folder.name}: neither the old nor the new version"
            outcomes["old"] += 1
        # Whatever happened, the same bundle applies cleanly afterwards (resume).
        with CatalogStore.open(folder) as store:
            apply(store, bundle)
        assert store_rows(folder) == new_rows
    print(kind, outcomes, f"apply {duration:.3f}s")
    assert outcomes["old"] > 0, outcomes
    assert outcomes["new"] > 0, outcomes
