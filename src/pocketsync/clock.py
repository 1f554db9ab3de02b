"""Injected time and randomness.

The core never reads the wall clock or the random source itself: callers pass a
:class:`Clock` (and, where needed, a byte source). Adapters use :class:`SystemClock`;
tests use :class:`FixedClock`, which only moves when told to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """A source of wall-clock time in UTC milliseconds since the Unix epoch."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The real clock (adapters only)."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


@dataclass
class FixedClock:
    """A clock for tests: returns ``ms`` until :meth:`advance` moves it."""

    ms: int = field(default=1_700_000_000_000)

    def now_ms(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms
