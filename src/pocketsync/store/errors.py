"""Why the local catalog store could not do what was asked.

Every class derives from :class:`pocketsync.errors.StoreError`. ``sqlite3`` and ``OSError``
exceptions are translated here, at the seam, with ``raise ... from exc``; bundle
rejections are *not* store errors: they propagate as the bundle package's ``BundleError``
subclasses, with the store unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from pocketsync.errors import StoreError

__all__ = [
    "CatalogNotLoadedError",
    "CustomerMismatchError",
    "FloorFileError",
    "InvalidQueryError",
    "SnapshotConflictError",
    "StoreBusyError",
    "StoreClosedError",
    "StoreCorruptError",
    "StoreDatabaseError",
    "StoreIOError",
    "translate_errors",
]


class StoreClosedError(StoreError):
    """The store was closed; open it again with ``CatalogStore.open``."""

    code = "store_closed"
    status_hint = 409


class CatalogNotLoadedError(StoreError):
    """The store holds no catalog yet (never synced, or wiped): apply a snapshot first."""

    code = "catalog_not_loaded"
    status_hint = 409


class CustomerMismatchError(StoreError):
    """The local copy belongs to another customer; wipe it before syncing this one."""

    code = "customer_mismatch"
    status_hint = 409


class InvalidQueryError(StoreError):
    """A read was called with an argument outside its domain (e.g. quantity < 1)."""

    code = "invalid_query"
    status_hint = 400


class SnapshotConflictError(StoreError):
    """A snapshot listed the same key twice; the fresh file was discarded."""

    code = "snapshot_conflict"
    status_hint = 422


class FloorFileError(StoreError):
    """The rollback-floor file exists but cannot be read or is not valid; refusing to guess."""

    code = "floor_file_invalid"
    status_hint = 500


class StoreBusyError(StoreError):
    """The database is locked by another connection or process."""

    code = "store_busy"
    status_hint = 503


class StoreCorruptError(StoreError):
    """The catalog file is not a pocketsync catalog or SQLite reports it damaged."""

    code = "store_corrupt"
    status_hint = 500


class StoreDatabaseError(StoreError):
    """SQLite failed for another reason (disk full, I/O error, ...)."""

    code = "store_database_error"
    status_hint = 500


class StoreIOError(StoreError):
    """A file operation in the data folder failed."""

    code = "store_io_error"
    status_hint = 500


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Re-raise ``sqlite3`` and ``OSError`` exceptions inside the block as store errors.

    ``action`` completes the message ("could not <action>: ...").
    """
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise StoreBusyError(f"could not {action}: {exc}") from exc
        raise StoreDatabaseError(f"could not {action}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        if "malformed" in text or "not a database" in text or "corrupt" in text:
            raise StoreCorruptError(f"could not {action}: {exc}") from exc
        raise StoreDatabaseError(f"could not {action}: {exc}") from exc
    except sqlite3.Error as exc:
        raise StoreDatabaseError(f"could not {action}: {exc}") from exc
    except OSError as exc:
        raise StoreIOError(f"could not {action}: {exc}") from exc
