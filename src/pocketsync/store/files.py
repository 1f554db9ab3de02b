"""The files of a store's data folder, and the durable file operations on them.

::

    <folder>/catalog.db            the live catalog copy (WAL mode)
    <folder>/catalog.db-wal, -shm  SQLite's WAL companions (-journal in rollback mode)
    <folder>/catalog.db.new        a fresh file being built by a full reset (never live)
    <folder>/chunks/<sha256 hex>   verified chunks of an apply in progress (resume cache)
    <folder>/rollback-floor.json   highest version applied per partition; survives wipe
    <folder>/wipe-pending          present while a wipe runs, so a crash mid-wipe is finished
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SQLITE_SUFFIXES",
    "StorePaths",
    "fsync_dir",
    "fsync_file",
    "remove_quietly",
    "write_atomically",
]

# A database file and every companion SQLite may leave next to it.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True, slots=True)
class StorePaths:
    """Where each file of a store lives inside ``folder``."""

    folder: Path

    @property
    def db(self) -> Path:
        return self.folder / "catalog.db"

    @property
    def new_db(self) -> Path:
        return self.folder / "catalog.db.new"

    @property
    def chunks(self) -> Path:
        return self.folder / "chunks"

    @property
    def floor(self) -> Path:
        return self.folder / "rollback-floor.json"

    @property
    def wipe_marker(self) -> Path:
        return self.folder / "wipe-pending"

    def companions(self, db: Path) -> tuple[Path, ...]:
        """``db`` and its -wal, -shm and -journal files."""
        return tuple(db.with_name(db.name + s) for s in SQLITE_SUFFIXES)

    def catalog_files(self) -> tuple[Path, ...]:
        """Every catalog.db* file a store may create (live and fresh)."""
        return self.companions(self.db) + self.companions(self.new_db)


def fsync_file(path: Path) -> None:
    """Flush ``path``'s data to stable storage."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a directory entry change (rename, create, delete) in ``path`` to storage."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> bool:
    """Delete ``path`` if it exists; return whether it did."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        return True
    return False


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a crash leaves the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
