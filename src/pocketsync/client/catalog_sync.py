"""Catalog sync: ask for a signed manifest, download the missing chunks, apply them.

The store (:class:`pocketsync.store.CatalogStore`) verifies the manifest's signature,
plans against its cursors and rollback floor, keeps verified chunks in its cache and
applies them in one transaction (or one file swap for a full reset), so a sync that dies
at any point leaves the old catalog in place and the next run resumes: chunks already
in the cache are not fetched again, and a chunk cut off mid-download continues from its
partial file with ``Range: bytes=N-`` (``HttpTransport.download_chunk``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgpack

from pocketsync.bundle import ChunkRef, RoleCursor, TrustedKeys
from pocketsync.client.errors import ProtocolError
from pocketsync.client.session import Authenticator
from pocketsync.client.transport import MSGPACK, HttpTransport
from pocketsync.clock import Clock
from pocketsync.store import ApplyKind, CatalogStore, Progress

__all__ = ["CatalogSync", "CatalogSyncResult", "SyncPhase", "SyncProgress"]

SyncPhase = Literal["manifest", "download", "apply", "index", "done"]
_MANIFEST_TYPE = "application/vnd.pocketsync.manifest"
# In-chunk byte reports are throttled to this step so a callback is not called per packet.
_BYTES_STEP = 256 * 1024


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """A progress report of a catalog sync.

    ``manifest`` (asking the server what to fetch), then ``download`` (``bytes_done`` of
    ``bytes_total`` counts chunk bytes, fetched or found in the cache), ``apply``
    (``rows_done`` of ``rows_total``), ``index`` (search index after a full load) and
    ``done``. ``seconds_left`` is an estimate, ``None`` until there is a rate to go by.
    """

    phase: SyncPhase
    bytes_done: int
    bytes_total: int
    rows_done: int
    rows_total: int
    chunks_done: int
    chunks_total: int
    seconds_left: float | None


@dataclass(frozen=True, slots=True)
class CatalogSyncResult:
    """What a catalog sync did; ``kind`` is ``noop`` when the copy was already current."""

    kind: ApplyKind
    cursors: dict[str, RoleCursor]
    chunks_fetched: int
    chunks_from_cache: int
    bytes_fetched: int
    rows_upserted: int
    rows_deleted: int
    seconds: float


def _encode_cursors(cursors: dict[str, RoleCursor]) -> bytes:
    body = {"cursors": {role: [c.partition_id, c.version] for role, c in cursors.items()}}
    packed: bytes = msgpack.packb(body, use_bin_type=True)
    return packed


class CatalogSync:
    """Runs catalog syncs for one client (one store, one session)."""

    def __init__(
        self,
        *,
        http: HttpTransport,
        auth: Authenticator,
        store: CatalogStore,
        trusted: TrustedKeys,
        clock: Clock,
        downloads: Path,
    ) -> None:
        self._http = http
        self._auth = auth
        self._store = store
        self._trusted = trusted
        self._clock = clock
        self.downloads = downloads

    def run(
        self, customer_id: str, progress: Callable[[SyncProgress], None] | None = None
    ) -> CatalogSyncResult:
        """Bring the local catalog to the server's current version for ``customer_id``.

        Raises:
            ServerUnreachableError, ServerFailureError, ProtocolError: network trouble;
                the catalog is unchanged and a later run resumes.
            LoginRequiredError, CredentialsChangedError, AccountDeletedError: the session
                is over (see ``session.py``).
            BundleError subclasses: the manifest or a chunk was rejected (bad signature,
                another customer's manifest, a replayed older version, ...); unchanged.
            StoreError subclasses: the local database failed; unchanged.
        """
        started = time.monotonic()
        reporter = _Reporter(progress)
        reporter.emit_manifest()
        response = self._auth.call(
            "POST",
            "/v1/sync/manifest",
            content=_encode_cursors(self._store.cursors()),
            content_type=MSGPACK,
        )
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media != _MANIFEST_TYPE:
            raise ProtocolError(f"the manifest endpoint answered with {media or 'no type'!r}")

        def fetch(ref: ChunkRef) -> bytes:
            return self._http.download_chunk(
                ref,
                self.downloads / f"{ref.address}.part",
                token=self._auth.access_token,
                on_unauthorized=lambda r: self._auth.handle_401(r, may_refresh=True),
                on_bytes=reporter.in_flight,
            )

        result = self._store.apply(
            response.content,
            trusted=self._trusted,
            customer_id=customer_id,
            now_ms=self._clock.now_ms(),
            fetch_chunk=fetch,
            progress=reporter.from_store,
        )
        self.clear_downloads()
        return CatalogSyncResult(
            kind=result.kind,
            cursors=dict(result.cursors),
            chunks_fetched=result.chunks_fetched,
            chunks_from_cache=result.chunks_from_cache,
            bytes_fetched=result.bytes_fetched,
            rows_upserted=result.rows_upserted,
            rows_deleted=result.rows_deleted,
            seconds=time.monotonic() - started,
        )

    def clear_downloads(self) -> None:
        """Delete partial chunk downloads (after an apply, or at logout)."""
        shutil.rmtree(self.downloads, ignore_errors=True)


class _Reporter:
    """Turns the store's per-chunk reports, plus bytes arriving within a chunk, into
    :class:`SyncProgress` for the app's callback."""

    def __init__(self, callback: Callable[[SyncProgress], None] | None) -> None:
        self._callback = callback
        self._last: Progress | None = None
        self._flight = 0
        self._flight_reported = 0

    def emit_manifest(self) -> None:
        if self._callback is not None:
            self._callback(SyncProgress("manifest", 0, 0, 0, 0, 0, 0, None))

    def from_store(self, p: Progress) -> None:
        self._last = p
        self._flight = self._flight_reported = 0
        self._emit(p, 0)

    def in_flight(self, nbytes: int) -> None:
        self._flight += nbytes
        if self._last is not None and self._flight - self._flight_reported >= _BYTES_STEP:
            self._flight_reported = self._flight
            self._emit(self._last, self._flight)

    def _emit(self, p: Progress, extra: int) -> None:
        if self._callback is None:
            return
        done = min(p.bytes_done + extra, p.bytes_total) if p.phase == "download" else p.bytes_done
        finished = p.phase == "done"  # the store restarts its counters per phase
        self._callback(
            SyncProgress(
                phase=p.phase,
                bytes_done=p.bytes_total if finished else done,
                bytes_total=p.bytes_total,
                rows_done=p.rows_total if finished else p.rows_done,
                rows_total=p.rows_total,
                chunks_done=p.chunks_done,
                chunks_total=p.chunks_total,
                seconds_left=p.seconds_left,
            )
        )
