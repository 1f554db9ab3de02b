"""Fixtures: a prepared server template per session and a live server process per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from client_ref.server_process import ServerSetup
from tests.client.live import Live, live_server, template


@pytest.fixture(scope="session")
def server_template(tmp_path_factory: pytest.TempPathFactory) -> ServerSetup:
    return template(tmp_path_factory)


@pytest.fixture
def live(server_template: ServerSetup, tmp_path: Path) -> Iterator[Live]:
    yield from live_server(server_template, tmp_path)
