"""The two phases of an apply: bring chunks into the verified cache, then decode them.

Downloading everything first (one chunk in memory at a time) keeps network I/O out of
the write transaction and makes resume trivial: a second attempt finds the verified
chunks in the cache and fetches only the rest. Decoding is lazy, one chunk at a time, so
memory stays bounded by the chunk size whatever the catalog size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pocketsync.bundle.chunk import ChunkData, ChunkRef, decode_chunk, verify_chunk_bytes
from pocketsync.errors import BundleError
from pocketsync.store.cache import ChunkCache
from pocketsync.store.errors import translate_errors
from pocketsync.store.progress import ProgressTracker

__all__ = ["FetchStats", "decode_from_cache", "fetch_into_cache"]


@dataclass(slots=True)
class FetchStats:
    """How the download phase got its chunks."""

    fetched: int = 0
    from_cache: int = 0
    bytes_fetched: int = 0


def fetch_into_cache(
    refs: Sequence[ChunkRef],
    cache: ChunkCache,
    fetch_chunk: Callable[[ChunkRef], bytes],
    tracker: ProgressTracker,
) -> FetchStats:
    """Make sure every chunk of ``refs`` is in ``cache``, verified against its ref.

    Chunks already cached (and still matching) are not fetched. Each fetched chunk is
    checked (length, then SHA-256) before it is stored.

    Raises:
        ChunkLengthError, ChunkHashError: a fetched chunk is not the one the manifest signed.
        whatever ``fetch_chunk`` raises (e.g. a ``TransportError``), unchanged.
        StoreIOError: the cache could not be written.
    """
    stats = FetchStats()
    tracker.start("download")
    for ref in refs:
        with translate_errors("read the chunk cache"):
            data = cache.get(ref)
        if data is None:
            data = fetch_chunk(ref)
            verify_chunk_bytes(data, ref)
            with translate_errors("write the chunk cache"):
                cache.put(ref, data)
            stats.fetched += 1
            stats.bytes_fetched += len(data)
        else:
            stats.from_cache += 1
        tracker.chunk_done(ref.length, 0)
        del data  # one chunk in memory at a time
    return stats


def decode_from_cache(
    refs: Sequence[ChunkRef], cache: ChunkCache, tracker: ProgressTracker
) -> Iterator[ChunkData]:
    """Yield each chunk of ``refs`` decoded from the cache, verified again and bounded.

    A chunk that does not decode is dropped from the cache (it can never become valid:
    its address is its content) and the ``BundleError`` re-raised.
    """
    tracker.start("apply")
    for ref in refs:
        with translate_errors("read the chunk cache"):
            data = cache.read(ref)
        try:
            chunk = decode_chunk(data, ref)
        except BundleError:
            cache.discard(ref)
            raise
        del data
        yield chunk
        tracker.chunk_done(ref.length, chunk.rows)
        del chunk
