"""``pocketshop`` driven as a subprocess against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.client.live import NAMED, PASSWORD, SINGLY, USER, Live


def _run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POCKETSHOP_")}
    env["POCKETSHOP_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "client_ref.cli", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_cli_login_search_cart_status_logout(live: Live, tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _run(home, "status")
    assert done.returncode == 2
    assert "--server" in done.stderr
    done = _run(
        home, "--server", live.url, "--public-key", live.key, "login", USER, "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "logged in as Demo user 1" in done.stdout
    assert "full_reset" in done.stdout
    assert (home / "config.json").exists()  # later runs need no options

    done = _run(home, "search", NAMED.name)
    assert done.returncode == 0
    assert NAMED.sku in done.stdout
    done = _run(home, "show", NAMED.sku)
    assert "from 10:" in done.stdout
    done = _run(home, "cart", "add", SINGLY[0].sku, "3")
    assert done.returncode == 0
    assert "saved" in done.stdout
    done = _run(home, "fav", "add", SINGLY[1].sku)
    assert done.returncode == 0
    done = _run(home, "settings", "page_size", "50")
    assert done.returncode == 0
    done = _run(home, "cart", "show")
    assert f"{SINGLY[0].sku}  3" in done.stdout
    done = _run(home, "status")
    assert "Demo user 1" in done.stdout
    assert "online" in done.stdout
    assert "0 edit(s)" in done.stdout

    live.server.stop()  # the server goes down: the app keeps working from its copy
    done = _run(home, "search", NAMED.name)
    assert done.returncode == 0
    assert NAMED.sku in done.stdout
    done = _run(home, "cart", "add", SINGLY[2].sku)
    assert done.returncode == 0
    assert "offline: queued" in done.stdout
    done = _run(home, "status")
    assert "offline" in done.stdout
    assert "1 edit(s) queued" in done.stdout
    done = _run(home, "sync", "--quiet")
    assert done.returncode == 4
    live.server.start()
    done = _run(home, "sync", "--quiet")
    assert done.returncode == 0, done.stderr

    done = _run(home, "logout")
    assert done.returncode == 0
    assert "catalog wiped" in done.stdout
    assert not list(home.rglob("catalog.db*"))
    done = _run(home, "search", "demo")
    assert done.returncode == 3  # no catalog: log in and sync first
    done = _run(home, "cart", "show")
    assert done.returncode == 3
    assert "login" in done.stderr
