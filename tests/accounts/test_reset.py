"""Password reset: hashed single-use expiring links, no auto-login, all sessions end."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from pocketsync.accounts import (
    AccountService,
    AdminService,
    CredentialsChanged,
    LoginFailed,
    MemoryMailer,
    PasswordPolicyError,
    ResetTokenInvalid,
    Throttled,
)
from pocketsync.accounts.schema import account_reset_tokens
from pocketsync.clock import FixedClock
from tests.accounts.conftest import PASSWORD

NEW = "freshly reset passphrase 7"


def _token(mailer: MemoryMailer) -> str:
    link = mailer.sent[-1].link
    return link.split("token=", 1)[1]


def test_reset_ends_all_sessions_and_does_not_log_in(
    accounts: AccountService, make_account, mailer: MemoryMailer
) -> None:
    acct = make_account()
    web = accounts.login(acct.login, PASSWORD, channel="web", device_id="b", source="s")
    app = accounts.login(acct.login, PASSWORD, channel="app", device_id="p", source="s")
    accounts.request_password_reset(acct.login, source="s")
    assert len(mailer.sent) == 1
    assert mailer.sent[0].to == acct.login
    assert accounts.reset_password(_token(mailer), NEW) is None  # no tokens: no auto-login
    for t in (web, app):
        with pytest.raises(CredentialsChanged):
            accounts.authenticate(t.access_token)
    with pytest.raises(LoginFailed):
        accounts.login(acct.login, PASSWORD, channel="web", device_id="b", source="s2")
    accounts.login(acct.login, NEW, channel="app", device_id="p", source="s2")


def test_reset_token_is_single_use(
    accounts: AccountService, make_account, mailer: MemoryMailer
) -> None:
    acct = make_account()
    accounts.request_password_reset(acct.login, source="s")
    token = _token(mailer)
    accounts.reset_password(token, NEW)
    with pytest.raises(ResetTokenInvalid) as info:
        accounts.reset_password(token, "yet another passphrase")
    assert (info.value.code, info.value.status_hint) == ("reset_token_invalid", 400)


def test_reset_token_expires(
    accounts: AccountService, make_account, mailer: MemoryMailer, clock: FixedClock
) -> None:
    acct = make_account()
    accounts.request_password_reset(acct.login, source="s")
    clock.advance(30 * 60_000)
    with pytest.raises(ResetTokenInvalid):
        accounts.reset_password(_token(mailer), NEW)
    accounts.login(acct.login, PASSWORD, channel="web", device_id="b", source="s")


def test_newer_link_or_password_change_voids_link(
    accounts: AccountService, make_account, mailer: MemoryMailer
) -> None:
    acct = make_account()
    accounts.request_password_reset(acct.login, source="s")
    first = _token(mailer)
    accounts.request_password_reset(acct.login, source="s")
    second = _token(mailer)
    with pytest.raises(ResetTokenInvalid):
        accounts.reset_password(first, NEW)
    t = accounts.login(acct.login, PASSWORD, channel="web", device_id="b", source="s")
    accounts.change_password(t.access_token, PASSWORD, NEW)
    with pytest.raises(ResetTokenInvalid):
        accounts.reset_password(second, "another passphrase 55")


def test_policy_failure_keeps_token_usable(
    accounts: AccountService, make_account, mailer: MemoryMailer
) -> None:
    acct = make_account()
    accounts.request_password_reset(acct.login, source="s")
    with pytest.raises(PasswordPolicyError):
        accounts.reset_password(_token(mailer), "password1")
    accounts.reset_password(_token(mailer), NEW)


def test_unknown_or_unknown_token_answers_alike(
    accounts: AccountService, mailer: MemoryMailer
) -> None:
    assert accounts.request_password_reset("nobody@example.com", source="s") is None
    assert mailer.sent == []
    with pytest.raises(ResetTokenInvalid):
        accounts.reset_password("not-a-token", NEW)


def test_reset_tokens_stored_hashed(
    accounts: AccountService, make_account, mailer: MemoryMailer, server_engine: Engine
) -> None:
    acct = make_account()
    accounts.request_password_reset(acct.login, source="s")
    token = _token(mailer)
    assert len(token) >= 43
    with server_engine.connect() as conn:
        dump = repr(conn.execute(select(account_reset_tokens)).all())
    assert token not in dump
    assert "token_hash" not in repr(mailer.sent[-1])
    assert token not in repr(mailer.sent[-1])


def test_reset_requests_are_rate_limited(
    accounts: AccountService, make_account, mailer: MemoryMailer
) -> None:
    acct = make_account()
    for _ in range(10):
        accounts.request_password_reset(acct.login, source="s")
    assert len(mailer.sent) == 5  # per-account limit: silently no more mail
    for n in range(10):
        accounts.request_password_reset(f"x{n}@example.com", source="s")
    with pytest.raises(Throttled):  # per-source limit: said openly
        accounts.request_password_reset(acct.login, source="s")


def test_invitation_link_sets_first_password(
    accounts: AccountService, admin: AdminService, actor, mailer: MemoryMailer
) -> None:
    customer = admin.create_customer(
        actor, company_name="New Co", account_number="N-1", price_list_id="PL"
    )
    user = admin.create_user(
        actor, customer.customer_id, login="new@example.com", display_name="New"
    )
    assert not user.has_password
    assert mailer.sent[-1].to == "new@example.com"
    with pytest.raises(LoginFailed):
        accounts.login("new@example.com", "", channel="web", device_id="b", source="s")
    accounts.reset_password(_token(mailer), NEW)
    accounts.login("new@example.com", NEW, channel="app", device_id="p", source="s")
