"""The Management Interface side: administrator login and the management operations.

Administrators are a separate kind of user (own table, own sessions, own throttle keys):
a customer credential can never open the Management Interface and vice versa. Their
sessions are a single opaque token (a cookie) with an idle timeout, slid forward on each
request, and an absolute lifetime.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from pocketsync.accounts.errors import AdminRequired, Conflict, LoginFailed, Throttled
from pocketsync.accounts.mailer import Mailer
from pocketsync.accounts.management import CustomerOps
from pocketsync.accounts.model import AdminPrincipal, AdminSession, Secret
from pocketsync.accounts.passwords import PasswordHasher
from pocketsync.accounts.queries import ManagementQueries
from pocketsync.accounts.schema import account_admin_sessions, account_admins
from pocketsync.accounts.store import (
    AccountSettings,
    Deps,
    OnUserDeleted,
    audit,
    check_text,
    lock_throttle,
    login_key,
    save_throttle,
    throttle_key,
)
from pocketsync.accounts.tokens import TokenBytes, hash_token, new_id, new_token
from pocketsync.accounts.user_management import UserOps
from pocketsync.clock import Clock

__all__ = ["AdminService"]

log = logging.getLogger("pocketsync.accounts")


class AdminService(CustomerOps, UserOps, ManagementQueries):
    """Administrator authentication plus every Management Interface operation.

    ``on_user_deleted`` hooks run inside the deleting transaction with its connection.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock,
        mailer: Mailer,
        hasher: PasswordHasher | None = None,
        token_bytes: TokenBytes = secrets.token_bytes,
        settings: AccountSettings | None = None,
        on_user_deleted: Sequence[OnUserDeleted] = (),
    ) -> None:
        self._d = Deps.with_defaults(engine, clock, mailer, hasher, token_bytes, settings)
        self._hooks = tuple(on_user_deleted)

    def create_admin(
        self,
        login: str,
        password: str | Secret,
        *,
        display_name: str,
        actor: AdminPrincipal | None = None,
    ) -> str:
        """Create an administrator and return its id (``actor=None``: bootstrap/CLI).

        Raises:
            InvalidRequest: bad login or display name.
            PasswordPolicyError: the password breaks the policy.
            Conflict: the login name is taken by another administrator.
        """
        d, now = self._d, self._d.now()
        pw = Secret.of(password)
        login = check_text("login", login, max_length=254)
        d.settings.password_policy.check(pw, login=login)
        admin_id = new_id(d.token_bytes)
        try:
            with d.engine.begin() as conn:
                conn.execute(
                    account_admins.insert().values(
                        id=admin_id,
                        login=login,
                        login_key=login_key(login),
                        display_name=check_text("display_name", display_name, max_length=200),
                        password_hash=d.hasher.hash(pw),
                        active=True,
                        credential_epoch=0,
                        created_ms=now,
                        updated_ms=now,
                    )
                )
                who = ("admin", actor.admin_id) if actor else ("system", "bootstrap")
                audit(conn, now, actor=who, action="admin.create", target=("admin", admin_id))
        except IntegrityError:
            raise Conflict() from None
        return admin_id

    def login(self, login: str, password: str | Secret, *, source: str) -> AdminSession:
        """Open a Management Interface session.

        Raises:
            Throttled: too many failures for this name or source.
            LoginFailed: unknown administrator, wrong password or inactive (all alike).
        """
        d, now = self._d, self._d.now()
        pw = Secret.of(password)
        key = login_key(login)
        akey, skey = throttle_key("admin", key), throttle_key("adminsrc", source)
        session: AdminSession | None = None
        with d.engine.begin() as conn:
            astate, sstate = lock_throttle(conn, akey), lock_throttle(conn, skey)
            wait = max(
                d.settings.account_throttle.retry_after_ms(astate, now),
                d.settings.source_throttle.retry_after_ms(sstate, now),
            )
            if wait:
                raise Throttled(wait)
            row = conn.execute(
                select(account_admins).where(account_admins.c.login_key == key)
            ).one_or_none()
            ok = d.hasher.verify(row.password_hash if row else None, pw)
            if row is None or not (ok and row.active):
                save_throttle(conn, akey, d.settings.account_throttle.after_failure(astate, now))
                save_throttle(conn, skey, d.settings.source_throttle.after_failure(sstate, now))
            else:
                save_throttle(conn, akey, d.settings.account_throttle.after_success(astate, now))
                if d.hasher.needs_rehash(row.password_hash):
                    conn.execute(
                        update(account_admins)
                        .where(account_admins.c.id == row.id)
                        .values(password_hash=d.hasher.hash(pw))
                    )
                token = new_token(d.token_bytes)
                session = AdminSession(
                    session_id=new_id(d.token_bytes),
                    token=token,
                    expires_ms=now + d.settings.session_policy.admin_idle_ms,
                )
                conn.execute(
                    account_admin_sessions.insert().values(
                        id=session.session_id,
                        admin_id=row.id,
                        token_hash=hash_token(token),
                        credential_epoch=row.credential_epoch,
                        created_ms=now,
                        expires_ms=session.expires_ms,
                    )
                )
                audit(
                    conn,
                    now,
                    actor=("admin", row.id),
                    action="admin.login",
                    target=("admin", row.id),
                )
        if session is None:
            log.info("admin login failed")
            raise LoginFailed()
        return session

    def authenticate(self, token: str) -> AdminPrincipal:
        """The administrator behind ``token``; slides the idle timeout forward.

        Raises:
            AdminRequired: unknown, expired or ended session, inactive administrator,
                or the administrator's password changed since login.
        """
        d, now = self._d, self._d.now()
        policy = d.settings.session_policy
        with d.engine.begin() as conn:
            row = conn.execute(
                select(
                    account_admin_sessions,
                    account_admins.c.login,
                    account_admins.c.display_name,
                    account_admins.c.active,
                    account_admins.c.credential_epoch.label("admin_epoch"),
                )
                .select_from(account_admin_sessions.join(account_admins))
                .where(account_admin_sessions.c.token_hash == hash_token(token))
            ).one_or_none()
            if (
                row is None
                or row.ended_ms is not None
                or now >= row.expires_ms
                or not row.active
                or row.credential_epoch != row.admin_epoch
            ):
                raise AdminRequired()
            conn.execute(
                update(account_admin_sessions)
                .where(account_admin_sessions.c.id == row.id)
                .values(
                    expires_ms=min(
                        now + policy.admin_idle_ms, row.created_ms + policy.admin_absolute_ms
                    )
                )
            )
        return AdminPrincipal(
            admin_id=row.admin_id, login=row.login, display_name=row.display_name, session_id=row.id
        )

    def logout(self, token: str) -> None:
        """End the administrator session holding ``token`` (no error if unknown)."""
        with self._d.engine.begin() as conn:
            conn.execute(
                update(account_admin_sessions)
                .where(
                    account_admin_sessions.c.token_hash == hash_token(token),
                    account_admin_sessions.c.ended_ms.is_(None),
                )
                .values(ended_ms=self._d.now())
            )
