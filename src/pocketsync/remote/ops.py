"""Operations on remote state and the per-operation results the server returns.

Each operation is a frozen value; constructing one validates its fields (``ValueError`` on
bad input), so an operation that exists is well formed. An :class:`Envelope` adds what the
protocol needs around it: the client's sequence number, the HLC of the user action, and
``seen``, the server version of the state the client had observed when the user acted (its
causal context: a remove only removes what was seen).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from pocketsync.remote.hlc import Hlc

__all__ = [
    "MAX_NOTE_LEN",
    "MAX_QTY",
    "AddLine",
    "AddQty",
    "Envelope",
    "FavAdd",
    "FavMove",
    "FavRemove",
    "Op",
    "OpResult",
    "OpStatus",
    "RemoveLine",
    "SetNote",
    "SetQty",
    "SettingDelete",
    "SettingPut",
    "SettingValue",
    "check_rank",
]

MAX_QTY: Final = 1_000_000
MAX_NOTE_LEN: Final = 1_000
MAX_SKU_LEN: Final = 64
MAX_UNIT_LEN: Final = 16
MAX_RANK_LEN: Final = 64
MAX_SETTING_KEY_LEN: Final = 64
MAX_SEQ: Final = 2**62

SettingValue = bool | int | str | bytes

_SETTING_KEY = re.compile(r"[a-z][a-z0-9_.]*\Z")
RANK_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz"


def _text(name: str, value: object, max_len: int, *, empty_ok: bool = False) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    if (not value and not empty_ok) or len(value) > max_len or "\x00" in value:
        raise ValueError(f"{name} must be 1..{max_len} characters without NUL")


def _int(name: str, value: object, lo: int, hi: int) -> None:
    if type(value) is not int or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in {lo}..{hi}")


def _line_key(sku: object, unit: object) -> None:
    _text("sku", sku, MAX_SKU_LEN)
    _text("unit", unit, MAX_UNIT_LEN)


def check_rank(rank: object) -> None:
    """Raise ``ValueError`` unless ``rank`` is a valid favourites sort key.

    Ranks are lowercase letters that do not end in ``a``, so a rank strictly between any
    two ranks always exists (see :mod:`pocketsync.remote.rank`).
    """
    _text("rank", rank, MAX_RANK_LEN)
    assert isinstance(rank, str)
    if rank.strip(RANK_ALPHABET) or rank.endswith(RANK_ALPHABET[0]):
        raise ValueError("rank must be lowercase letters not ending in 'a'")


@dataclass(frozen=True, slots=True)
class AddLine:
    """Put ``qty`` of a product into the cart (adds to an existing line; commutes)."""

    sku: str
    unit: str
    qty: int
    note: str = ""

    def __post_init__(self) -> None:
        _line_key(self.sku, self.unit)
        _int("qty", self.qty, 1, MAX_QTY)
        _text("note", self.note, MAX_NOTE_LEN, empty_ok=True)


@dataclass(frozen=True, slots=True)
class AddQty:
    """Change a line's quantity by ``delta`` (a scan, a +/- button); commutes with other adds."""

    sku: str
    unit: str
    delta: int

    def __post_init__(self) -> None:
        _line_key(self.sku, self.unit)
        _int("delta", self.delta, -MAX_QTY, MAX_QTY)
        if self.delta == 0:
            raise ValueError("delta must not be 0")


@dataclass(frozen=True, slots=True)
class SetQty:
    """Set a line's quantity (typed into the field); last writer by HLC wins.

    The set replaces the quantity it observed: adds it had observed stop counting even if it
    loses to a later set; adds it had not observed are kept on top of the winner.
    """

    sku: str
    unit: str
    qty: int

    def __post_init__(self) -> None:
        _line_key(self.sku, self.unit)
        _int("qty", self.qty, 1, MAX_QTY)


@dataclass(frozen=True, slots=True)
class RemoveLine:
    """Remove a line as the user saw it; concurrent adds and sets survive."""

    sku: str
    unit: str

    def __post_init__(self) -> None:
        _line_key(self.sku, self.unit)


