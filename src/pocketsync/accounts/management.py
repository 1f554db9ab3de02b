"""Management Interface operations that change accounts (mixed into ``AdminService``).

Every operation takes the acting :class:`AdminPrincipal`, runs in one transaction and
writes its audit line in that transaction. Operations that take access away (disable,
delete, password set) end the affected sessions in the same transaction, so the next
request of any of them is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Table, select, update
from sqlalchemy.exc import IntegrityError

from pocketsync.accounts.errors import Conflict, InvalidRequest, NotFound
from pocketsync.accounts.model import AccountType, AdminPrincipal, Customer, User
from pocketsync.accounts.schema import (
    account_customers,
    account_devices,
    account_reset_tokens,
    account_users,
)
from pocketsync.accounts.store import (
    Deps,
    OnUserDeleted,
    audit,
    check_text,
    customer_from_row,
    end_sessions,
    user_from_row,
)
from pocketsync.accounts.tokens import new_id

__all__ = ["CustomerOps", "ManagementBase", "account_type_value", "actor_ref", "mail_address"]


def actor_ref(actor: AdminPrincipal) -> tuple[str, str]:
    """The audit actor reference of an administrator."""
    return ("admin", actor.admin_id)


def account_type_value(value: str) -> str:
    """``value`` if it names an account type, else InvalidRequest."""
    if value not in (AccountType.B2B, AccountType.B2C):
        raise InvalidRequest("account_type must be 'b2b' or 'b2c'.")
    return str(value)


def mail_address(login: str, email: str | None) -> str | None:
    """Where to mail a user: the e-mail, else the login if it is an address."""
    return email or (login if "@" in login else None)


class ManagementBase:
    """Shared lookups for the management mixins; ``_d`` and ``_hooks`` come from the subclass."""

    _d: Deps
    _hooks: Sequence[OnUserDeleted]

    def _unique(self) -> _UniqueGuard:
        return _UniqueGuard()

    def _live_row(
        self, conn: Connection, table: Table, row_id: str, *, lock: bool, missing: str
    ) -> Row[Any]:
        """The undeleted row ``row_id`` of ``table`` (``FOR UPDATE`` if ``lock``).

        Raises:
            NotFound: with the message ``missing``.
        """
        query = select(table).where(table.c.id == row_id, table.c.deleted_ms.is_(None))
        row = conn.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            raise NotFound(missing)
        return row

    def _customer(self, conn: Connection, customer_id: str, *, lock: bool = False) -> Customer:
        row = self._live_row(
            conn, account_customers, customer_id, lock=lock, missing="No such customer."
        )
        return customer_from_row(row)

    def _user_row(self, conn: Connection, user_id: str, *, lock: bool = False) -> Row[Any]:
        return self._live_row(conn, account_users, user_id, lock=lock, missing="No such user.")

    def _user(self, conn: Connection, user_id: str, *, lock: bool = False) -> User:
        return user_from_row(self._user_row(conn, user_id, lock=lock))

    def _user_ids(self, conn: Connection, customer_id: str) -> list[str]:
        return list(
            conn.execute(
                select(account_users.c.id).where(
                    account_users.c.customer_id == customer_id,
                    account_users.c.deleted_ms.is_(None),
                )
            ).scalars()
        )

    def _change_row(
        self,
        conn: Connection,
        now: int,
        table: Table,
        values: dict[str, Any],
        *,
        actor: AdminPrincipal,
        action: str,
        target: tuple[str, str],
        **details: str | int | bool | list[str] | None,
    ) -> None:
        """Set ``values`` and ``updated_ms`` on the row of ``table`` with id ``target[1]``.

        Then writes the audit line ``action`` by ``actor`` on ``target`` with ``details``.
        The caller has looked the row up (locked) in the same transaction.
        """
        conn.execute(update(table).where(table.c.id == target[1]).values(updated_ms=now, **values))
        audit(conn, now, actor=actor_ref(actor), action=action, target=target, **details)

    def _customer_values(
        self,
        *,
        company_name: str,
        account_number: str,
        price_list_id: str,
        account_type: str,
        active: bool,
        customer_id: str | None,
        now: int,
    ) -> dict[str, Any]:
        """The checked row of a new customer (InvalidRequest names a bad field)."""
        return {
            "id": check_text(
                "customer_id", customer_id or new_id(self._d.token_bytes), max_length=64
            ),
            "company_name": check_text("company_name", company_name, max_length=200),
            "account_number": check_text("account_number", account_number, max_length=64),
            "price_list_id": check_text("price_list_id", price_list_id, max_length=64),
            "account_type": account_type_value(account_type),
            "active": active,
            "created_ms": now,
            "updated_ms": now,
        }

    def _insert_customer(
        self, conn: Connection, actor: AdminPrincipal, values: dict[str, Any], now: int
    ) -> None:
        """Insert a customer row from :meth:`_customer_values` and its audit entry."""
        conn.execute(account_customers.insert().values(**values))
        audit(
            conn,
            now,
            actor=actor_ref(actor),
            action="customer.create",
            target=("customer", values["id"]),
            account_type=values["account_type"],
        )

    def _delete_user(self, conn: Connection, actor: AdminPrincipal, user_id: str, now: int) -> None:
        for hook in self._hooks:
            hook(conn, user_id)
        end_sessions(conn, user_id, now, "account_deleted")
        conn.execute(
            update(account_devices)
            .where(account_devices.c.user_id == user_id)
            .values(wipe_requested_ms=now)
        )
        conn.execute(
            update(account_reset_tokens)
            .where(
                account_reset_tokens.c.user_id == user_id, account_reset_tokens.c.used_ms.is_(None)
            )
            .values(used_ms=now)
        )
        scrubbed = {
            "login": "",
            "login_key": f"deleted:{user_id}",
            "email": None,
            "display_name": "",
            "password_hash": None,
            "active": False,
            "deleted_ms": now,
        }
        self._change_row(
            conn,
            now,
            account_users,
            scrubbed,
            actor=actor,
            action="user.delete",
            target=("user", user_id),
        )


class CustomerOps(ManagementBase):
    """Customer management for the Management Interface."""

    # -- customers ---------------------------------------------------------------------

    def create_customer(
        self,
        actor: AdminPrincipal,
        *,
        company_name: str,
        account_number: str,
        price_list_id: str,
        account_type: str = AccountType.B2B,
        active: bool = True,
        customer_id: str | None = None,
    ) -> Customer:
        """Create a customer (``customer_id`` defaults to a random id).

        To create a customer together with its first user, atomically, use
        :meth:`~pocketsync.accounts.AdminService.create_customer_with_user`.

        Raises:
            InvalidRequest: an empty or over-long field, or an unknown account type.
            Conflict: the account number or customer id is taken.
        """
        now = self._d.now()
        values = self._customer_values(
            company_name=company_name,
            account_number=account_number,
            price_list_id=price_list_id,
            account_type=account_type,
            active=active,
            customer_id=customer_id,
            now=now,
        )
        with self._unique(), self._d.engine.begin() as conn:
            self._insert_customer(conn, actor, values, now)
            return self._customer(conn, values["id"])

    def edit_customer(
        self,
        actor: AdminPrincipal,
        customer_id: str,
        *,
        company_name: str | None = None,
        account_number: str | None = None,
        price_list_id: str | None = None,
        account_type: str | None = None,
    ) -> Customer:
        """Change the given fields (None leaves a field as it is).

        Turning a customer B2C makes its app sessions fail their next request with
        :class:`TradeAccountsOnly`.

        Raises:
            NotFound: no such (undeleted) customer.  InvalidRequest, Conflict: as above.
        """
        changes: dict[str, Any] = {}
        if company_name is not None:
            changes["company_name"] = check_text("company_name", company_name, max_length=200)
        if account_number is not None:
            changes["account_number"] = check_text("account_number", account_number, max_length=64)
        if price_list_id is not None:
            changes["price_list_id"] = check_text("price_list_id", price_list_id, max_length=64)
        if account_type is not None:
            changes["account_type"] = account_type_value(account_type)
        now = self._d.now()
        with self._unique(), self._d.engine.begin() as conn:
            self._customer(conn, customer_id, lock=True)
            self._change_row(
                conn,
                now,
                account_customers,
                changes,
                actor=actor,
                action="customer.edit",
                target=("customer", customer_id),
                fields=sorted(changes),
            )
            return self._customer(conn, customer_id)

    def set_customer_active(
        self, actor: AdminPrincipal, customer_id: str, active: bool
    ) -> Customer:
        """Enable or disable a customer; disabling ends every session of its users.

        Raises:
            NotFound: no such (undeleted) customer.
        """
        now = self._d.now()
        with self._d.engine.begin() as conn:
            self._customer(conn, customer_id, lock=True)
            if not active:
                for user_id in self._user_ids(conn, customer_id):
                    end_sessions(conn, user_id, now, "disabled")
            self._change_row(
                conn,
                now,
                account_customers,
                {"active": active},
                actor=actor,
                action="customer.enable" if active else "customer.disable",
                target=("customer", customer_id),
            )
            return self._customer(conn, customer_id)

    def delete_customer(self, actor: AdminPrincipal, customer_id: str) -> None:
        """Delete a customer and all its users (see :meth:`delete_user`), in one transaction.

        Raises:
            NotFound: no such (undeleted) customer.
        """
        now = self._d.now()
        with self._d.engine.begin() as conn:
            self._customer(conn, customer_id, lock=True)
            for user_id in self._user_ids(conn, customer_id):
                self._delete_user(conn, actor, user_id, now)
            scrubbed = {
                "company_name": "",
                "account_number": f"deleted:{customer_id}",
                "active": False,
                "deleted_ms": now,
            }
            self._change_row(
                conn,
                now,
                account_customers,
                scrubbed,
                actor=actor,
                action="customer.delete",
                target=("customer", customer_id),
            )


class _UniqueGuard:
    """Turns a unique-constraint violation into :class:`Conflict` (the value is not echoed)."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if isinstance(exc, IntegrityError):
            raise Conflict() from None
