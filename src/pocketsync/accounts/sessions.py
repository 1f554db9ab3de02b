"""The joined session row every per-request check reads, and token rotation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, select, update

from pocketsync.accounts.errors import InvalidToken
from pocketsync.accounts.model import TokenPair
from pocketsync.accounts.schema import account_customers, account_sessions, account_users
from pocketsync.accounts.store import Deps
from pocketsync.accounts.tokens import SessionView, hash_token, new_token

__all__ = ["SESSION_ROW", "rotate_tokens", "session_view"]

SESSION_ROW: Select[Any] = select(
    account_sessions,
    account_users.c.customer_id,
    account_users.c.login,
    account_users.c.login_key,
    account_users.c.display_name,
    account_users.c.active.label("user_active"),
    account_users.c.password_hash,
    account_users.c.must_change_password,
    account_users.c.credential_epoch.label("user_epoch"),
    account_users.c.deleted_ms.label("user_deleted_ms"),
    account_customers.c.price_list_id,
    account_customers.c.account_type,
    account_customers.c.company_name,
    account_customers.c.account_number,
    account_customers.c.active.label("customer_active"),
    account_customers.c.deleted_ms.label("customer_deleted_ms"),
).select_from(account_sessions.join(account_users).join(account_customers))


def session_view(row: Row[Any], expires_ms: int) -> SessionView:
    return SessionView(
        session_epoch=row.credential_epoch,
        account_epoch=row.user_epoch,
        ended=row.ended_ms is not None,
        end_reason=row.end_reason,
        expires_ms=expires_ms,
        channel=row.channel,
        account_type=row.account_type,
        user_active=bool(row.user_active),
        customer_active=bool(row.customer_active),
        user_deleted=row.user_deleted_ms is not None,
        customer_deleted=row.customer_deleted_ms is not None,
        must_change_password=bool(row.must_change_password),
    )


def rotate_tokens(d: Deps, conn: Connection, row: Row[Any], now: int, *, epoch: int) -> TokenPair:
    """New access and refresh tokens for the session in ``row`` (a ``SESSION_ROW`` row).

    Raises:
        InvalidToken: the refresh token was rotated concurrently.
    """
    policy = d.settings.session_policy
    access, refresh = new_token(d.token_bytes), new_token(d.token_bytes)
    pair = TokenPair(
        session_id=row.id,
        access_token=access,
        access_expires_ms=now + policy.access_ttl_ms,
        refresh_token=refresh,
        refresh_expires_ms=policy.refresh_expiry(now, row.created_ms),
    )
    result = conn.execute(
        update(account_sessions)
        .where(
            account_sessions.c.id == row.id,
            account_sessions.c.refresh_hash == row.refresh_hash,
        )
        .values(
            access_hash=hash_token(access),
            refresh_hash=hash_token(refresh),
            access_expires_ms=pair.access_expires_ms,
            refresh_expires_ms=pair.refresh_expires_ms,
            credential_epoch=epoch,
            last_used_ms=now,
        )
    )
    if result.rowcount != 1:
        raise InvalidToken()
    return pair
