"""Concurrent requests: no lost throttle updates, one winner per refresh token."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, select

from pocketsync.accounts import AccountService, InvalidToken, LoginFailed, Throttled
from pocketsync.accounts.schema import account_throttle
from pocketsync.accounts.store import login_key, throttle_key
from tests.accounts.conftest import PASSWORD


def test_parallel_failures_are_all_counted(
    accounts: AccountService, make_account, server_engine: Engine
) -> None:
    acct = make_account()

    def attempt(n: int) -> str:
        try:
            accounts.login(
                acct.login, f"wrong guess {n}", channel="web", device_id="d", source=f"s{n}"
            )
        except (LoginFailed, Throttled) as exc:
            return exc.code
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(attempt, range(12)))
    assert codes.count("login_failed") == 5  # the free failures; the rest waited
    assert codes.count("throttled") == 7
    with server_engine.connect() as conn:
        consecutive = conn.execute(
            select(account_throttle.c.consecutive).where(
                account_throttle.c.key == throttle_key("acct", login_key(acct.login))
            )
        ).scalar_one()
    assert consecutive == 5


def test_parallel_refresh_has_one_winner(accounts: AccountService, make_account) -> None:
    acct = make_account()
    t = accounts.login(acct.login, PASSWORD, channel="app", device_id="p", source="s")

    def refresh(_: int) -> str:
        try:
            return accounts.refresh(t.refresh_token).access_token
        except InvalidToken:
            return "invalid"

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(refresh, range(6)))
    winners = [r for r in results if r != "invalid"]
    assert len(winners) == 1
    assert accounts.authenticate(winners[0]).session_id == t.session_id
