"""Shared fixtures: server databases on SQLite and (when configured) PostgreSQL.

PostgreSQL tests read their URL from ``POCKETSYNC_TEST_PG_URL`` (``.ci/run`` sets it to
the local server); without it they skip with that reason. Each test gets its own
PostgreSQL schema, dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine

from pocketsync.clock import FixedClock
from pocketsync.serverdb import create_server_engine, metadata
from tests.support.databases import PG_URL_ENV, database_url, pg_url

# `HYPOTHESIS_PROFILE=ci` (.ci/run) runs the expensive property tests longer; see DEVELOPERS.md.
settings.register_profile("ci", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
CI_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") == "ci"

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                pg_url() is None,
                reason=f"{PG_URL_ENV} is not set; set it to a PostgreSQL URL to run these",
            ),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """'sqlite', or 'postgresql' when POCKETSYNC_TEST_PG_URL is set."""
    return str(request.param)


@pytest.fixture
def server_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """URL of an empty server database on each backend."""
    with database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
def server_engine(server_url: str) -> Iterator[Engine]:
    """An engine on an empty database with every table registered on the metadata.

    Tables register when their module is imported, so a test module that imports
    ``pocketsync.catalog`` gets the catalog tables.
    """
    engine = create_server_engine(server_url)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """A clock that only moves when the test advances it."""
    return FixedClock()
