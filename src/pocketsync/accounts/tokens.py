"""Session and reset tokens, and the rules every request's session check applies (pure).

Tokens are ``token_bytes(32)`` (256 bits from the injected CSPRNG, ASVS 7.2.3) encoded
URL-safe; the database keeps only their SHA-256. A plain hash is enough because the
input is random and long: unlike a password there is nothing to guess, so a slow hash
would only cost every request time.

:func:`check_session` is the whole decision for one request, in a fixed order: a deleted
account must be told to wipe even with an expired token, and a password change must be
reported as such (not as "expired") so the app knows to ask for the password again.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from pocketsync.accounts.errors import (
    AccountDeleted,
    AccountDisabled,
    CredentialsChanged,
    InvalidRequest,
    PasswordChangeRequired,
    SessionEnded,
    SessionExpired,
    TradeAccountsOnly,
)
from pocketsync.accounts.model import AccountType, Channel

__all__ = [
    "MIN_TOKEN_BYTES",
    "SessionPolicy",
    "SessionView",
    "check_channel",
    "check_session",
    "hash_token",
    "new_id",
    "new_token",
]

MIN_TOKEN_BYTES = 16  # 128 bits, the ASVS floor; we draw 32 by default

TokenBytes = Callable[[int], bytes]


def new_token(token_bytes: TokenBytes, nbytes: int = 32) -> str:
    """A fresh random token of ``nbytes`` (at least 16) from ``token_bytes``."""
    if nbytes < MIN_TOKEN_BYTES:
        raise ValueError("tokens need at least 128 bits")
    raw = token_bytes(nbytes)
    if len(raw) != nbytes:
        raise ValueError("the random source returned the wrong number of bytes")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_id(token_bytes: TokenBytes) -> str:
    """A random 128-bit identifier as 32 hex digits (not a secret)."""
    return token_bytes(16).hex()


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which ``token`` is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Lifetimes (ms). Access tokens are short; refresh keeps the app logged in."""

    access_ttl_ms: int = 15 * 60_000
    refresh_ttl_ms: int = 30 * 24 * 3_600_000
    absolute_ttl_ms: int = 180 * 24 * 3_600_000
    reset_ttl_ms: int = 30 * 60_000
    invite_ttl_ms: int = 72 * 3_600_000
    admin_idle_ms: int = 30 * 60_000
    admin_absolute_ms: int = 8 * 3_600_000

    def refresh_expiry(self, now_ms: int, created_ms: int) -> int:
        """When a refresh token issued at ``now_ms`` expires (never past the absolute cap)."""
        return min(now_ms + self.refresh_ttl_ms, created_ms + self.absolute_ttl_ms)


@dataclass(frozen=True, slots=True)
class SessionView:
    """What :func:`check_session` needs to know about a session and its account."""

    session_epoch: int
    account_epoch: int
    ended: bool
    end_reason: str | None
    expires_ms: int
    channel: str
    account_type: str
    user_active: bool
    customer_active: bool
    user_deleted: bool
    customer_deleted: bool
    must_change_password: bool


def check_channel(channel: str, account_type: str) -> None:
    """Refuse an unknown channel, or a B2C account on the app channel.

    Raises:
        InvalidRequest: ``channel`` is neither ``web`` nor ``app``.
        TradeAccountsOnly: the app channel and a B2C account.
    """
    if channel not in (Channel.WEB, Channel.APP):
        raise InvalidRequest("Unknown channel; use 'web' or 'app'.")
    if channel == Channel.APP and account_type != AccountType.B2B:
        raise TradeAccountsOnly()


def check_session(view: SessionView, now_ms: int, *, allow_pending_change: bool = False) -> None:
    """Accept the session for a request at ``now_ms`` or raise why not.

    Raises, in this order:
        AccountDeleted: the user or its customer was deleted (the device must wipe).
        CredentialsChanged: the password changed after the session was issued.
        AccountDisabled: the user or its customer is disabled.
        SessionEnded: logout, a newer login on the device, or an administrator.
        SessionExpired: ``now_ms`` is at or past ``expires_ms``.
        TradeAccountsOnly: the customer became B2C and this is an app session.
        PasswordChangeRequired: an administrator set the password (unless allowed).
    """
    if view.user_deleted or view.customer_deleted:
        raise AccountDeleted()
    if view.session_epoch != view.account_epoch:
        raise CredentialsChanged()
    if not (view.user_active and view.customer_active):
        raise AccountDisabled()
    if view.ended:
        if view.end_reason == "credentials_changed":
            raise CredentialsChanged()
        raise SessionEnded()
    if now_ms >= view.expires_ms:
        raise SessionExpired()
    check_channel(view.channel, view.account_type)
    if view.must_change_password and not allow_pending_change:
        raise PasswordChangeRequired()
