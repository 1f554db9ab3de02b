"""Token generation and the per-request session rules (pure)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from pocketsync.accounts import (
    AccountDeleted,
    AccountDisabled,
    CredentialsChanged,
    InvalidRequest,
    PasswordChangeRequired,
    SessionEnded,
    SessionExpired,
    TradeAccountsOnly,
)
from pocketsync.accounts.tokens import (
    SessionPolicy,
    SessionView,
    check_channel,
    check_session,
    hash_token,
    new_id,
    new_token,
)

OK = SessionView(
    session_epoch=3, account_epoch=3, ended=False, end_reason=None, expires_ms=1_000,
    channel="app", account_type="b2b", user_active=True, customer_active=True,
    user_deleted=False, customer_deleted=False, must_change_password=False,
)  # fmt: skip


def test_tokens_come_from_the_injected_source() -> None:
    calls: list[int] = []

    def source(n: int) -> bytes:
        calls.append(n)
        return b"\x01" * n

    token = new_token(source)
    assert calls == [32]
    assert token == new_token(lambda n: b"\x01" * n)
    assert len(token) == 43  # 256 bits, URL-safe base64 without padding
    with pytest.raises(ValueError, match="128 bits"):
        new_token(source, 15)
    with pytest.raises(ValueError, match="wrong number"):
        new_token(lambda n: b"short")
    assert new_id(lambda n: b"\xab" * n) == "ab" * 16


def test_hash_is_sha256() -> None:
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"user_deleted": True, "session_epoch": 1, "ended": True}, AccountDeleted),
        ({"customer_deleted": True, "expires_ms": 0}, AccountDeleted),
        ({"account_epoch": 4, "user_active": False}, CredentialsChanged),
        ({"account_epoch": 4, "expires_ms": 0}, CredentialsChanged),
        ({"ended": True, "end_reason": "credentials_changed"}, CredentialsChanged),
        ({"user_active": False, "ended": True}, AccountDisabled),
        ({"customer_active": False}, AccountDisabled),
        ({"ended": True, "end_reason": "logout"}, SessionEnded),
        ({"ended": True, "end_reason": "admin", "expires_ms": 0}, SessionEnded),
        ({"expires_ms": 999}, SessionExpired),
        ({"account_type": "b2c"}, TradeAccountsOnly),
        ({"must_change_password": True}, PasswordChangeRequired),
    ],
)
def test_check_session_order(change: dict[str, object], error: type[Exception]) -> None:
    check_session(OK, 999)
    with pytest.raises(error):
        check_session(replace(OK, **change), 999)  # type: ignore[arg-type]


def test_pending_change_can_be_allowed_and_web_takes_b2c() -> None:
    check_session(replace(OK, must_change_password=True), 0, allow_pending_change=True)
    check_session(replace(OK, channel="web", account_type="b2c"), 0)
    with pytest.raises(InvalidRequest):
        check_channel("fax", "b2b")


def test_refresh_expiry_never_passes_the_absolute_cap() -> None:
    p = SessionPolicy()
    assert p.refresh_expiry(0, 0) == p.refresh_ttl_ms
    late = p.absolute_ttl_ms - 1_000
    assert p.refresh_expiry(late, 0) == p.absolute_ttl_ms
