"""Bearer authentication: every protected request asks the accounts library who is calling."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from pocketsync.accounts import AdminPrincipal, Principal
from server_ref.errors import AuthRequired, WrongChannel
from server_ref.services import Services

__all__ = ["admin_principal", "bearer_token", "blocking", "client_ip", "principal", "services"]

T = TypeVar("T")


def services(request: Request) -> Services:
    """The process's :class:`Services` (set by ``create_app``)."""
    found: Services = request.app.state.services
    return found


async def blocking(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run a (database-bound, synchronous) library call in the threadpool."""
    return await run_in_threadpool(fn, *args, **kwargs)


def client_ip(request: Request) -> str:
    """The peer address, the ``source`` the login throttle counts per."""
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer <token>``.

    Raises:
        AuthRequired: no such header, or another scheme.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        raise AuthRequired("Send Authorization: Bearer <access token>.")
    return token


async def principal(
    request: Request, *, channel: str | None = None, allow_pending_change: bool = False
) -> Principal:
    """The logged-in customer user; ``channel`` restricts the endpoint to one channel.

    Raises:
        AuthRequired, WrongChannel, and whatever ``AccountService.authenticate`` raises.
    """
    token = bearer_token(request)
    who = await blocking(
        services(request).accounts.authenticate, token, allow_pending_change=allow_pending_change
    )
    if channel is not None and who.channel != channel:
        raise WrongChannel(f"This endpoint is for {channel}-channel sessions.")
    return who


async def admin_principal(request: Request) -> AdminPrincipal:
    """The administrator behind the bearer token (Management API)."""
    token = bearer_token(request)
    return await blocking(services(request).admin.authenticate, token)
