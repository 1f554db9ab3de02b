"""pocketsync: an offline-first sync engine for B2B shop apps.

The package root re-exports the entry points of each concern; everything else lives in
its concern's package (``pocketsync.bundle``, ``.catalog``, ``.store``, ``.remote``,
``.accounts``, ``.client``, ``.serverdb``), each with its own ``__all__``.

Names are imported on first use (PEP 562), so ``import pocketsync`` stays cheap and an
app that embeds only the client never loads the server side (SQLAlchemy, Argon2).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pocketsync.errors import (
    AccountError,
    BundleError,
    CatalogError,
    ConfigurationError,
    PocketSyncError,
    RemoteStateError,
    StoreError,
    TransportError,
)

if TYPE_CHECKING:
    from pocketsync.accounts import AccountService, AdminService, Principal
    from pocketsync.bundle import SigningKey, TrustedKeys
    from pocketsync.catalog import (
        CatalogServer,
        Category,
        PriceBreak,
        PriceList,
        Product,
        Publisher,
    )
    from pocketsync.client import PocketSyncClient
    from pocketsync.clock import Clock, FixedClock, SystemClock
    from pocketsync.remote import RemoteStateClient, RemoteStateServer
    from pocketsync.serverdb import create_server_engine
    from pocketsync.store import CatalogStore

__all__ = [
    "AccountError",
    "AccountService",
    "AdminService",
    "BundleError",
    "CatalogError",
    "CatalogServer",
    "CatalogStore",
    "Category",
    "Clock",
    "ConfigurationError",
    "FixedClock",
    "PocketSyncClient",
    "PocketSyncError",
    "PriceBreak",
    "PriceList",
    "Principal",
    "Product",
    "Publisher",
    "RemoteStateClient",
    "RemoteStateError",
    "RemoteStateServer",
    "SigningKey",
    "StoreError",
    "SystemClock",
    "TransportError",
    "TrustedKeys",
    "create_server_engine",
]

_LAZY = {
    "AccountService": "pocketsync.accounts",
    "AdminService": "pocketsync.accounts",
    "Principal": "pocketsync.accounts",
    "SigningKey": "pocketsync.bundle",
    "TrustedKeys": "pocketsync.bundle",
    "CatalogServer": "pocketsync.catalog",
    "Category": "pocketsync.catalog",
    "PriceBreak": "pocketsync.catalog",
    "PriceList": "pocketsync.catalog",
    "Product": "pocketsync.catalog",
    "Publisher": "pocketsync.catalog",
    "PocketSyncClient": "pocketsync.client",
    "Clock": "pocketsync.clock",
    "FixedClock": "pocketsync.clock",
    "SystemClock": "pocketsync.clock",
    "RemoteStateClient": "pocketsync.remote",
    "RemoteStateServer": "pocketsync.remote",
    "create_server_engine": "pocketsync.serverdb",
    "CatalogStore": "pocketsync.store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pocketsync' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
