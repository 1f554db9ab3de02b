"""Values of the accounts library: secrets, principals, tokens, customers, users.

Pure: no SQLAlchemy, no clock, no random source. Anything holding a password or a token
keeps it out of ``repr`` (``field(repr=False)`` or :class:`Secret`), so a value printed
in a log line or a traceback never shows it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

__all__ = [
    "AccountType",
    "AdminPrincipal",
    "AdminSession",
    "AuditEntry",
    "Channel",
    "Customer",
    "Page",
    "Principal",
    "Secret",
    "SessionInfo",
    "TokenPair",
    "User",
]

T = TypeVar("T")


class Secret:
    """A password or token that never shows itself in ``repr``/``str``/format.

    Call :meth:`reveal` at the one place that needs the value (hashing). Equality is
    constant-time; instances are not hashable, so they cannot end up as dict keys.
    """

    __slots__ = ("_value",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    @classmethod
    def of(cls, value: str | Secret) -> Secret:
        """Wrap ``value`` unless it is already a :class:`Secret`."""
        return value if isinstance(value, Secret) else cls(value)

    def reveal(self) -> str:
        """The secret value itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("a Secret cannot be pickled")


class Channel(StrEnum):
    """Where a session was opened: the web shop or the PocketShop app."""

    WEB = "web"
    APP = "app"


class AccountType(StrEnum):
    """Trade (B2B) or consumer (B2C) customer; the app channel admits B2B only."""

    B2B = "b2b"
    B2C = "b2c"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as established by :meth:`AccountService.authenticate`.

    ``price_list_id`` decides which prices the sync server may hand out; ``user_id``
    whose remote cart, favourites and settings are read and written. ``company_name`` and
    ``account_number`` describe the customer the user buys for, so "who is logged in"
    needs nothing from the administrator side.
    """

    user_id: str
    customer_id: str
    channel: str
    session_id: str
    device_id: str
    price_list_id: str
    account_type: str
    company_name: str
    account_number: str
    login: str
    display_name: str
    access_expires_ms: int
    must_change_password: bool = False


@dataclass(frozen=True, slots=True)
class TokenPair:
    """Tokens of one session; expiries are UTC milliseconds. Tokens stay out of repr."""

    session_id: str
    access_token: str = field(repr=False)
    access_expires_ms: int
    refresh_token: str = field(repr=False)
    refresh_expires_ms: int
    must_change_password: bool = False


@dataclass(frozen=True, slots=True)
class AdminPrincipal:
    """An authenticated Management Interface administrator."""

    admin_id: str
    login: str
    display_name: str
    session_id: str


@dataclass(frozen=True, slots=True)
class AdminSession:
    """An administrator's session token (Management Interface cookie) and its expiry."""

    session_id: str
    token: str = field(repr=False)
    expires_ms: int


@dataclass(frozen=True, slots=True)
class Customer:
    """A trade (or consumer) customer of the shop; users log in on its behalf."""

    customer_id: str
    company_name: str
    account_number: str
    price_list_id: str
    account_type: str
    active: bool
    created_ms: int
    updated_ms: int
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class User:
    """A person who logs in for a customer; ``has_password`` is false until an invite is used."""

    user_id: str
    customer_id: str
    login: str
    email: str | None
    display_name: str
    active: bool
    has_password: bool
    must_change_password: bool
    created_ms: int
    updated_ms: int
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One session as the Management Interface lists it (no token material)."""

    session_id: str
    user_id: str
    channel: str
    device_id: str
    created_ms: int
    last_used_ms: int
    refresh_expires_ms: int
    ended_ms: int | None
    end_reason: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log line: who did what to which target, when. Never a secret."""

    seq: int
    at_ms: int
    actor_kind: str
    actor_id: str
    action: str
    target_kind: str
    target_id: str
    details: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing: ``items`` from ``offset``, out of ``total`` matches."""

    items: tuple[T, ...]
    total: int
    offset: int
    limit: int
