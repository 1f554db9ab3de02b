"""A smoke run of ``make demo`` on a small catalog."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_keeps_every_promise() -> None:
    env = dict(os.environ, DEMO_PRODUCTS="2000")
    done = subprocess.run(
        [sys.executable, "-m", "client_ref.demo"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "promises kept" in done.stdout
    assert "✗" not in done.stdout
