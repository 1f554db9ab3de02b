"""The client-side catalog store: applies verified bundles to SQLite, reads, wipes.

See :class:`CatalogStore`. Bundle verification lives in :mod:`pocketsync.bundle`; this
package only does the I/O (``sqlite3`` and files in the caller's data folder).
"""

from pocketsync.store.errors import (
    CatalogNotLoadedError,
    CustomerMismatchError,
    FloorFileError,
    InvalidQueryError,
    SnapshotConflictError,
    StoreBusyError,
    StoreClosedError,
    StoreCorruptError,
    StoreDatabaseError,
    StoreIOError,
)
from pocketsync.store.progress import ApplyKind, ApplyResult, Phase, Progress
from pocketsync.store.queries import (
    Category,
    CategoryNode,
    PageCursor,
    PriceBreak,
    Product,
    ProductPage,
)
from pocketsync.store.store import CatalogStore

__all__ = [
    "ApplyKind",
    "ApplyResult",
    "CatalogNotLoadedError",
    "CatalogStore",
    "Category",
    "CategoryNode",
    "CustomerMismatchError",
    "FloorFileError",
    "InvalidQueryError",
    "PageCursor",
    "Phase",
    "PriceBreak",
    "Product",
    "ProductPage",
    "Progress",
    "SnapshotConflictError",
    "StoreBusyError",
    "StoreClosedError",
    "StoreCorruptError",
    "StoreDatabaseError",
    "StoreIOError",
]
