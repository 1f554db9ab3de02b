"""Fixtures for catalog tests: a catalog server over the test database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pocketsync.catalog import CatalogServer
from pocketsync.clock import FixedClock
from tests.catalog.support import KEY


@pytest.fixture
def catalog_server(server_engine: Engine, clock: FixedClock) -> CatalogServer:
    """A CatalogServer with small chunks, so tests see several chunks per table."""
    return CatalogServer(server_engine, KEY, clock=clock, chunk_rows=7)
