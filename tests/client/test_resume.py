"""Interrupted initial syncs: a killed client process, and a connection cut mid-chunk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.client.live import (
    ALL_ROWS,
    EXPECTED_COUNTS,
    LAST,
    PASSWORD,
    USER,
    Live,
    table_counts,
)
from tests.client.proxy import FlakyProxy


def _cli(home: Path, url: str, key: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "client_ref.cli", "--home", str(home), "--server", url,
            "--public-key", key, *args]  # fmt: skip


def test_sigkill_during_initial_sync_then_resume(live: Live, tmp_path: Path) -> None:
    home = tmp_path / "phone"
    proxy = FlakyProxy(live.server.port)
    try:
        login = subprocess.run(
            _cli(home, proxy.url, live.key, "login", USER, "--password-stdin", "--no-sync"),
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert login.returncode == 0, login.stderr
        proxy.rate_bps = 6000  # the products chunk (~12 KB) takes about two seconds
        child = subprocess.Popen(
            _cli(home, proxy.url, live.key, "sync", "--quiet"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while proxy.chunk_bytes < 5000 and time.monotonic() < deadline:
            assert child.poll() is None, "the sync finished before it could be killed"
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        partial = list((home / "downloads").glob("*.part"))
        assert partial, "a partial chunk is on disk"
        assert partial[0].stat().st_size > 0
        assert not (home / "catalog" / "catalog.db").exists(), "nothing was applied yet"

        proxy.rate_bps = None
        again = subprocess.run(
            _cli(home, proxy.url, live.key, "sync", "--quiet"),
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert proxy.range_requests(), "the cut chunk was resumed with a Range request"
        assert table_counts(home) == EXPECTED_COUNTS
        assert not list((home / "downloads").glob("*.part"))
        status = subprocess.run(
            _cli(home, live.url, live.key, "search", LAST.name),
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert LAST.sku in status.stdout
    finally:
        proxy.close()


def test_dropped_connection_resumes_without_duplicate_apply(live: Live, tmp_path: Path) -> None:
    proxy = FlakyProxy(live.server.port)
    try:
        client = live.client(tmp_path / "phone", url=proxy.url)
        client.login(USER, PASSWORD)
        proxy.drop_after = 4000  # inside the products chunk
        result = client.sync_catalog()
        assert proxy.drops == 1
        assert proxy.range_requests(), "the download continued with Range: bytes=N-"
        assert result.kind == "full_reset"
        assert result.rows_upserted == ALL_ROWS  # every row applied exactly once
        assert table_counts(tmp_path / "phone") == EXPECTED_COUNTS
        assert client.sync_catalog().kind == "noop"
        client.close()
    finally:
        proxy.close()
