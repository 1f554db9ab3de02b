"""Management Interface operations on users (mixed into ``AdminService``).

They follow the rules :mod:`pocketsync.accounts.management` states for every management
operation: the acting administrator, one transaction with its audit line, and sessions
ended in it when access is taken away.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from pocketsync.accounts.errors import InvalidRequest
from pocketsync.accounts.management import ManagementBase, actor_ref, mail_address
from pocketsync.accounts.model import AccountType, AdminPrincipal, Customer, Secret, User
from pocketsync.accounts.schema import account_users
from pocketsync.accounts.store import (
    audit,
    check_text,
    end_sessions,
    issue_reset_link,
    login_key,
)
from pocketsync.accounts.tokens import new_id

__all__ = ["UserOps"]


class UserOps(ManagementBase):
    """User management for the Management Interface."""

    def create_user(
        self,
        actor: AdminPrincipal,
        customer_id: str,
        *,
        login: str,
        display_name: str,
        email: str | None = None,
        initial_password: str | Secret | None = None,
        must_change_password: bool = True,
    ) -> User:
        """Create a user of ``customer_id`` who can log in on both channels.

        With ``initial_password`` the password is set (checked against the policy; by
        default it must be changed at first login). Without it, an invitation link is
        mailed to ``email`` (or to ``login`` when that is an address) and the user
        chooses the password through :meth:`AccountService.reset_password`.

        Raises:
            NotFound: no such (undeleted) customer.
            InvalidRequest: bad fields, or no address to send the invitation to.
            PasswordPolicyError: ``initial_password`` breaks the policy.
            Conflict: the login name is taken.
        """
        now = self._d.now()
        new = self._user_values(
            login=login,
            display_name=display_name,
            email=email,
            initial_password=initial_password,
            must_change_password=must_change_password,
            now=now,
        )
        with self._unique(), self._d.engine.begin() as conn:
            self._customer(conn, customer_id, lock=True)
            self._insert_user(conn, actor, customer_id, new, now)
            return self._user(conn, new["id"])

    def create_customer_with_user(
        self,
        actor: AdminPrincipal,
        *,
        company_name: str,
        account_number: str,
        price_list_id: str,
        account_type: str = AccountType.B2B,
        login: str,
        display_name: str,
        email: str | None = None,
        initial_password: str | Secret | None = None,
        must_change_password: bool = True,
        customer_id: str | None = None,
    ) -> tuple[Customer, User]:
        """Create a customer and its first user in one transaction (audit entries included).

        The fields mean what they mean for :meth:`create_customer` and :meth:`create_user`.
        Either both rows (and both audit entries, and an invitation if there is no initial
        password) are stored, or nothing is: a taken login leaves no customer behind.

        Raises:
            InvalidRequest: a bad field, or no address to send the invitation to.
            PasswordPolicyError: ``initial_password`` breaks the policy.
            Conflict: the account number, the customer id or the login name is taken.
        """
        now = self._d.now()
        customer = self._customer_values(
            company_name=company_name,
            account_number=account_number,
            price_list_id=price_list_id,
            account_type=account_type,
            active=True,
            customer_id=customer_id,
            now=now,
        )
        new = self._user_values(
            login=login,
            display_name=display_name,
            email=email,
            initial_password=initial_password,
            must_change_password=must_change_password,
            now=now,
        )
        with self._unique(), self._d.engine.begin() as conn:
            self._insert_customer(conn, actor, customer, now)
            self._insert_user(conn, actor, customer["id"], new, now)
            return self._customer(conn, customer["id"]), self._user(conn, new["id"])

    def _user_values(
        self,
        *,
        login: str,
        display_name: str,
        email: str | None,
        initial_password: str | Secret | None,
        must_change_password: bool,
        now: int,
    ) -> dict[str, Any]:
        """The checked row of a new user (its password hashed here, outside any transaction)."""
        d = self._d
        login = check_text("login", login, max_length=254)
        email = check_text("email", email, max_length=254) if email else None
        password_hash = None
        if initial_password is not None:
            pw = Secret.of(initial_password)
            d.settings.password_policy.check(pw, login=login)
            password_hash = d.hasher.hash(pw)
        elif mail_address(login, email) is None:
            raise InvalidRequest("An e-mail address is needed to send the invitation.")
        return {
            "id": new_id(d.token_bytes),
            "login": login,
            "login_key": login_key(login),
            "email": email,
            "display_name": check_text("display_name", display_name, max_length=200),
            "active": True,
            "password_hash": password_hash,
            "must_change_password": password_hash is not None and must_change_password,
            "credential_epoch": 0,
            "created_ms": now,
            "updated_ms": now,
        }

    def _insert_user(
        self,
        conn: Connection,
        actor: AdminPrincipal,
        customer_id: str,
        values: dict[str, Any],
        now: int,
    ) -> None:
        """Insert a user row from :meth:`_user_values`, its invitation and its audit entry."""
        user_id = values["id"]
        conn.execute(account_users.insert().values(customer_id=customer_id, **values))
        invited = values["password_hash"] is None
        if invited:
            issue_reset_link(
                conn,
                self._d,
                user_id=user_id,
                epoch=0,
                purpose="invite",
                to=str(mail_address(values["login"], values["email"])),
            )
        audit(
            conn,
            now,
            actor=actor_ref(actor),
            action="user.create",
            target=("user", user_id),
            customer_id=customer_id,
            invited=invited,
        )

    def edit_user(
        self,
        actor: AdminPrincipal,
        user_id: str,
        *,
        login: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
    ) -> User:
        """Change login name, display name or e-mail (None leaves a field; ``""`` clears e-mail).

        Raises:
            NotFound, InvalidRequest, Conflict: as for :meth:`create_user`.
        """
        changes: dict[str, Any] = {}
        if login is not None:
            changes["login"] = check_text("login", login, max_length=254)
            changes["login_key"] = login_key(changes["login"])
        if display_name is not None:
            changes["display_name"] = check_text("display_name", display_name, max_length=200)
        if email is not None:
            changes["email"] = check_text("email", email, max_length=254, empty_ok=True) or None
        now = self._d.now()
        with self._unique(), self._d.engine.begin() as conn:
            self._user(conn, user_id, lock=True)
            self._change_row(
                conn,
                now,
                account_users,
                changes,
                actor=actor,
                action="user.edit",
                target=("user", user_id),
                fields=sorted(k for k in changes if k != "login_key"),
            )
            return self._user(conn, user_id)

    def set_user_active(self, actor: AdminPrincipal, user_id: str, active: bool) -> User:
        """Enable or disable a user; disabling ends all its sessions in both channels.

        Raises:
            NotFound: no such (undeleted) user.
        """
        now = self._d.now()
        with self._d.engine.begin() as conn:
            self._user(conn, user_id, lock=True)
            if not active:
                end_sessions(conn, user_id, now, "disabled")
            self._change_row(
                conn,
                now,
                account_users,
                {"active": active},
                actor=actor,
                action="user.enable" if active else "user.disable",
                target=("user", user_id),
            )
            return self._user(conn, user_id)

    def delete_user(self, actor: AdminPrincipal, user_id: str) -> None:
        """Delete a user: hooks, sessions, devices, links and personal data, atomically.

        Calls every ``on_user_deleted(connection, user_id)`` hook inside the transaction
        (the remote-state store deletes the cart, favourites and settings there); if a
        hook raises, nothing is deleted. Ends all sessions, marks the user's devices to
        be wiped (their next request gets :class:`AccountDeleted`), voids reset links,
        and scrubs login, e-mail, name and password hash from the tombstone row.

        Raises:
            NotFound: no such (undeleted) user.
        """
        now = self._d.now()
        with self._d.engine.begin() as conn:
            self._user(conn, user_id, lock=True)
            self._delete_user(conn, actor, user_id, now)

    def set_password(
        self,
        actor: AdminPrincipal,
        user_id: str,
        new_password: str | Secret,
        *,
        must_change_at_next_login: bool = True,
    ) -> None:
        """Set a customer's password (the Management Interface "change password").

        Ends every session of the user in both channels (next request:
        :class:`CredentialsChanged`) and voids reset links. ASVS 5.0 6.4.6 prefers that
        admins send a reset link instead (:meth:`send_password_reset`); hence the
        default of making the user choose their own password at next login.

        Raises:
            NotFound: no such (undeleted) user.  PasswordPolicyError: policy violated.
        """
        d, now = self._d, self._d.now()
        pw = Secret.of(new_password)
        with d.engine.begin() as conn:
            user = self._user(conn, user_id, lock=True)
            d.settings.password_policy.check(pw, login=user.login)
            end_sessions(conn, user_id, now, "credentials_changed")
            credentials = {
                "password_hash": d.hasher.hash(pw),
                "credential_epoch": account_users.c.credential_epoch + 1,
                "must_change_password": must_change_at_next_login,
            }
            self._change_row(
                conn,
                now,
                account_users,
                credentials,
                actor=actor,
                action="user.password_set",
                target=("user", user_id),
                must_change=must_change_at_next_login,
            )

    def send_password_reset(self, actor: AdminPrincipal, user_id: str) -> None:
        """Mail the user a one-time reset link (the password itself is not changed).

        Raises:
            NotFound: no such (undeleted) user.  InvalidRequest: the user has no address.
        """
        d, now = self._d, self._d.now()
        with d.engine.begin() as conn:
            row = self._user_row(conn, user_id, lock=True)
            address = mail_address(row.login, row.email)
            if address is None:
                raise InvalidRequest("The user has no e-mail address.")
            issue_reset_link(
                conn, d, user_id=user_id, epoch=row.credential_epoch, purpose="reset", to=address
            )
            audit(
                conn,
                now,
                actor=actor_ref(actor),
                action="user.reset_link_sent",
                target=("user", user_id),
            )
