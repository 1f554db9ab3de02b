"""The state model: what clients see (views) and what the server keeps to merge (metadata).

Views are frozen values. Metadata records are the server's mutable working copies during one
replay; each serialises to a small msgpack-friendly list for storage (:func:`encode_meta`).

Causal bookkeeping, in one sentence: every change the server makes gets the owner's next
*version*; a contribution (a quantity add, a winning set, a favourite add, a removal) remembers
its version and the client that made it, and an operation with causal context ``seen`` has
*observed* a contribution when the contribution's version is ``<= seen`` or it came from the same
client (whose earlier operations are always applied first). Since a contribution can only be
observed by operations that arrive after it, each record below keeps just enough to give every
arrival order the same answer (see :mod:`pocketsync.remote.replay`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pocketsync.remote.hlc import ZERO_STAMP, Hlc, Stamp
from pocketsync.remote.ops import SettingValue

__all__ = [
    "FavMeta",
    "FavView",
    "LineMeta",
    "LineView",
    "RemoteView",
    "SettingMeta",
    "decode_meta",
    "encode_meta",
    "observed",
]


@dataclass(frozen=True, slots=True)
class LineView:
    """One cart line as shown: keyed by (sku, unit); ``available`` is False for products the
    catalog no longer sells (the line is kept, never dropped)."""

    sku: str
    unit: str
    qty: int
    note: str = ""
    available: bool = True


@dataclass(frozen=True, slots=True)
class FavView:
    """One favourite; the list is ordered by (rank, sku)."""

    sku: str
    rank: str
    available: bool = True


@dataclass(frozen=True, slots=True)
class RemoteView:
    """Cart, favourites and settings as one account sees them.

    ``lines`` are sorted by (sku, unit); ``favourites`` by (rank, sku); ``settings`` holds the
    keys that have a value (deleted keys are absent: the app falls back to its default).
    """

    lines: tuple[LineView, ...] = ()
    favourites: tuple[FavView, ...] = ()
    settings: Mapping[str, SettingValue] = field(default_factory=dict)


def observed(version: int, client: bytes, seen: int, pusher: bytes) -> bool:
    """True when an operation from ``pusher`` with context ``seen`` had seen a contribution."""
    return version <= seen or (client == pusher and client != b"")


@dataclass(slots=True)
class LineMeta:
    """Server metadata of one cart line.

    qty = ``base`` (the winning ``set_qty``; 0 if there is none or a removal observed it) + the
    ``adds`` that no ``set_qty`` and no removal observed, each add a ``[version, client,
    amount]``. ``base_stamp`` is the stamp of the winning set and stays after a removal clears
    ``base``: an older set arriving later still loses to it. The note is a last-writer-wins
    register (``note_stamp``) that every removal clears; ``removes`` holds the newest removal
    ``[version, client]`` per client above the collection horizon, which a note must have
    observed to count. A line whose quantity has no contribution left is a tombstone
    (``present`` false); it keeps ``base_stamp``, ``removes`` and a note written since.
    """

    present: bool = False
    version: int = 0
    base: int = 0
    base_version: int = 0
    base_client: bytes = b""
    base_stamp: Stamp = ZERO_STAMP
    adds: list[tuple[int, bytes, int]] = field(default_factory=list)
    note: str = ""
    note_version: int = 0
    note_client: bytes = b""
    note_stamp: Stamp = ZERO_STAMP
    removes: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def qty(self) -> int:
        return self.base + sum(a[2] for a in self.adds)


@dataclass(slots=True)
class FavMeta:
    """Server metadata of one favourite: add ``dots`` ``[version, client]`` and an LWW rank."""

    present: bool = False
    version: int = 0
    dots: list[tuple[int, bytes]] = field(default_factory=list)
    rank: str = ""
    rank_stamp: Stamp = ZERO_STAMP


@dataclass(slots=True)
class SettingMeta:
    """Server metadata of one setting: an LWW register whose deleted state is ``value=None``."""

    present: bool = False
    version: int = 0
    value: SettingValue | None = None
    stamp: Stamp = ZERO_STAMP


Meta = LineMeta | FavMeta | SettingMeta


def _stamp_out(s: Stamp) -> list[Any]:
    return [s.hlc.wall_ms, s.hlc.counter, s.node]


def _stamp_in(raw: list[Any]) -> Stamp:
    return Stamp(Hlc(raw[0], raw[1]), raw[2])


def encode_meta(meta: Meta) -> list[Any]:
    """Serialise metadata (without ``present``/``version``, stored as columns) for storage."""
    if isinstance(meta, LineMeta):
        return [
            meta.base,
            meta.base_version,
            meta.base_client,
            _stamp_out(meta.base_stamp),
            [list(a) for a in meta.adds],
            meta.note,
            meta.note_version,
            meta.note_client,
            _stamp_out(meta.note_stamp),
            [list(r) for r in meta.removes],
        ]
    if isinstance(meta, FavMeta):
        return [[list(d) for d in meta.dots], meta.rank, _stamp_out(meta.rank_stamp)]
    return [meta.value, _stamp_out(meta.stamp)]


def decode_meta(kind: str, present: bool, version: int, raw: list[Any]) -> Meta:
    """Inverse of :func:`encode_meta` for a stored row of ``kind`` ("line", "fav", "set")."""
    if kind == "line":
        return LineMeta(
            present,
            version,
            raw[0],
            raw[1],
            raw[2],
            _stamp_in(raw[3]),
            [(a[0], a[1], a[2]) for a in raw[4]],
            raw[5],
            raw[6],
            raw[7],
            _stamp_in(raw[8]),
            [(r[0], r[1]) for r in raw[9]] if len(raw) > 9 else [],  # absent in older rows
        )
    if kind == "fav":
        return FavMeta(present, version, [(d[0], d[1]) for d in raw[0]], raw[1], _stamp_in(raw[2]))
    return SettingMeta(present, version, raw[0], _stamp_in(raw[1]))
