"""Fixtures for the accounts tests: services over ``server_engine``, a mailer, an admin.

Most tests use a cheap Argon2 setting (``fast_hasher``) because they hash many times;
the login, rehash and timing tests build services with the real OWASP parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from pocketsync.accounts import (
    AccountService,
    AdminPrincipal,
    AdminService,
    Argon2Params,
    MemoryMailer,
    PasswordHasher,
)
from pocketsync.clock import FixedClock

PASSWORD = "correct horse battery staple"
ADMIN_PASSWORD = "admin: purple elephant umbrella"

FAST = Argon2Params(memory_kib=1024, time_cost=1, parallelism=1)


@pytest.fixture(scope="session")
def fast_hasher() -> PasswordHasher:
    return PasswordHasher(FAST)


@pytest.fixture(scope="session")
def real_hasher() -> PasswordHasher:
    return PasswordHasher()


@pytest.fixture
def mailer() -> MemoryMailer:
    return MemoryMailer()


@pytest.fixture
def deleted_users() -> list[str]:
    """User ids the ``on_user_deleted`` hook of ``admin`` was called with."""
    return []


@pytest.fixture
def accounts(
    server_engine: Engine, clock: FixedClock, mailer: MemoryMailer, fast_hasher: PasswordHasher
) -> AccountService:
    return AccountService(server_engine, clock=clock, mailer=mailer, hasher=fast_hasher)


@pytest.fixture
def admin(
    server_engine: Engine,
    clock: FixedClock,
    mailer: MemoryMailer,
    fast_hasher: PasswordHasher,
    deleted_users: list[str],
) -> AdminService:
    return AdminService(
        server_engine,
        clock=clock,
        mailer=mailer,
        hasher=fast_hasher,
        on_user_deleted=[lambda _conn, user_id: deleted_users.append(user_id)],
    )


@pytest.fixture
def actor(admin: AdminService) -> AdminPrincipal:
    admin.create_admin("root", ADMIN_PASSWORD, display_name="Shop Admin")
    session = admin.login("root", ADMIN_PASSWORD, source="10.0.0.1")
    return admin.authenticate(session.token)


@dataclass(frozen=True, slots=True)
class Account:
    customer_id: str
    user_id: str
    login: str


@pytest.fixture
def make_account(admin: AdminService, actor: AdminPrincipal):  # type: ignore[no-untyped-def]
    """Factory: a customer with one user whose password is ``PASSWORD`` (no change pending)."""
    counter = iter(range(1_000_000))

    def make(account_type: str = "b2b", login: str | None = None) -> Account:
        n = next(counter)
        customer = admin.create_customer(
            actor,
            company_name=f"Trade Co {n}",
            account_number=f"AC-{n:05d}",
            price_list_id=f"PL-{n}",
            account_type=account_type,
        )
        name = login or f"buyer{n}@example.com"
        user = admin.create_user(
            actor,
            customer.customer_id,
            login=name,
            display_name=f"Buyer {n}",
            initial_password=PASSWORD,
            must_change_password=False,
        )
        return Account(customer.customer_id, user.user_id, name)

    return make