@dataclass(frozen=True, slots=True)
class SetNote:
    """Set a line's note; last writer by HLC wins among notes written after every removal of
    the line. Does not create a line."""

    sku: str
    unit: str
    note: str

    def __post_init__(self) -> None:
        _line_key(self.sku, self.unit)
        _text("note", self.note, MAX_NOTE_LEN, empty_ok=True)


@dataclass(frozen=True, slots=True)
class FavAdd:
    """Add a favourite at ``rank`` (ignored when it is already a favourite); add wins."""

    sku: str
    rank: str

    def __post_init__(self) -> None:
        _text("sku", self.sku, MAX_SKU_LEN)
        check_rank(self.rank)


@dataclass(frozen=True, slots=True)
class FavRemove:
    """Remove a favourite as the user saw it; a concurrent add survives."""

    sku: str

    def __post_init__(self) -> None:
        _text("sku", self.sku, MAX_SKU_LEN)


@dataclass(frozen=True, slots=True)
class FavMove:
    """Move a favourite to ``rank``; last writer by HLC wins. Does not re-add."""

    sku: str
    rank: str

    def __post_init__(self) -> None:
        _text("sku", self.sku, MAX_SKU_LEN)
        check_rank(self.rank)


@dataclass(frozen=True, slots=True)
class SettingPut:
    """Set a setting; last writer by HLC wins. Type checked against the registry at replay."""

    key: str
    value: SettingValue

    def __post_init__(self) -> None:
        check_setting_key(self.key)
        check_setting_value(self.value)


@dataclass(frozen=True, slots=True)
class SettingDelete:
    """Delete a setting (back to its default); last writer by HLC wins."""

    key: str

    def __post_init__(self) -> None:
        check_setting_key(self.key)


def check_setting_key(key: object) -> None:
    """Raise ``ValueError`` unless ``key`` is a lowercase dotted identifier."""
    _text("setting key", key, MAX_SETTING_KEY_LEN)
    assert isinstance(key, str)
    if not _SETTING_KEY.match(key):
        raise ValueError("setting key must be lowercase letters, digits, '_' or '.'")


def check_setting_value(value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is a bool, a 53-bit int, a str or bytes."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        _int("setting value", value, -(2**53), 2**53)
    elif isinstance(value, str):
        _text("setting value", value, 4_000, empty_ok=True)
    elif isinstance(value, bytes):
        if len(value) > 4_096:
            raise ValueError("setting value must be at most 4096 bytes")
    else:
        raise ValueError("setting value must be bool, int, str or bytes")


Op = (
    AddLine
    | AddQty
    | SetQty
    | RemoveLine
    | SetNote
    | FavAdd
    | FavRemove
    | FavMove
    | SettingPut
    | SettingDelete
)


@dataclass(frozen=True, slots=True)
class Envelope:
    """One operation as a client queues and pushes it.

    ``seq`` is the client's strictly increasing sequence number (1, 2, 3, ...); ``hlc`` the
    time of the user action; ``seen`` the server version (pull cookie) the client's view was
    based on when the user acted, 0 when it had pulled nothing.
    """

    seq: int
    hlc: Hlc
    seen: int
    op: Op

    def __post_init__(self) -> None:
        _int("seq", self.seq, 1, MAX_SEQ)
        _int("seen", self.seen, 0, MAX_SEQ)


class OpStatus(StrEnum):
    """What the server did with one operation."""

    APPLIED = "applied"
    SUPERSEDED = "superseded"  # valid but lost to a later decision (a losing set_qty still
    # retires the adds it had observed)
    ADJUSTED = "adjusted"  # applied with a corrected value (pack size, minimum quantity)
    APPLIED_WITH_WARNING = "applied_with_warning"  # applied; see ``code`` (unavailable, ...)
    REJECTED = "rejected"  # not applied; ``code`` says why


@dataclass(frozen=True, slots=True)
class OpResult:
    """The server's answer for one operation.

    ``code`` is a stable reason (``product_unavailable``, ``pack_size``, ``older_than_current``,
    ``unknown_setting``, ...) or None for a plain apply; ``detail`` holds small int/str facts
    (``requested``, ``qty``, ...).
    """

    seq: int
    status: OpStatus
    code: str | None = None
    detail: Mapping[str, int | str] = field(default_factory=dict)
