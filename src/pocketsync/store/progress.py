"""What an apply reports while it runs, and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from pocketsync.bundle.plan import RoleCursor
from pocketsync.clock import Clock

__all__ = ["ApplyKind", "ApplyResult", "Phase", "Progress", "ProgressTracker"]

Phase = Literal["download", "apply", "index", "done"]
ApplyKind = Literal["noop", "full_reset", "delta"]


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress report.

    ``download`` brings chunks into the verified cache (``bytes_done`` counts them, cached
    or fetched); ``apply`` writes them (``rows_done`` counts rows); ``index`` builds the
    indexes after a bulk load; ``done`` is sent once after success. ``seconds_left`` is
    an estimate from the store's injected clock, ``None`` without a clock or before
    there is anything to extrapolate from.
    """

    phase: Phase
    chunks_done: int
    chunks_total: int
    bytes_done: int
    bytes_total: int
    rows_done: int
    rows_total: int
    seconds_left: float | None


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply did. ``cursors`` are the store's cursors afterwards."""

    kind: ApplyKind
    cursors: Mapping[str, RoleCursor]
    chunks_applied: int
    chunks_fetched: int
    chunks_from_cache: int
    bytes_fetched: int
    rows_upserted: int
    rows_deleted: int


class ProgressTracker:
    """Counts work and sends :class:`Progress` reports to an optional callback.

    The estimate weighs downloading and applying a byte equally, which is crude but
    monotone; the index phase is not estimated separately.
    """

    def __init__(
        self,
        callback: Callable[[Progress], None] | None,
        clock: Clock | None,
        *,
        chunks_total: int,
        bytes_total: int,
        rows_total: int,
    ) -> None:
        self._callback = callback
        self._clock = clock
        self._start = clock.now_ms() if clock is not None else 0
        self.chunks_total = chunks_total
        self.bytes_total = bytes_total
        self.rows_total = rows_total
        self.phase: Phase = "download"
        self.chunks_done = 0
        self.bytes_done = 0
        self.rows_done = 0
        self._work_done = 0

    def start(self, phase: Phase) -> None:
        """Enter ``phase`` (its counters restart) and report."""
        self.phase = phase
        self.chunks_done = self.bytes_done = self.rows_done = 0
        self._report()

    def chunk_done(self, nbytes: int, rows: int) -> None:
        """One chunk of the current phase finished."""
        self.chunks_done += 1
        self.bytes_done += nbytes
        self.rows_done += rows
        self._work_done += nbytes
        self._report()

    def _seconds_left(self) -> float | None:
        total = 2 * self.bytes_total
        if self._clock is None or self._work_done == 0 or total == 0:
            return None
        if self.phase == "done":
            return 0.0
        elapsed = (self._clock.now_ms() - self._start) / 1000
        left = max(total - self._work_done, 0)
        return elapsed * left / self._work_done

    def _report(self) -> None:
        if self._callback is None:
            return
        self._callback(
            Progress(
                phase=self.phase,
                chunks_done=self.chunks_done,
                chunks_total=self.chunks_total,
                bytes_done=self.bytes_done,
                bytes_total=self.bytes_total,
                rows_done=self.rows_done,
                rows_total=self.rows_total,
                seconds_left=self._seconds_left(),
            )
        )
