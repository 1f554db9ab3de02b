"""Password change and reset for customers (mixed into ``AccountService``).

A change or reset bumps the account's credential epoch, which every session carries:
each other session, in both channels, fails its next request with
:class:`CredentialsChanged`, and any reset link issued before is void.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, select, update

from pocketsync.accounts.errors import (
    CurrentPasswordWrong,
    InvalidToken,
    PasswordPolicyError,
    ResetTokenInvalid,
    Throttled,
)
from pocketsync.accounts.model import Secret, TokenPair
from pocketsync.accounts.passwords import normalize_password
from pocketsync.accounts.schema import (
    account_customers,
    account_reset_tokens,
    account_sessions,
    account_users,
)
from pocketsync.accounts.sessions import SESSION_ROW, rotate_tokens, session_view
from pocketsync.accounts.store import (
    Deps,
    audit,
    end_sessions,
    issue_reset_link,
    lock_throttle,
    login_key,
    save_throttle,
    throttle_key,
)
from pocketsync.accounts.tokens import check_session, hash_token

__all__ = ["PasswordOps"]

log = logging.getLogger("pocketsync.accounts")


class PasswordOps:
    """Change, reset request and reset; needs ``_d`` from the subclass."""

    _d: Deps

    def change_password(
        self, access_token: str, current_password: str | Secret, new_password: str | Secret
    ) -> TokenPair:
        """Change the caller's password; returns new tokens for the calling session.

        Every *other* session of the account, in both channels, fails its next request
        with :class:`CredentialsChanged`; outstanding reset links stop working. Allowed
        while a password change is pending.

        Raises:
            PasswordPolicyError: the new password breaks the policy or equals the current.
            Throttled: too many wrong current passwords for this account.
            CurrentPasswordWrong: ``current_password`` is wrong (counted by the throttle).
            InvalidToken, SessionExpired, ...: as for :meth:`authenticate`.
        """
        cur, new = Secret.of(current_password), Secret.of(new_password)
        d, now = self._d, self._d.now()
        failed = False
        with d.engine.begin() as conn:
            row = conn.execute(
                SESSION_ROW.where(
                    account_sessions.c.access_hash == hash_token(access_token)
                ).with_for_update(of=account_sessions)
            ).one_or_none()
            if row is None:
                raise InvalidToken()
            check_session(session_view(row, row.access_expires_ms), now, allow_pending_change=True)
            d.settings.password_policy.check(new, login=row.login)
            if normalize_password(new) == normalize_password(cur):
                raise PasswordPolicyError("The new password must differ from the current one.")
            akey = throttle_key("acct", row.login_key)
            state = lock_throttle(conn, akey)
            wait = d.settings.account_throttle.retry_after_ms(state, now)
            if wait:
                raise Throttled(wait)
            if not d.hasher.verify(row.password_hash, cur):
                save_throttle(conn, akey, d.settings.account_throttle.after_failure(state, now))
                failed = True
            else:
                save_throttle(conn, akey, d.settings.account_throttle.after_success(state, now))
                epoch = self._set_password(conn, row.user_id, new, now, keep=row.id)
                pair = rotate_tokens(d, conn, row, now, epoch=epoch)
                audit(
                    conn,
                    now,
                    actor=("user", row.user_id),
                    action="password.change",
                    target=("user", row.user_id),
                    channel=row.channel,
                )
        if failed:
            raise CurrentPasswordWrong()
        return pair

    def _set_password(
        self, conn: Connection, user_id: str, new: Secret, now: int, *, keep: str | None
    ) -> int:
        """Store ``new``, bump the epoch, end other sessions; returns the new epoch."""
        epoch = conn.execute(
            update(account_users)
            .where(account_users.c.id == user_id)
            .values(
                password_hash=self._d.hasher.hash(new),
                credential_epoch=account_users.c.credential_epoch + 1,
                must_change_password=False,
                updated_ms=now,
            )
            .returning(account_users.c.credential_epoch)
        ).scalar_one()
        end_sessions(conn, user_id, now, "credentials_changed", keep=keep)
        return int(epoch)

    def request_password_reset(self, login: str, *, source: str) -> None:
        """Mail a one-time reset link if ``login`` names an active account; else nothing.

        Returns the same way whether or not the account exists. Per-account requests are
        rate limited silently (no mail); per-source limits raise.

        Raises:
            Throttled: too many reset requests from ``source``.
        """
        d, now = self._d, self._d.now()
        key = login_key(login)
        akey, skey = throttle_key("reset", key), throttle_key("resetsrc", source)
        policy = d.settings.account_throttle
        with d.engine.begin() as conn:
            sstate = lock_throttle(conn, skey)
            wait = d.settings.source_throttle.retry_after_ms(sstate, now)
            if wait:
                raise Throttled(wait)
            save_throttle(conn, skey, d.settings.source_throttle.after_failure(sstate, now))
            astate = lock_throttle(conn, akey)
            if policy.retry_after_ms(astate, now):
                return
            save_throttle(conn, akey, policy.after_failure(astate, now))
            row = conn.execute(
                select(account_users)
                .select_from(account_users.join(account_customers))
                .where(
                    account_users.c.login_key == key,
                    account_users.c.deleted_ms.is_(None),
                    account_users.c.active.is_(True),
                    account_customers.c.active.is_(True),
                    account_customers.c.deleted_ms.is_(None),
                )
            ).one_or_none()
            address = (row.email or (row.login if "@" in row.login else None)) if row else None
            if row is not None and address:
                issue_reset_link(
                    conn, d, user_id=row.id, epoch=row.credential_epoch, purpose="reset", to=address
                )

    def reset_password(self, token: str, new_password: str | Secret) -> None:
        """Set a new password with a reset (or invitation) link's token; does not log in.

        The token works once, until it expires, and only if the password has not changed
        since it was issued. Every session of the account ends.

        Raises:
            ResetTokenInvalid: unknown, used, superseded or expired token.
            PasswordPolicyError: the new password breaks the policy (the token stays usable).
        """
        new = Secret.of(new_password)
        d, now = self._d, self._d.now()
        h = hash_token(token)
        with d.engine.begin() as conn:
            row = conn.execute(
                select(
                    account_reset_tokens,
                    account_users.c.login,
                    account_users.c.login_key,
                    account_users.c.credential_epoch.label("user_epoch"),
                    account_users.c.deleted_ms,
                )
                .select_from(account_reset_tokens.join(account_users))
                .where(account_reset_tokens.c.token_hash == h)
                .with_for_update(of=account_reset_tokens)
            ).one_or_none()
            if (
                row is None
                or row.used_ms is not None
                or now >= row.expires_ms
                or row.credential_epoch != row.user_epoch
                or row.deleted_ms is not None
            ):
                raise ResetTokenInvalid()
            d.settings.password_policy.check(new, login=row.login)
            conn.execute(
                update(account_reset_tokens)
                .where(account_reset_tokens.c.token_hash == h)
                .values(used_ms=now)
            )
            self._set_password(conn, row.user_id, new, now, keep=None)
            akey = throttle_key("acct", row.login_key)
            state = lock_throttle(conn, akey)
            save_throttle(conn, akey, d.settings.account_throttle.after_success(state, now))
            audit(
                conn,
                now,
                actor=("user", row.user_id),
                action=f"password.{row.purpose}",
                target=("user", row.user_id),
            )
        log.info("password set via %s link for user %s", row.purpose, row.user_id)
