"""Fractional sort keys for favourites: a key strictly between any two keys always exists.

Keys are strings of lowercase letters read as base-26 fractions ("n" is one half). Because
no key ends in "a" (the zero digit), :func:`rank_between` can always find a key in between,
so moving one favourite rewrites one key instead of renumbering the list.
"""

from __future__ import annotations

from pocketsync.remote.ops import RANK_ALPHABET, check_rank

__all__ = ["rank_after", "rank_between"]

_BASE = len(RANK_ALPHABET)


def _digit(text: str, i: int) -> int:
    return RANK_ALPHABET.index(text[i]) if i < len(text) else 0


def _midpoint(lo: str, hi: str | None) -> str:
    if hi is not None:
        n = 0
        while _digit(lo, n) == _digit(hi, n):
            n += 1
        if n:
            return hi[:n] + _midpoint(lo[n:], hi[n:])
    d_lo = _digit(lo, 0)
    d_hi = _digit(hi, 0) if hi is not None else _BASE
    if d_hi - d_lo > 1:
        return RANK_ALPHABET[(d_lo + d_hi) // 2]
    if hi is not None and len(hi) > 1:
        return hi[0]
    return RANK_ALPHABET[d_lo] + _midpoint(lo[1:], None)


def rank_between(lo: str | None, hi: str | None) -> str:
    """Return a valid rank strictly after ``lo`` and strictly before ``hi``.

    ``None`` means the start (for ``lo``) or the end (for ``hi``) of the list.

    Raises:
        ValueError: a bound is not a valid rank, or ``lo >= hi``.
    """
    for bound in (lo, hi):
        if bound is not None:
            check_rank(bound)
    if lo is not None and hi is not None and lo >= hi:
        raise ValueError("lower rank must sort before the upper rank")
    return _midpoint(lo or "", hi)


def rank_after(last: str | None) -> str:
    """Return a rank after ``last`` (the end of the list when ``last`` is None)."""
    return rank_between(last, None)
