"""The pocketsync error tree.

Every exception the library raises on purpose derives from :class:`PocketSyncError`.
Each concern owns a family; leaf classes live next to the code that raises them
(``pocketsync.bundle.errors``, ``pocketsync.store.errors``, ...) and are re-exported
from that concern's package (``pocketsync.bundle.RollbackError``). Third-party exceptions
(zstandard, msgpack, cryptography, sqlite3, SQLAlchemy, httpx) are translated at the seam
with ``raise ... from exc``.

::

    PocketSyncError
    ├── BundleError            a bundle or chunk was rejected (pocketsync.bundle.errors)
    ├── StoreError             the local catalog store could not do what was asked
    ├── CatalogError           server-side catalog / publisher problems
    ├── RemoteStateError       cart, favourites and settings sync (pocketsync.remote.errors)
    ├── AccountError           login, sessions, passwords, management (pocketsync.accounts.errors)
    ├── TransportError         the client could not talk to the server
    └── ConfigurationError     the library was set up wrongly (missing key, bad URL, ...)

Every error carries a human-readable message that says *what* was wrong, never a
secret (password, token, reset code, private key).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccountError",
    "BundleError",
    "CatalogError",
    "ConfigurationError",
    "PocketSyncError",
    "RemoteStateError",
    "StoreError",
    "TransportError",
]


class PocketSyncError(Exception):
    """Root of every error pocketsync raises on purpose.

    ``code`` is a stable machine-readable name (adapters put it in JSON error bodies and
    apps switch on it); ``status_hint`` is the HTTP status an adapter should answer with
    when the error is the client's doing (h11's ``error_status_hint``).
    """

    code: ClassVar[str] = "pocketsync_error"
    status_hint: ClassVar[int] = 400


class BundleError(PocketSyncError):
    """A bundle, manifest or chunk was rejected; the local store is unchanged."""

    code = "bundle_rejected"


class StoreError(PocketSyncError):
    """The local catalog store could not complete an operation."""

    code = "store_error"


class CatalogError(PocketSyncError):
    """A server-side catalog or publisher operation failed."""

    code = "catalog_error"


class RemoteStateError(PocketSyncError):
    """Cart, favourites or settings sync failed."""

    code = "remote_state_error"


class AccountError(PocketSyncError):
    """An account, session or password operation was refused."""

    code = "account_error"


class TransportError(PocketSyncError):
    """The client could not reach the server or got an unusable answer."""

    code = "transport_error"
    status_hint = 502


class ConfigurationError(PocketSyncError):
    """pocketsync was configured wrongly (missing key file, bad database URL, ...)."""

    code = "configuration_error"
    status_hint = 500
