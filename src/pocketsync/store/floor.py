"""The rollback floor: the highest version ever applied on this device, per partition.

It lives in its own small file next to the catalog, not inside it, because a logout wipe
deletes the catalog but must not let an older (replayed) manifest in afterwards. It only
ever moves up, and it is written atomically (temp file, fsync, rename, fsync folder).
The content is not secret: partition ids and version numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pocketsync.store.errors import FloorFileError, translate_errors
from pocketsync.store.files import write_atomically

__all__ = ["raise_floor", "read_floor"]

_FORMAT = 1


def read_floor(path: Path) -> dict[str, int]:
    """The floor per partition id; empty when the file does not exist yet.

    Raises:
        FloorFileError: the file exists but is not a valid floor file (fail closed: a
            damaged floor must not silently become "no floor").
        StoreIOError: it could not be read.
    """
    with translate_errors("read the rollback floor"):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise FloorFileError(f"rollback floor {path.name} is not valid JSON") from exc
    floor = body.get("floor") if isinstance(body, dict) and body.get("format") == _FORMAT else None
    if not isinstance(floor, dict) or not all(
        isinstance(k, str) and type(v) is int and v >= 0 for k, v in floor.items()
    ):
        raise FloorFileError(f"rollback floor {path.name} does not have the expected shape")
    return floor


def raise_floor(path: Path, versions: Mapping[str, int]) -> dict[str, int]:
    """Raise the floor of each partition in ``versions`` to at least that version.

    Returns the new floor. Writes nothing when no partition moves up.

    Raises:
        FloorFileError, StoreIOError: as :func:`read_floor`, or the write failed.
    """
    floor = read_floor(path)
    merged = dict(floor)
    for partition_id, version in versions.items():
        merged[partition_id] = max(version, merged.get(partition_id, 0))
    if merged != floor:
        body = json.dumps({"format": _FORMAT, "floor": merged}, sort_keys=True).encode()
        with translate_errors("write the rollback floor"):
            write_atomically(path, body)
    return merged
