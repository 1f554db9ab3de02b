"""Failed-login throttling arithmetic (pure: state and time in, state or a delay out).

Two throttles guard every password check: one per account key (a hash of the login name
as typed, so unknown names are throttled exactly like real ones and the throttle reveals
nothing) and one per source (the caller's address). The controls (ASVS 4.0.3 2.2.1,
5.0 6.1.1/6.3.1):

* **Growing delays.** The first ``free_failures`` consecutive failures cost nothing; after
  that each failure makes the next attempt wait ``base_delay_ms * 2**k``, capped at
  ``max_delay_ms`` (1 s, 2 s, 4 s, ... 15 min by default).
* **Hard cap.** A window opens at the first failure and lasts ``window_ms``; at most
  ``max_failures_per_window`` failures fit in it. A sliding hour meets at most
  ``ceil(hour / window_ms) + 1`` windows, so the default (50 per hour-long window)
  allows at most 100 failures in any hour; the constructor refuses settings that allow
  more than :data:`MAX_FAILURES_PER_HOUR`.
* **No permanent lockout.** Delays are capped, consecutive failures are forgotten after
  ``forget_after_ms`` without one, and a correct password resets the account's count:
  an attacker can slow a customer down by at most ``max_delay_ms`` per try, never lock
  them out for good. While throttled, no password is checked and nothing is counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = [
    "HOUR_MS",
    "MAX_FAILURES_PER_HOUR",
    "ThrottlePolicy",
    "ThrottleState",
]

HOUR_MS = 3_600_000
MAX_FAILURES_PER_HOUR = 100


@dataclass(frozen=True, slots=True)
class ThrottleState:
    """What is remembered about one key's failures (all zero for a fresh key)."""

    consecutive: int = 0
    last_failure_ms: int = 0
    window_start_ms: int = 0
    window_count: int = 0


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Delay schedule and caps for one kind of key (account or source)."""

    free_failures: int = 5
    base_delay_ms: int = 1_000
    max_delay_ms: int = 15 * 60_000
    forget_after_ms: int = HOUR_MS
    window_ms: int = HOUR_MS
    max_failures_per_window: int = 50

    def __post_init__(self) -> None:
        if min(self.free_failures, self.base_delay_ms, self.max_delay_ms) < 0:
            raise ValueError("throttle settings must not be negative")
        if self.window_ms <= 0 or self.max_failures_per_window <= 0:
            raise ValueError("throttle window and cap must be positive")
        if self.forget_after_ms < self.max_delay_ms:
            raise ValueError("forget_after_ms must be at least max_delay_ms")
        if self.worst_case_per_hour() > MAX_FAILURES_PER_HOUR:
            raise ValueError(
                f"these settings allow more than {MAX_FAILURES_PER_HOUR} failures/hour"
            )

    def worst_case_per_hour(self) -> int:
        """Most failures any one-hour span can hold under the window cap."""
        windows = -(-HOUR_MS // self.window_ms) + 1
        return windows * self.max_failures_per_window

    def delay_after(self, consecutive: int) -> int:
        """Wait (ms) imposed after ``consecutive`` failures in a row."""
        first = max(self.free_failures, 1)  # the first delay is always base_delay_ms
        if consecutive < first:
            return 0
        exponent = min(consecutive - first, 40)  # 2**40 s is past any cap
        return min(self.base_delay_ms * (1 << exponent), self.max_delay_ms)

    def _live(self, state: ThrottleState, now_ms: int) -> ThrottleState:
        """``state`` with forgotten failures and a closed window cleared."""
        if state.consecutive and now_ms - state.last_failure_ms >= self.forget_after_ms:
            state = replace(state, consecutive=0)
        if state.window_count and now_ms - state.window_start_ms >= self.window_ms:
            state = replace(state, window_start_ms=0, window_count=0)
        return state

    def retry_after_ms(self, state: ThrottleState, now_ms: int) -> int:
        """0 when an attempt may be made at ``now_ms``, else how long to wait."""
        live = self._live(state, now_ms)
        wait = 0
        if live.consecutive:
            wait = live.last_failure_ms + self.delay_after(live.consecutive) - now_ms
        if live.window_count >= self.max_failures_per_window:
            wait = max(wait, live.window_start_ms + self.window_ms - now_ms)
        return max(wait, 0)

    def after_failure(self, state: ThrottleState, now_ms: int) -> ThrottleState:
        """The state after a failed attempt at ``now_ms`` (one that was allowed)."""
        live = self._live(state, now_ms)
        window_start = live.window_start_ms if live.window_count else now_ms
        return ThrottleState(
            consecutive=live.consecutive + 1,
            last_failure_ms=now_ms,
            window_start_ms=window_start,
            window_count=live.window_count + 1,
        )

    def after_success(self, state: ThrottleState, now_ms: int) -> ThrottleState:
        """The state after the correct password: the run of failures ends.

        The window count stays, so successes cannot be used to lift the hourly cap.
        """
        return replace(self._live(state, now_ms), consecutive=0)
