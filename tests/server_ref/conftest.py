"""A real uvicorn on a loopback port per test, over SQLite and PostgreSQL.

``live`` migrates a fresh database (``server_ref.db.upgrade``, the code path of
``pocketsync-server migrate``), builds the app with an adjustable clock and an in-memory
mailer, and serves it from a thread on 127.0.0.1 (port chosen by the OS). Tests talk to
it with httpx only; the library services are reachable for setup (publishing a catalog).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from pocketsync.accounts import MemoryMailer
from pocketsync.bundle import SigningKey
from server_ref.app import create_app
from server_ref.config import ServerConfig
from server_ref.db import upgrade
from server_ref.services import Services

ADMIN_LOGIN = "root@example.com"
ADMIN_PASSWORD = "admin pass phrase 7"
SEED = bytes(range(32))


@dataclass
class OffsetClock:
    """The real clock plus an offset tests can move forward (token expiry)."""

    offset_ms: int = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def advance(self, ms: int) -> None:
        self.offset_ms += ms


@dataclass
class Live:
    """A running server: its URL, a client, and the objects behind it."""

    url: str
    client: httpx.Client
    services: Services
    clock: OffsetClock
    mailer: MemoryMailer
    database_url: str
    extra: dict[str, Any] = field(default_factory=dict)


def serve_in_thread(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, int(port)


def server_config(database_url: str, tmp_path: Path) -> ServerConfig:
    return ServerConfig(
        database_url=database_url,
        signing_key_file=tmp_path / "signing.key",
        mail_outbox=tmp_path / "outbox",
        cookie_secure="false",
        reset_url="http://127.0.0.1/reset?token={token}",
    )


@pytest.fixture
def live(server_url: str, tmp_path: Path) -> Iterator[Live]:
    upgrade(server_url)
    clock, mailer = OffsetClock(), MemoryMailer()
    app = create_app(
        server_config(server_url, tmp_path),
        clock=clock,
        mailer=mailer,
        signing_key=SigningKey.from_seed(SEED),
    )
    server, thread, port = serve_in_thread(app)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=30)
    try:
        yield Live(url, client, app.state.services, clock, mailer, server_url)
    finally:
        client.close()
        server.should_exit = True
        thread.join(timeout=20)
