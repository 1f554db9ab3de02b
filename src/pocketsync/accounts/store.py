"""Storage helpers shared by the customer and admin services (SQLAlchemy Core).

Each helper works on a ``Connection`` inside the caller's transaction, so an action,
its session revocations and its audit line commit or roll back together. On PostgreSQL
rows whose read-modify-write order matters are read ``FOR UPDATE``; on SQLite every
transaction already holds the write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pocketsync.accounts.errors import InvalidRequest
from pocketsync.accounts.mailer import Mailer, MailMessage
from pocketsync.accounts.model import Customer, User
from pocketsync.accounts.passwords import PasswordHasher, PasswordPolicy
from pocketsync.accounts.schema import (
    account_audit_log,
    account_devices,
    account_reset_tokens,
    account_sessions,
    account_throttle,
)
from pocketsync.accounts.throttle import ThrottlePolicy, ThrottleState
from pocketsync.accounts.tokens import SessionPolicy, TokenBytes, hash_token, new_token
from pocketsync.clock import Clock

__all__ = [
    "AccountSettings",
    "OnUserDeleted",
]

log = logging.getLogger("pocketsync.accounts")


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """Tunable policies; the defaults follow security_anchors.md S11-S22.

    ``reset_url`` is formatted with ``token=`` to build the link mailed to users.
    """

    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    session_policy: SessionPolicy = field(default_factory=SessionPolicy)
    account_throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    source_throttle: ThrottlePolicy = field(
        default_factory=lambda: ThrottlePolicy(free_failures=20, max_failures_per_window=50)
    )
    reset_url: str = "https://shop.example/password-reset?token={token}"
    shop_name: str = "the shop"


@dataclass(slots=True)
class Deps:
    """What both services are built from."""

    engine: Engine
    clock: Clock
    mailer: Mailer
    hasher: PasswordHasher
    token_bytes: TokenBytes = secrets.token_bytes
    settings: AccountSettings = field(default_factory=AccountSettings)

    @classmethod
    def with_defaults(
        cls,
        engine: Engine,
        clock: Clock,
        mailer: Mailer,
        hasher: PasswordHasher | None,
        token_bytes: TokenBytes,
        settings: AccountSettings | None,
    ) -> Deps:
        """The services' constructor arguments, ``None`` meaning the default hasher (Argon2id,
        OWASP parameters) and the default settings."""
        hasher, settings = hasher or PasswordHasher(), settings or AccountSettings()
        return cls(engine, clock, mailer, hasher, token_bytes, settings)

    def now(self) -> int:
        return self.clock.now_ms()


def login_key(login: str) -> str:
    """The case-insensitive form logins are unique and looked up under."""
    return unicodedata.normalize("NFKC", login).strip().casefold()


def throttle_key(kind: str, value: str) -> str:
    """A throttle row key; the hash keeps typed names (maybe passwords) out of the table."""
    return f"{kind}:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def check_text(name: str, value: str, *, max_length: int, empty_ok: bool = False) -> str:
    """``value`` stripped, or raise InvalidRequest naming the field (never the value)."""
    value = value.strip()
    if (not value and not empty_ok) or len(value) > max_length:
        raise InvalidRequest(f"{name} must be 1 to {max_length} characters.")
    return value


def lock_throttle(conn: Connection, key: str) -> ThrottleState:
    """The throttle state of ``key``, its row created if needed and locked on PostgreSQL."""
    values = {
        "key": key,
        "consecutive": 0,
        "last_failure_ms": 0,
        "window_start_ms": 0,
        "window_count": 0,
    }
    insert: Any
    if conn.dialect.name == "postgresql":
        insert = postgresql.insert(account_throttle).values(**values).on_conflict_do_nothing()
    else:
        insert = sqlite.insert(account_throttle).values(**values).on_conflict_do_nothing()
    conn.execute(insert)
    row = conn.execute(
        select(account_throttle).where(account_throttle.c.key == key).with_for_update()
    ).one()
    return ThrottleState(
        consecutive=row.consecutive,
        last_failure_ms=row.last_failure_ms,
        window_start_ms=row.window_start_ms,
        window_count=row.window_count,
    )


def save_throttle(conn: Connection, key: str, state: ThrottleState) -> None:
    """Store ``state`` for ``key`` (its row must exist: see :func:`lock_throttle`)."""
    conn.execute(
        update(account_throttle)
        .where(account_throttle.c.key == key)
        .values(
            consecutive=state.consecutive,
            last_failure_ms=state.last_failure_ms,
            window_start_ms=state.window_start_ms,
            window_count=state.window_count,
        )
    )


def audit(
    conn: Connection,
    now_ms: int,
    *,
    actor: tuple[str, str],
    action: str,
    target: tuple[str, str],
    **details: str | int | bool | list[str] | None,
) -> None:
    """Append an audit line. ``details`` must never hold a secret (callers pass names/flags)."""
    conn.execute(
        account_audit_log.insert().values(
            at_ms=now_ms,
            actor_kind=actor[0],
            actor_id=actor[1],
            action=action,
            target_kind=target[0],
            target_id=target[1],
            details=json.dumps(details, sort_keys=True),
        )
    )
    log.info("audit %s by %s:%s on %s:%s", action, actor[0], actor[1], target[0], target[1])


def end_sessions(
    conn: Connection, user_id: str, now_ms: int, reason: str, *, keep: str | None = None
) -> int:
    """End every open session of ``user_id`` except ``keep``; returns how many."""
    cond = and_(account_sessions.c.user_id == user_id, account_sessions.c.ended_ms.is_(None))
    if keep is not None:
        cond = and_(cond, account_sessions.c.id != keep)
    result = conn.execute(
        update(account_sessions).where(cond).values(ended_ms=now_ms, end_reason=reason)
    )
    return int(result.rowcount)


def issue_reset_link(
    conn: Connection, deps: Deps, *, user_id: str, epoch: int, purpose: str, to: str
) -> None:
    """Store a hashed one-time token for ``user_id`` and mail its link to ``to``.

    Earlier unused links of the user are voided, so only the newest one works.
    """
    now = deps.now()
    policy = deps.settings.session_policy
    ttl = policy.invite_ttl_ms if purpose == "invite" else policy.reset_ttl_ms
    conn.execute(
        update(account_reset_tokens)
        .where(account_reset_tokens.c.user_id == user_id, account_reset_tokens.c.used_ms.is_(None))
        .values(used_ms=now)
    )
    token = new_token(deps.token_bytes)
    conn.execute(
        account_reset_tokens.insert().values(
            token_hash=hash_token(token),
            user_id=user_id,
            purpose=purpose,
            credential_epoch=epoch,
            created_ms=now,
            expires_ms=now + ttl,
        )
    )
    link = deps.settings.reset_url.format(token=token)
    minutes = ttl // 60_000
    if purpose == "invite":
        subject = f"Your account at {deps.settings.shop_name}"
        intro = "An account was created for you. Choose your password here"
    else:
        subject = f"Reset your password at {deps.settings.shop_name}"
        intro = "Someone asked to reset your password. If it was you, choose a new one here"
    body = f"{intro} (valid for {minutes} minutes, once):\n\n{link}\n"
    deps.mailer.send(MailMessage(to=to, subject=subject, body=body, link=link))
    log.info("%s link issued for user %s", purpose, user_id)


def customer_from_row(row: Row[Any]) -> Customer:
    """A :class:`Customer` from an ``account_customers`` row."""
    return Customer(
        customer_id=row.id,
        company_name=row.company_name,
        account_number=row.account_number,
        price_list_id=row.price_list_id,
        account_type=row.account_type,
        active=bool(row.active),
        created_ms=row.created_ms,
        updated_ms=row.updated_ms,
        deleted=row.deleted_ms is not None,
    )


def user_from_row(row: Row[Any]) -> User:
    """A :class:`User` from an ``account_users`` row."""
    return User(
        user_id=row.id,
        customer_id=row.customer_id,
        login=row.login,
        email=row.email,
        display_name=row.display_name,
        active=bool(row.active),
        has_password=row.password_hash is not None,
        must_change_password=bool(row.must_change_password),
        created_ms=row.created_ms,
        updated_ms=row.updated_ms,
        deleted=row.deleted_ms is not None,
    )


OnUserDeleted = Callable[[Connection, str], None]


def upsert_device(
    conn: Connection, *, user_id: str, channel: str, device_id: str, now_ms: int
) -> None:
    """Record that ``device_id`` was used by ``user_id`` on ``channel`` at ``now_ms``."""
    values = {
        "user_id": user_id,
        "channel": channel,
        "device_id": device_id,
        "first_seen_ms": now_ms,
        "last_seen_ms": now_ms,
    }
    keys = ["user_id", "channel", "device_id"]
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(account_devices).values(**values)
    else:
        stmt = sqlite.insert(account_devices).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={"last_seen_ms": now_ms}))
