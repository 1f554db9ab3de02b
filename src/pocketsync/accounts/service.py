"""The customer side: login, per-request authentication, refresh, logout, passwords.

One account store serves both channels (``web`` and ``app``), so rate limits, the
credential epoch and revocation apply the same way to both (ASVS 5.0 6.1.3/6.3.3).

Each method runs in one database transaction. A password check holds the throttle rows
of its login name and source for the ~30 ms of Argon2 (row locks on PostgreSQL, the
database write lock on SQLite), so parallel guesses cannot slip past the throttle.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy import Connection, Engine, Row, or_, select, update

from pocketsync.accounts.errors import (
    InvalidRequest,
    InvalidToken,
    LoginFailed,
    Throttled,
)
from pocketsync.accounts.mailer import Mailer
from pocketsync.accounts.model import Principal, Secret, TokenPair
from pocketsync.accounts.passwords import PasswordHasher
from pocketsync.accounts.recovery import PasswordOps
from pocketsync.accounts.schema import (
    account_customers,
    account_devices,
    account_sessions,
    account_users,
)
from pocketsync.accounts.sessions import SESSION_ROW, rotate_tokens, session_view
from pocketsync.accounts.store import (
    AccountSettings,
    Deps,
    lock_throttle,
    login_key,
    save_throttle,
    throttle_key,
    upsert_device,
)
from pocketsync.accounts.tokens import (
    TokenBytes,
    check_channel,
    check_session,
    hash_token,
    new_id,
    new_token,
)
from pocketsync.clock import Clock

__all__ = ["AccountService"]

log = logging.getLogger("pocketsync.accounts")


class AccountService(PasswordOps):
    """Customer authentication for the web shop and the app over one account store."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock,
        mailer: Mailer,
        hasher: PasswordHasher | None = None,
        token_bytes: TokenBytes = secrets.token_bytes,
        settings: AccountSettings | None = None,
    ) -> None:
        self._d = Deps.with_defaults(engine, clock, mailer, hasher, token_bytes, settings)

    # -- login and per-request checks -------------------------------------------------

    def login(
        self, login: str, password: str | Secret, *, channel: str, device_id: str, source: str
    ) -> TokenPair:
        """Check the password and open a session for ``channel`` on ``device_id``.

        ``source`` is the caller's address (throttled separately from the account). An
        earlier session of the same user, channel and device is ended (a new token at
        every login). Rehashes the stored password when the hash parameters changed.

        Raises:
            InvalidRequest: unknown channel or empty/too long ``device_id``.
            Throttled: too many recent failures for this login name or source.
            LoginFailed: unknown user, wrong password, or a disabled/deleted account
                (identical in all cases; each costs one Argon2 verification).
            TradeAccountsOnly: correct password, but a B2C account on the app channel.
        """
        check_channel(channel, "b2b")
        if not 0 < len(device_id) <= 200:
            raise InvalidRequest("device_id must be 1 to 200 characters.")
        pw = Secret.of(password)
        d, now = self._d, self._d.now()
        key = login_key(login)
        akey, skey = throttle_key("acct", key), throttle_key("src", source)
        tokens: TokenPair | None = None
        with d.engine.begin() as conn:
            row = self._check_password(conn, key, akey, skey, pw, now)
            # On failure the counted failure must commit, so raise after the block.
            if row is not None:
                check_channel(channel, row.account_type)
                tokens = self._open_session(conn, row, channel, device_id, pw, now)
        if tokens is None:
            log.info("login failed (channel %s)", channel)
            raise LoginFailed()
        log.info("login session %s channel %s", tokens.session_id, channel)
        return tokens

    def _check_password(
        self, conn: Connection, key: str, akey: str, skey: str, pw: Secret, now: int
    ) -> Row[Any] | None:
        """The user row if ``pw`` is right and the account may log in; records the outcome."""
        settings = self._d.settings
        astate, sstate = lock_throttle(conn, akey), lock_throttle(conn, skey)
        wait = max(
            settings.account_throttle.retry_after_ms(astate, now),
            settings.source_throttle.retry_after_ms(sstate, now),
        )
        if wait:
            raise Throttled(wait)
        row = conn.execute(
            select(
                account_users,
                account_customers.c.account_type,
                account_customers.c.active.label("customer_active"),
                account_customers.c.deleted_ms.label("customer_deleted_ms"),
            )
            .select_from(account_users.join(account_customers))
            .where(account_users.c.login_key == key, account_users.c.deleted_ms.is_(None))
        ).one_or_none()
        ok = self._d.hasher.verify(row.password_hash if row else None, pw)
        if row is None or not (
            ok and row.active and row.customer_active and row.customer_deleted_ms is None
        ):
            save_throttle(conn, akey, settings.account_throttle.after_failure(astate, now))
            save_throttle(conn, skey, settings.source_throttle.after_failure(sstate, now))
            return None
        # Only the account's run of failures ends; the source keeps its count so that an
        # attacker cannot clear it by logging in to an account of their own.
        save_throttle(conn, akey, settings.account_throttle.after_success(astate, now))
        return row

    def _open_session(
        self, conn: Connection, row: Row[Any], channel: str, device_id: str, pw: Secret, now: int
    ) -> TokenPair:
        d = self._d
        if d.hasher.needs_rehash(row.password_hash):
            conn.execute(
                update(account_users)
                .where(account_users.c.id == row.id)
                .values(password_hash=d.hasher.hash(pw))
            )
        conn.execute(
            update(account_sessions)
            .where(
                account_sessions.c.user_id == row.id,
                account_sessions.c.channel == channel,
                account_sessions.c.device_id == device_id,
                account_sessions.c.ended_ms.is_(None),
            )
            .values(ended_ms=now, end_reason="replaced")
        )
        session_id = new_id(d.token_bytes)
        access, refresh = new_token(d.token_bytes), new_token(d.token_bytes)
        policy = d.settings.session_policy
        pair = TokenPair(
            session_id=session_id,
            access_token=access,
            access_expires_ms=now + policy.access_ttl_ms,
            refresh_token=refresh,
            refresh_expires_ms=policy.refresh_expiry(now, now),
            must_change_password=bool(row.must_change_password),
        )
        conn.execute(
            account_sessions.insert().values(
                id=session_id,
                user_id=row.id,
                channel=channel,
                device_id=device_id,
                access_hash=hash_token(access),
                refresh_hash=hash_token(refresh),
                credential_epoch=row.credential_epoch,
                created_ms=now,
                last_used_ms=now,
                access_expires_ms=pair.access_expires_ms,
                refresh_expires_ms=pair.refresh_expires_ms,
            )
        )
        upsert_device(conn, user_id=row.id, channel=channel, device_id=device_id, now_ms=now)
        return pair

    def authenticate(self, access_token: str, *, allow_pending_change: bool = False) -> Principal:
        """The caller behind ``access_token``; run on every request of either channel.

        Consults the account's credential epoch, so a password change elsewhere ends
        this session on its next request. Read-only.

        Raises:
            InvalidToken: unknown token.
            AccountDeleted, CredentialsChanged, AccountDisabled, SessionEnded,
            SessionExpired, TradeAccountsOnly, PasswordChangeRequired: see
            :func:`pocketsync.accounts.tokens.check_session`.
        """
        with self._d.engine.connect() as conn:
            row = conn.execute(
                SESSION_ROW.where(account_sessions.c.access_hash == hash_token(access_token))
            ).one_or_none()
        if row is None:
            raise InvalidToken()
        check_session(
            session_view(row, row.access_expires_ms),
            self._d.now(),
            allow_pending_change=allow_pending_change,
        )
        return Principal(
            user_id=row.user_id,
            customer_id=row.customer_id,
            channel=row.channel,
            session_id=row.id,
            device_id=row.device_id,
            price_list_id=row.price_list_id,
            account_type=row.account_type,
            company_name=row.company_name,
            account_number=row.account_number,
            login=row.login,
            display_name=row.display_name,
            access_expires_ms=row.access_expires_ms,
            must_change_password=bool(row.must_change_password),
        )

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate both tokens of the session holding ``refresh_token``.

        The old refresh token stops working; of two concurrent refreshes only one wins.

        Raises:
            InvalidToken: unknown (or already rotated) refresh token.
            SessionExpired: the refresh token expired: log in again.
            AccountDeleted, CredentialsChanged, AccountDisabled, SessionEnded,
            TradeAccountsOnly: as for :meth:`authenticate`.
        """
        d, now = self._d, self._d.now()
        old = hash_token(refresh_token)
        with d.engine.begin() as conn:
            row = conn.execute(
                SESSION_ROW.where(account_sessions.c.refresh_hash == old).with_for_update(
                    of=account_sessions
                )
            ).one_or_none()
            if row is None:
                raise InvalidToken()
            check_session(session_view(row, row.refresh_expires_ms), now, allow_pending_change=True)
            pair = rotate_tokens(d, conn, row, now, epoch=row.credential_epoch)
            upsert_device(
                conn, user_id=row.user_id, channel=row.channel, device_id=row.device_id, now_ms=now
            )
        return pair

    def logout(self, token: str) -> None:
        """End the session holding ``token`` (its access or refresh token). Idempotent.

        Raises:
            InvalidToken: no session ever had this token.
        """
        h, now = hash_token(token), self._d.now()
        cond = or_(account_sessions.c.access_hash == h, account_sessions.c.refresh_hash == h)
        with self._d.engine.begin() as conn:
            session_id = conn.execute(select(account_sessions.c.id).where(cond)).scalar()
            if session_id is None:
                raise InvalidToken()
            conn.execute(
                update(account_sessions)
                .where(account_sessions.c.id == session_id, account_sessions.c.ended_ms.is_(None))
                .values(ended_ms=now, end_reason="logout")
            )
        log.info("logout session %s", session_id)

    def device_wipe_pending(self, device_id: str) -> bool:
        """True when an account last used on ``device_id`` was deleted since (wipe it)."""
        with self._d.engine.connect() as conn:
            rows = conn.execute(
                select(account_devices).where(account_devices.c.device_id == device_id)
            ).all()
        wipes = [r.wipe_requested_ms for r in rows if r.wipe_requested_ms is not None]
        later_use = [r.last_seen_ms for r in rows if r.wipe_requested_ms is None]
        return bool(wipes) and max(wipes) >= max(later_use, default=0)
