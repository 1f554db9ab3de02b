"""No password, token or reset code in any log line, exception or repr (S21)."""

from __future__ import annotations

import logging
import traceback

import pytest

from pocketsync.accounts import (
    AccountError,
    AccountService,
    AdminService,
    MemoryMailer,
    Secret,
    TokenPair,
)
from pocketsync.accounts.passwords import PasswordPolicy

SENTINEL = "Sentinel-Pa55phrase-ZQX"
SENTINEL2 = "Sentinel-Second-Pa55-ZQX"
SENTINEL3 = "Sentinel-Third-Pa55-ZQX"


def test_sentinel_never_logged_or_raised(
    caplog: pytest.LogCaptureFixture,
    accounts: AccountService,
    admin: AdminService,
    actor,
    mailer: MemoryMailer,
) -> None:
    caplog.set_level(logging.DEBUG)
    captured: list[BaseException] = []
    secrets_seen: list[str] = [SENTINEL, SENTINEL2, SENTINEL3]

    def expect_error(fn) -> None:  # type: ignore[no-untyped-def]
        try:
            fn()
        except AccountError as exc:
            captured.append(exc)
        else:
            raise AssertionError("expected an AccountError")

    customer = admin.create_customer(
        actor, company_name="S", account_number="S-1", price_list_id="P"
    )
    user = admin.create_user(actor, customer.customer_id, login="s@example.com", display_name="S",
                             initial_password=SENTINEL, must_change_password=False)  # fmt: skip
    # login: failures of every kind, then success
    expect_error(
        lambda: accounts.login(
            "s@example.com", SENTINEL + "x", channel="web", device_id="d", source="a"
        )
    )
    expect_error(
        lambda: accounts.login(
            "nobody@example.com", SENTINEL, channel="web", device_id="d", source="a"
        )
    )
    expect_error(
        lambda: accounts.login(SENTINEL, SENTINEL, channel="web", device_id="d", source="a")
    )
    t = accounts.login("s@example.com", SENTINEL, channel="web", device_id="d", source="b")
    app = accounts.login("s@example.com", SENTINEL, channel="app", device_id="p", source="b")
    secrets_seen += [t.access_token, t.refresh_token, app.access_token, app.refresh_token]
    # change: wrong current, policy failure, success
    expect_error(lambda: accounts.change_password(t.access_token, SENTINEL2, SENTINEL3))
    expect_error(lambda: accounts.change_password(t.access_token, SENTINEL, "password"))
    t2 = accounts.change_password(t.access_token, SENTINEL, SENTINEL2)
    secrets_seen += [t2.access_token, t2.refresh_token]
    expect_error(lambda: accounts.authenticate(app.access_token))
    expect_error(lambda: accounts.authenticate(t.access_token))
    expect_error(lambda: accounts.refresh(t.refresh_token))
    # reset: request, bad token, policy failure, success, reuse
    accounts.request_password_reset("s@example.com", source="c")
    link = mailer.sent[-1].link
    reset_token = link.split("token=", 1)[1]
    secrets_seen += [reset_token]
    expect_error(lambda: accounts.reset_password(reset_token + "x", SENTINEL3))
    expect_error(lambda: accounts.reset_password(reset_token, "12345678"))
    accounts.reset_password(reset_token, SENTINEL3)
    expect_error(lambda: accounts.reset_password(reset_token, SENTINEL3))
    # admin sets a password, and an admin session
    admin.set_password(actor, user.user_id, SENTINEL)
    expect_error(lambda: admin.set_password(actor, user.user_id, "qwertyuiop"))
    expect_error(lambda: admin.login("root", SENTINEL, source="a"))

    texts = [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    for exc in captured:
        texts += [
            str(exc),
            repr(exc),
            repr(exc.args),
            "".join(traceback.format_exception_only(exc)),
        ]
    texts += [repr(t), repr(t2), repr(app), repr(mailer.sent), repr(admin.audit_log(limit=500))]
    texts += [repr(admin.list_users()), repr(admin.list_sessions(user.user_id, include_ended=True))]
    assert len(captured) == 13
    assert caplog.records
    blob = "\n".join(texts)
    hits = [s for s in secrets_seen if s in blob]
    assert hits == []


def test_reprs_hide_secrets() -> None:
    s = Secret(SENTINEL)
    assert SENTINEL not in repr(s)
    assert SENTINEL not in str(s)
    assert SENTINEL not in f"{s}"
    assert SENTINEL not in repr([s, {"password": s}])
    pair = TokenPair("sid", SENTINEL, 1, SENTINEL2, 2)
    assert SENTINEL not in repr(pair)
    assert SENTINEL2 not in repr(pair)
    with pytest.raises(TypeError):
        hash(s)
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")


def test_policy_errors_name_the_rule_not_the_password() -> None:
    with pytest.raises(AccountError) as info:
        PasswordPolicy(min_length=30).check(Secret(SENTINEL))
    assert SENTINEL not in str(info.value)
    assert "30" in str(info.value)
