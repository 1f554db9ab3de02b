"""Content-addressed cache of chunks already downloaded and verified.

An apply first brings every chunk it needs into this cache (fetching only what is not
there), then applies from it, so an apply interrupted by a network failure or a crash
resumes without fetching again what it already has. Entries are named by their SHA-256,
so a file here can only ever hold one content; it is verified again on every read, and
anything that does not match (a torn write) is thrown away and fetched again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from pocketsync.bundle.chunk import ChunkRef, verify_chunk_bytes
from pocketsync.errors import BundleError
from pocketsync.store.files import remove_quietly

__all__ = ["ChunkCache"]


class ChunkCache:
    """The ``chunks/`` folder of a store."""

    __slots__ = ("_folder",)

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, ref: ChunkRef) -> Path:
        return self._folder / ref.address

    def get(self, ref: ChunkRef) -> bytes | None:
        """The cached bytes of ``ref`` if present and still matching, else ``None``."""
        try:
            data = self._path(ref).read_bytes()
        except FileNotFoundError:
            return None
        try:
            verify_chunk_bytes(data, ref)
        except BundleError:
            self.discard(ref)
            return None
        return data

    def put(self, ref: ChunkRef, data: bytes) -> None:
        """Store verified ``data`` under its address (write to a temp name, then rename).

        No fsync: a torn entry after a power loss fails verification on read and is
        fetched again, which is cheaper than syncing every chunk.
        """
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._path(ref)
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def read(self, ref: ChunkRef) -> bytes:
        """The cached bytes of ``ref`` (unverified; ``decode_chunk`` verifies them)."""
        return self._path(ref).read_bytes()

    def discard(self, ref: ChunkRef) -> None:
        """Forget one entry (e.g. a chunk that verified but does not decode)."""
        remove_quietly(self._path(ref))

    def clear(self) -> None:
        """Delete the whole cache folder."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self._folder)
