"""What the Management API and the Management Interface share: one "account" shape.

An *account* here is a user who logs in (``account_id`` is the user id) together with
the customer it buys for. Both adapters call these synchronous helpers in the threadpool;
each is a sequence of :class:`~pocketsync.accounts.AdminService` calls and no more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pocketsync.accounts import AdminPrincipal, AdminService, Customer, Page, User

__all__ = [
    "AccountView",
    "NewAccount",
    "account_view",
    "create_account",
    "customer_json",
    "edit_account",
    "list_accounts",
]


@dataclass(frozen=True, slots=True)
class AccountView:
    user: User
    customer: Customer

    def json(self) -> dict[str, Any]:
        u = self.user
        return {
            "account_id": u.user_id,
            "login": u.login,
            "email": u.email,
            "display_name": u.display_name,
            "active": u.active,
            "has_password": u.has_password,
            "must_change_password": u.must_change_password,
            "created_ms": u.created_ms,
            "updated_ms": u.updated_ms,
            "deleted": u.deleted,
            "customer": customer_json(self.customer),
        }


def customer_json(c: Customer) -> dict[str, Any]:
    return {
        "customer_id": c.customer_id,
        "company_name": c.company_name,
        "account_number": c.account_number,
        "price_list_id": c.price_list_id,
        "account_type": c.account_type,
        "active": c.active,
        "deleted": c.deleted,
    }


def account_view(admin: AdminService, user_id: str) -> AccountView:
    """The account (user and customer) ``user_id``; NotFound from the library if unknown."""
    user = admin.get_user(user_id)
    return AccountView(user, admin.get_customer(user.customer_id))


def list_accounts(
    admin: AdminService, *, search: str | None, page: int, per_page: int
) -> tuple[Page[User], list[AccountView]]:
    """One page (1-based) of accounts matching ``search``, with their customers."""
    found = admin.list_users(search=search, offset=(page - 1) * per_page, limit=per_page)
    customers: dict[str, Customer] = {}
    views = []
    for user in found.items:
        if user.customer_id not in customers:
            customers[user.customer_id] = admin.get_customer(user.customer_id)
        views.append(AccountView(user, customers[user.customer_id]))
    return found, views


@dataclass(frozen=True, slots=True)
class NewAccount:
    """The fields of a new account; ``customer_id`` joins an existing customer."""

    login: str
    display_name: str
    email: str | None = None
    initial_password: str | None = None
    must_change_password: bool = True
    customer_id: str | None = None
    company_name: str = ""
    account_number: str = ""
    price_list_id: str = ""
    account_type: str = "b2b"


def create_account(admin: AdminService, actor: AdminPrincipal, new: NewAccount) -> AccountView:
    """Create the user of an existing customer, or a new customer with it as first user.

    Either way it is one library call and one transaction: a refused user (say, a taken
    login) leaves no customer behind.
    """
    if new.customer_id is not None:
        user = admin.create_user(
            actor,
            new.customer_id,
            login=new.login,
            display_name=new.display_name,
            email=new.email,
            initial_password=new.initial_password,
            must_change_password=new.must_change_password,
        )
        return AccountView(user, admin.get_customer(new.customer_id))
    customer, user = admin.create_customer_with_user(
        actor,
        company_name=new.company_name,
        account_number=new.account_number,
        price_list_id=new.price_list_id,
        account_type=new.account_type,
        login=new.login,
        display_name=new.display_name,
        email=new.email,
        initial_password=new.initial_password,
        must_change_password=new.must_change_password,
    )
    return AccountView(user, customer)


_USER_FIELDS = ("login", "display_name", "email")
_CUSTOMER_FIELDS = ("company_name", "account_number", "price_list_id", "account_type")


def edit_account(
    admin: AdminService, actor: AdminPrincipal, user_id: str, changes: Mapping[str, str]
) -> AccountView:
    """Apply the given user and customer fields (absent fields stay as they are)."""
    user = admin.get_user(user_id)
    user_changes = {k: changes[k] for k in _USER_FIELDS if k in changes}
    customer_changes = {k: changes[k] for k in _CUSTOMER_FIELDS if k in changes}
    if user_changes:
        admin.edit_user(actor, user_id, **user_changes)
    if customer_changes:
        admin.edit_customer(actor, user.customer_id, **customer_changes)
    return account_view(admin, user_id)


EDITABLE_FIELDS = _USER_FIELDS + _CUSTOMER_FIELDS
