"""Logout wipe: remove every file that holds catalog data, keep the rollback floor.

``DELETE FROM`` would leave rows in free pages and in the WAL, so the wipe deletes the
files themselves: ``catalog.db`` with its -wal, -shm and -journal, a fresh
``catalog.db.new`` being built, and the chunk cache. A marker file is written first and
removed last, so a wipe interrupted by a crash is finished by the next
``CatalogStore.open`` instead of leaving half a catalog behind.
"""

from __future__ import annotations

from pocketsync.store.cache import ChunkCache
from pocketsync.store.errors import translate_errors
from pocketsync.store.files import StorePaths, fsync_dir, remove_quietly

__all__ = ["wipe_files"]


def wipe_files(paths: StorePaths) -> None:
    """Delete the catalog files and the chunk cache of ``paths`` (connections closed first).

    Raises:
        StoreIOError: a file could not be deleted (the marker stays; the next open retries).
    """
    with translate_errors("wipe the local catalog"):
        paths.wipe_marker.touch()
        fsync_dir(paths.folder)
        for path in paths.catalog_files():
            remove_quietly(path)
        ChunkCache(paths.chunks).clear()
        fsync_dir(paths.folder)
        remove_quietly(paths.wipe_marker)
        fsync_dir(paths.folder)
