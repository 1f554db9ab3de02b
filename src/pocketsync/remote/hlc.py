"""Hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a logical counter.

Stamps order last-writer-wins decisions. They stay close to real time (so "the later
decision wins" matches what people expect) yet never go backwards, even when the wall
clock does, and a stamp received from elsewhere pushes the local clock past it. Ties between
equal ``(wall_ms, counter)`` pairs are broken by the writer's client id (see :class:`Stamp`).
Time is read only through an injected :class:`~pocketsync.clock.Clock`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pocketsync.clock import Clock
from pocketsync.remote.errors import ClockSkewError

__all__ = ["MAX_COUNTER", "MAX_WALL_MS", "Hlc", "HybridClock", "Stamp"]

MAX_COUNTER = 0xFFFF
# Year 2300 or so: anything later is a broken clock, not a date.
MAX_WALL_MS = 10_400_000_000_000


@dataclass(frozen=True, slots=True, order=True)
class Hlc:
    """One hybrid-logical-clock reading; ordered by ``(wall_ms, counter)``."""

    wall_ms: int
    counter: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.wall_ms <= MAX_WALL_MS or not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError(f"HLC out of range: {self.wall_ms}/{self.counter}")


@dataclass(frozen=True, slots=True, order=True)
class Stamp:
    """An HLC reading tied to its writer: the total order used by last-writer-wins.

    ``node`` (the writer's client id) breaks ties so that two devices writing in the
    same millisecond with the same counter still get one deterministic winner.
    """

    hlc: Hlc
    node: bytes = b""


ZERO_STAMP = Stamp(Hlc(0, 0), b"")


class HybridClock:
    """A hybrid logical clock over an injected wall clock.

    ``last`` is the most recent reading handed out or observed, so a persisted clock can
    be resumed (the client store saves it).
    """

    __slots__ = ("_clock", "last")

    def __init__(self, clock: Clock, last: Hlc | None = None) -> None:
        self._clock = clock
        self.last = last or Hlc(0, 0)

    def _advance(self, wall: int, counter: int) -> Hlc:
        # Counter overflow: borrow one millisecond rather than fail; the clock stays
        # monotonic and drifts by at most 1 ms per 65,536 events in one millisecond.
        if counter > MAX_COUNTER:
            wall, counter = wall + 1, 0
        self.last = Hlc(wall, counter)
        return self.last

    def now(self) -> Hlc:
        """Return a reading strictly greater than every earlier one from this clock."""
        wall = self._clock.now_ms()
        if wall > self.last.wall_ms:
            return self._advance(wall, 0)
        return self._advance(self.last.wall_ms, self.last.counter + 1)

    def observe(self, remote: Hlc, *, max_ahead_ms: int | None = None) -> Hlc:
        """Merge a reading received from elsewhere; later :meth:`now` calls exceed it.

        Raises:
            ClockSkewError: ``max_ahead_ms`` is given and ``remote`` is more than that far
                ahead of the local wall clock; the clock is left unchanged.
        """
        wall = self._clock.now_ms()
        if max_ahead_ms is not None and remote.wall_ms > wall + max_ahead_ms:
            raise ClockSkewError(
                f"remote clock is {remote.wall_ms - wall} ms ahead (limit {max_ahead_ms} ms)"
            )
        top = max(self.last, remote)
        if wall > top.wall_ms:
            return self._advance(wall, 0)
        return self._advance(top.wall_ms, top.counter + 1)
