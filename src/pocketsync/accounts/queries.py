"""Management Interface reads and session control (mixed into ``AdminService``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Table, func, or_, select, update

from pocketsync.accounts.errors import InvalidRequest, NotFound
from pocketsync.accounts.management import actor_ref
from pocketsync.accounts.model import (
    AdminPrincipal,
    AuditEntry,
    Customer,
    Page,
    SessionInfo,
    User,
)
from pocketsync.accounts.schema import (
    account_audit_log,
    account_customers,
    account_sessions,
    account_users,
)
from pocketsync.accounts.store import Deps, audit, customer_from_row, end_sessions, user_from_row

__all__ = ["ManagementQueries"]

MAX_PAGE = 500


def _pattern(search: str) -> str:
    """A LIKE pattern matching ``search`` anywhere, with LIKE's wildcards escaped."""
    escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _check_paging(offset: int, limit: int) -> None:
    if offset < 0 or not 0 < limit <= MAX_PAGE:
        raise InvalidRequest(f"offset must be >= 0 and limit 1 to {MAX_PAGE}.")


class ManagementQueries:
    """Listing, searching and ending sessions; needs ``_d`` from the subclass."""

    _d: Deps

    def _page(
        self, query: Select[Any], order: Any, offset: int, limit: int
    ) -> tuple[int, Sequence[Any]]:
        _check_paging(offset, limit)
        with self._d.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = conn.execute(query.order_by(*order).offset(offset).limit(limit)).all()
        return int(total), rows

    def _row(self, table: Table, row_id: str, *, missing: str) -> Row[Any]:
        """The row ``row_id`` of ``table``, deleted or not, else NotFound(``missing``)."""
        with self._d.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == row_id)).one_or_none()
        if row is None:
            raise NotFound(missing)
        return row

    def _listing(
        self,
        table: Table,
        *,
        include_deleted: bool,
        search: str | None,
        search_in: Sequence[ColumnElement[Any]],
        order: Sequence[Any],
        offset: int,
        limit: int,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> tuple[int, Sequence[Any]]:
        """One page of the rows of ``table`` meeting ``where``, and how many there are.

        Deleted rows only with ``include_deleted``; a non-blank ``search`` must match one
        of the ``search_in`` columns, case-insensitively, anywhere.
        """
        query = select(table).where(*where)
        if not include_deleted:
            query = query.where(table.c.deleted_ms.is_(None))
        if search and search.strip():
            pattern = _pattern(search)
            query = query.where(or_(*(col.ilike(pattern, escape="\\") for col in search_in)))
        return self._page(query, order, offset, limit)

    def get_customer(self, customer_id: str) -> Customer:
        """The customer ``customer_id`` (deleted ones too, flagged).

        Raises:
            NotFound: no such customer.
        """
        return customer_from_row(
            self._row(account_customers, customer_id, missing="No such customer.")
        )

    def list_customers(
        self,
        *,
        search: str | None = None,
        offset: int = 0,
        limit: int = 50,
        include_deleted: bool = False,
    ) -> Page[Customer]:
        """Customers ordered by company name, optionally matching ``search``.

        ``search`` matches company name or account number, case-insensitively, anywhere.

        Raises:
            InvalidRequest: negative offset or limit outside 1..500.
        """
        c = account_customers.c
        total, rows = self._listing(
            account_customers,
            include_deleted=include_deleted,
            search=search,
            search_in=(c.company_name, c.account_number),
            order=(c.company_name, c.id),
            offset=offset,
            limit=limit,
        )
        return Page(tuple(customer_from_row(r) for r in rows), total, offset, limit)

    def get_user(self, user_id: str) -> User:
        """The user ``user_id`` (deleted ones too, flagged and scrubbed).

        Raises:
            NotFound: no such user.
        """
        return user_from_row(self._row(account_users, user_id, missing="No such user."))

    def list_users(
        self,
        *,
        customer_id: str | None = None,
        search: str | None = None,
        offset: int = 0,
        limit: int = 50,
        include_deleted: bool = False,
    ) -> Page[User]:
        """Users ordered by login, optionally of one customer and matching ``search``.

        ``search`` matches login, display name or e-mail, case-insensitively, anywhere.

        Raises:
            InvalidRequest: negative offset or limit outside 1..500.
        """
        u = account_users.c
        total, rows = self._listing(
            account_users,
            where=() if customer_id is None else (u.customer_id == customer_id,),
            include_deleted=include_deleted,
            search=search,
            search_in=(u.login, u.display_name, u.email),
            order=(u.login_key, u.id),
            offset=offset,
            limit=limit,
        )
        return Page(tuple(user_from_row(r) for r in rows), total, offset, limit)

    def list_sessions(
        self, user_id: str, *, include_ended: bool = False
    ) -> tuple[SessionInfo, ...]:
        """The user's sessions, newest first (open ones only unless ``include_ended``)."""
        s = account_sessions.c
        query = select(account_sessions).where(s.user_id == user_id)
        if not include_ended:
            query = query.where(s.ended_ms.is_(None))
        with self._d.engine.connect() as conn:
            rows = conn.execute(query.order_by(s.created_ms.desc(), s.id)).all()
        return tuple(
            SessionInfo(
                session_id=r.id,
                user_id=r.user_id,
                channel=r.channel,
                device_id=r.device_id,
                created_ms=r.created_ms,
                last_used_ms=r.last_used_ms,
                refresh_expires_ms=r.refresh_expires_ms,
                ended_ms=r.ended_ms,
                end_reason=r.end_reason,
            )
            for r in rows
        )

    def end_session(self, actor: AdminPrincipal, session_id: str) -> None:
        """End one session; its next request gets :class:`SessionEnded`.

        Raises:
            NotFound: no such session.
        """
        now = self._d.now()
        with self._d.engine.begin() as conn:
            user_id = conn.execute(
                select(account_sessions.c.user_id).where(account_sessions.c.id == session_id)
            ).scalar()
            if user_id is None:
                raise NotFound("No such session.")
            conn.execute(
                update(account_sessions)
                .where(account_sessions.c.id == session_id, account_sessions.c.ended_ms.is_(None))
                .values(ended_ms=now, end_reason="admin")
            )
            audit(
                conn,
                now,
                actor=actor_ref(actor),
                action="session.end",
                target=("session", session_id),
                user_id=user_id,
            )

    def end_user_sessions(self, actor: AdminPrincipal, user_id: str) -> int:
        """End every open session of ``user_id`` in both channels; returns how many."""
        now = self._d.now()
        with self._d.engine.begin() as conn:
            count = end_sessions(conn, user_id, now, "admin")
            audit(
                conn,
                now,
                actor=actor_ref(actor),
                action="user.sessions_end",
                target=("user", user_id),
                count=count,
            )
        return count

    def audit_log(
        self, *, target_id: str | None = None, offset: int = 0, limit: int = 50
    ) -> Page[AuditEntry]:
        """Audit lines, newest first, optionally about one target.

        Raises:
            InvalidRequest: negative offset or limit outside 1..500.
        """
        a = account_audit_log.c
        query = select(account_audit_log)
        if target_id is not None:
            query = query.where(a.target_id == target_id)
        total, rows = self._page(query, (a.seq.desc(),), offset, limit)
        items = tuple(
            AuditEntry(
                seq=r.seq,
                at_ms=r.at_ms,
                actor_kind=r.actor_kind,
                actor_id=r.actor_id,
                action=r.action,
                target_kind=r.target_kind,
                target_id=r.target_id,
                details=r.details,
            )
            for r in rows
        )
        return Page(items, total, offset, limit)
