"""Throttle arithmetic with injected time (S17): growing delays, caps, no permanent lockout."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pocketsync.accounts import ThrottlePolicy, ThrottleState
from pocketsync.accounts.throttle import HOUR_MS

T0 = 1_700_000_000_000


def test_free_failures_then_doubling_delays_capped() -> None:
    p = ThrottlePolicy()
    assert [p.delay_after(n) for n in range(5)] == [0] * 5
    assert [p.delay_after(n) for n in range(5, 10)] == [1_000, 2_000, 4_000, 8_000, 16_000]
    assert p.delay_after(15) == 15 * 60_000
    assert p.delay_after(10_000) == 15 * 60_000


def test_retry_after_counts_from_last_failure() -> None:
    p = ThrottlePolicy(free_failures=0)
    s = p.after_failure(ThrottleState(), T0)
    assert p.retry_after_ms(s, T0) == 1_000
    assert p.retry_after_ms(s, T0 + 400) == 600
    assert p.retry_after_ms(s, T0 + 1_000) == 0
    s = p.after_failure(s, T0 + 1_000)
    assert p.retry_after_ms(s, T0 + 1_000) == 2_000


def test_failures_forgotten_after_quiet_and_success_resets() -> None:
    p = ThrottlePolicy()
    s = ThrottleState()
    for i in range(12):
        s = p.after_failure(s, T0 + i)
    assert p.retry_after_ms(s, T0 + 20) > 0
    assert p.retry_after_ms(s, T0 + 11 + HOUR_MS) == 0
    assert p.after_failure(s, T0 + 11 + HOUR_MS).consecutive == 1
    assert p.after_success(s, T0 + 20).consecutive == 0


def _attacker(policy: ThrottlePolicy, duration_ms: int, success_every: int | None) -> list[int]:
    """Fail as soon as allowed for ``duration_ms``; optionally a real login in between."""
    state, now, failures, n = ThrottleState(), T0, [], 0
    while now < T0 + duration_ms:
        wait = policy.retry_after_ms(state, now)
        if wait:
            now += wait
            continue
        n += 1
        if success_every and n % success_every == 0:
            state = policy.after_success(state, now)
        else:
            state = policy.after_failure(state, now)
            failures.append(now)
        now += 1
    return failures


@pytest.mark.parametrize("success_every", [None, 2, 6])
def test_never_more_than_100_failures_in_any_hour(success_every: int | None) -> None:
    failures = _attacker(ThrottlePolicy(), 6 * HOUR_MS, success_every)
    worst = max(sum(1 for f in failures if start <= f < start + HOUR_MS) for start in failures)
    assert worst <= 100
    assert len(failures) > 20  # still possible to keep trying: no permanent lock


def test_attacker_alone_gets_few_guesses_and_never_a_permanent_lock() -> None:
    p = ThrottlePolicy()
    failures = _attacker(p, HOUR_MS, None)
    assert len(failures) < 25
    state = ThrottleState()
    for f in failures:
        state = p.after_failure(state, f)
    # The real user waits at most the capped delay after the attacker's last try.
    assert p.retry_after_ms(state, failures[-1]) <= p.max_delay_ms


def test_settings_allowing_more_than_100_per_hour_are_refused() -> None:
    with pytest.raises(ValueError, match="100"):
        ThrottlePolicy(max_failures_per_window=51)
    with pytest.raises(ValueError, match="100"):
        ThrottlePolicy(window_ms=10 * 60_000, max_failures_per_window=20)
    with pytest.raises(ValueError, match="forget_after_ms"):
        ThrottlePolicy(forget_after_ms=1_000)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=HOUR_MS), max_size=60))
def test_waiting_the_answer_always_allows_the_next_try(gaps: list[int]) -> None:
    p = ThrottlePolicy()
    state, now = ThrottleState(), T0
    for gap in gaps:
        now += gap
        wait = p.retry_after_ms(state, now)
        assert 0 <= wait <= HOUR_MS
        now += wait
        assert p.retry_after_ms(state, now) == 0
        state = p.after_failure(state, now)
