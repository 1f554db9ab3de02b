"""``CatalogStore``: the local catalog copy of one device, in one data folder.

One store object owns its folder (one process, one thread at a time); it keeps at most
one SQLite connection, to the live ``catalog.db`` in WAL mode.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from types import MappingProxyType

from pocketsync.bundle.chunk import ChunkData, ChunkRef
from pocketsync.bundle.plan import ApplyPlan, RoleCursor, plan_apply
from pocketsync.bundle.signing import TrustedKeys, open_manifest
from pocketsync.clock import Clock
from pocketsync.closing import Closeable
from pocketsync.store import queries
from pocketsync.store.apply import FetchStats, decode_from_cache, fetch_into_cache
from pocketsync.store.bulk import build_fresh_file, discard_fresh_file, swap_in
from pocketsync.store.cache import ChunkCache
from pocketsync.store.delta import apply_delta
from pocketsync.store.errors import (
    CatalogNotLoadedError,
    CustomerMismatchError,
    StoreClosedError,
    StoreCorruptError,
    translate_errors,
)
from pocketsync.store.files import StorePaths, remove_quietly
from pocketsync.store.floor import raise_floor, read_floor
from pocketsync.store.progress import ApplyKind, ApplyResult, Progress, ProgressTracker
from pocketsync.store.schema import SCHEMA_VERSION
from pocketsync.store.wipe import wipe_files

__all__ = ["CatalogStore"]


class CatalogStore(Closeable):
    """The local catalog: apply verified bundles, read the catalog, wipe on logout.

    Create it with :meth:`open`. Every method raises :class:`StoreClosedError` after
    :meth:`close`; reads raise :class:`CatalogNotLoadedError` while there is no catalog
    (before the first sync and after :meth:`wipe`).
    """

    def __init__(self, paths: StorePaths, clock: Clock | None) -> None:
        self._paths = paths
        self._clock = clock
        self._cache = ChunkCache(paths.chunks)
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | os.PathLike[str], *, clock: Clock | None = None) -> CatalogStore:
        """Open (creating the folder if needed) the store in ``folder``.

        Recovers from a crash: finishes an interrupted wipe, deletes a half-built fresh
        file, and raises the rollback floor to the cursors if the process died between a
        commit and the floor update. ``clock`` only feeds progress estimates.

        Raises:
            StoreCorruptError: ``catalog.db`` is not a pocketsync catalog of this schema.
            FloorFileError: the rollback-floor file is damaged.
            StoreIOError, StoreDatabaseError, StoreBusyError: the folder or SQLite failed.
        """
        paths = StorePaths(Path(folder))
        with translate_errors("open the store folder"):
            paths.folder.mkdir(parents=True, exist_ok=True)
        if paths.wipe_marker.exists():
            wipe_files(paths)
        with translate_errors("clean up the store folder"):
            discard_fresh_file(paths)
            if not paths.db.exists():
                # Orphans of a deleted file: a stale WAL or hot journal would be replayed
                # into the next catalog.db.
                for path in paths.companions(paths.db)[1:]:
                    remove_quietly(path)
        store = cls(paths, clock)
        store._connect()
        try:
            cursors = store.cursors()
            raise_floor(paths.floor, {c.partition_id: c.version for c in cursors.values()})
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection. Idempotent."""
        self._disconnect()
        self._closed = True

    @property
    def folder(self) -> Path:
        return self._paths.folder

    def _connect(self) -> None:
        if not self._paths.db.exists():
            self._conn = None
            return
        with translate_errors("open the catalog"):
            conn = sqlite3.connect(self._paths.db, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout = 5000")
                conn.execute("PRAGMA journal_mode = WAL")
                # FULL: a commit is durable before the floor file is raised past it.
                conn.execute("PRAGMA synchronous = FULL")
                row = conn.execute(
                    "SELECT value FROM store_meta WHERE key = 'schema_version'"
                ).fetchone()
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise StoreCorruptError(f"catalog.db is not a pocketsync catalog: {exc}") from exc
        if row is None or row[0] != str(SCHEMA_VERSION):
            conn.close()
            raise StoreCorruptError(f"catalog.db has schema {row!r}, expected {SCHEMA_VERSION}")
        self._conn = conn

    def _disconnect(self, *, for_swap: bool = False) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with translate_errors("close the catalog"):
            try:
                if for_swap:
                    # Fold the WAL into the file and leave WAL mode, so nothing in -wal
                    # or -shm belongs to the file about to be replaced.
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    conn.execute("PRAGMA journal_mode = DELETE")
            finally:
                conn.close()

    def _live(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreClosedError("the catalog store is closed")
        if self._conn is None:
            raise CatalogNotLoadedError("no catalog yet: apply an initial sync first")
        return self._conn

    # -- state -------------------------------------------------------------------------

    def cursors(self) -> dict[str, RoleCursor]:
        """The cursor per role; empty before the first sync and after a wipe."""
        if self._closed:
            raise StoreClosedError("the catalog store is closed")
        if self._conn is None:
            return {}
        with translate_errors("read the cursors"):
            rows = self._conn.execute("SELECT role, partition_id, version FROM store_cursors")
            return {str(r[0]): RoleCursor(str(r[1]), int(r[2])) for r in rows}

    def customer_id(self) -> str | None:
        """The customer this copy belongs to, ``None`` when there is no catalog."""
        if self._closed:
            raise StoreClosedError("the catalog store is closed")
        if self._conn is None:
            return None
        with translate_errors("read the store owner"):
            row = self._conn.execute(
                "SELECT value FROM store_meta WHERE key = 'customer_id'"
            ).fetchone()
        return None if row is None else str(row[0])

    def floor(self) -> dict[str, int]:
        """The rollback floor: highest version ever applied here, per partition id."""
        return read_floor(self._paths.floor)

    # -- apply -------------------------------------------------------------------------

    def apply(
        self,
        envelope: bytes,
        *,
        trusted: TrustedKeys,
        customer_id: str,
        now_ms: int,
        fetch_chunk: Callable[[ChunkRef], bytes],
        progress: Callable[[Progress], None] | None = None,
    ) -> ApplyResult:
        """Verify the signed ``envelope`` and bring the catalog to its target versions.

        Order: open the manifest (signature, shape), plan it against the cursors and the
        rollback floor, bring every needed chunk into the verified cache (fetching only
        the missing ones with ``fetch_chunk``), then apply: a full reset builds and swaps
        in a fresh file, anything else is one transaction on the live file. Cursors move
        with the data; the floor is raised after the commit; the cache is then cleared.
        Re-applying an applied manifest is a no-op; after a failure, applying the same
        manifest again resumes from the cache.

        Raises:
            BundleError subclasses (from ``pocketsync.bundle``): the envelope, manifest or
                a chunk was rejected — the store is unchanged.
            CustomerMismatchError: a delta for another customer than the local copy's.
            StoreClosedError, StoreError subclasses: the store could not be written (the
                store is unchanged).
            Whatever ``fetch_chunk`` raises, unchanged (the store is unchanged).
        """
        if self._closed:
            raise StoreClosedError("the catalog store is closed")
        manifest = open_manifest(envelope, trusted)
        plan = plan_apply(
            manifest,
            customer_id=customer_id,
            cursors=self.cursors(),
            floor=self.floor(),
            now_ms=now_ms,
        )
        if plan.is_noop:
            return self._result(plan, FetchStats(), 0, 0)
        if not plan.is_full_reset:
            owner = self.customer_id()
            if owner != customer_id:
                raise CustomerMismatchError(
                    f"the local catalog belongs to {owner!r}; wipe it before syncing "
                    f"{customer_id!r}"
                )
        refs = plan.chunks_to_apply
        tracker = ProgressTracker(
            progress,
            self._clock,
            chunks_total=len(refs),
            bytes_total=sum(r.length for r in refs),
            rows_total=sum(r.rows for r in refs),
        )
        stats = fetch_into_cache(refs, self._cache, fetch_chunk, tracker)
        counts = [0, 0]

        def on_chunk(chunk: ChunkData) -> None:
            counts[0] += chunk.upsert_count
            counts[1] += chunk.delete_count

        chunks = decode_from_cache(refs, self._cache, tracker)

        def on_index() -> None:
            tracker.start("index")

        if plan.is_full_reset:
            self._apply_full_reset(plan, chunks, customer_id, on_chunk, on_index)
        else:
            apply_delta(
                self._live(),
                plan,
                chunks,
                customer_id=customer_id,
                on_chunk=on_chunk,
                on_index=on_index,
            )
        raise_floor(
            self._paths.floor,
            {a.partition_id: a.to_version for a in plan.actions if a.kind != "current"},
        )
        with translate_errors("clear the chunk cache"):
            self._cache.clear()
        tracker.start("done")
        return self._result(plan, stats, counts[0], counts[1])

    def _apply_full_reset(
        self,
        plan: ApplyPlan,
        chunks: Iterator[ChunkData],
        customer_id: str,
        on_chunk: Callable[[ChunkData], None],
        on_index: Callable[[], None],
    ) -> None:
        build_fresh_file(
            self._paths,
            chunks,
            customer_id=customer_id,
            cursors={a.role: a.cursor for a in plan.actions},
            on_chunk=on_chunk,
            on_index=on_index,
        )
        try:
            self._disconnect(for_swap=True)
            swap_in(self._paths)
        finally:
            self._connect()

    def _result(
        self, plan: ApplyPlan, stats: FetchStats, upserted: int, deleted: int
    ) -> ApplyResult:
        kind: ApplyKind = (
            "noop" if plan.is_noop else "full_reset" if plan.is_full_reset else "delta"
        )
        return ApplyResult(
            kind=kind,
            cursors=MappingProxyType(self.cursors()),
            chunks_applied=0 if plan.is_noop else len(plan.chunks_to_apply),
            chunks_fetched=stats.fetched,
            chunks_from_cache=stats.from_cache,
            bytes_fetched=stats.bytes_fetched,
            rows_upserted=upserted,
            rows_deleted=deleted,
        )

    # -- wipe --------------------------------------------------------------------------

    def wipe(self) -> None:
        """Logout: close the connection and delete the catalog files and chunk cache.

        The rollback floor is kept. Afterwards :meth:`cursors` is empty and the store
        accepts an initial sync again.

        Raises:
            StoreIOError: a file could not be deleted (a later open finishes the wipe).
        """
        if self._closed:
            raise StoreClosedError("the catalog store is closed")
        # A failing close must not stop a logout wipe: the files go either way.
        with contextlib.suppress(Exception):
            self._disconnect()
        wipe_files(self._paths)

    @staticmethod
    def wipe_folder(folder: str | os.PathLike[str]) -> None:
        """Wipe the store in ``folder`` without opening it (e.g. when open reports a
        damaged catalog). Same effect as :meth:`wipe`; no store may be open on it.

        Raises:
            StoreIOError: a file could not be deleted.
        """
        wipe_files(StorePaths(Path(folder)))

    # -- reads (see pocketsync.store.queries) ------------------------------------------

    def category_tree(self) -> tuple[queries.CategoryNode, ...]:
        """The category tree's roots, each with its descendants."""
        return queries.category_tree(self._live())

    def products_in_category(
        self, category_id: str, *, limit: int = 50, after: queries.PageCursor | None = None
    ) -> queries.ProductPage:
        """A keyset-paged listing of a category's products by (name, sku)."""
        return queries.products_in_category(self._live(), category_id, limit=limit, after=after)

    def product(self, sku: str) -> queries.Product | None:
        """The product with this SKU, or ``None``."""
        return queries.product_by_sku(self._live(), sku)

    def search(self, text: str, *, limit: int = 20) -> tuple[queries.Product, ...]:
        """Products by barcode, SKU or name words; see :func:`queries.search_products`."""
        return queries.search_products(self._live(), text, limit=limit)

    def price_breaks(self, sku: str) -> tuple[queries.PriceBreak, ...]:
        """This customer's price breaks for ``sku``, by ascending minimum quantity."""
        return queries.price_breaks(self._live(), sku)

    def price_at(self, sku: str, quantity: int) -> queries.PriceBreak | None:
        """The break that applies at ``quantity`` (largest ``min_qty`` ≤ ``quantity``)."""
        return queries.price_at(self._live(), sku, quantity)
