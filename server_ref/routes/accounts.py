"""Account API (JSON, both channels): login, refresh, logout, me, password change and reset."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pocketsync.accounts import Principal, TokenPair
from server_ref.auth import bearer_token, blocking, client_ip, services
from server_ref.bodies import read_json, req_str

__all__ = ["customer_json", "routes", "tokens_json", "user_json"]

_PASSWORD_MAX = 1024  # the library refuses over-long passwords; this only bounds parsing


def tokens_json(pair: TokenPair) -> dict[str, Any]:
    return {
        "session_id": pair.session_id,
        "access_token": pair.access_token,
        "access_expires_ms": pair.access_expires_ms,
        "refresh_token": pair.refresh_token,
        "refresh_expires_ms": pair.refresh_expires_ms,
        "must_change_password": pair.must_change_password,
    }


def customer_json(who: Principal) -> dict[str, Any]:
    """The customer the logged-in user buys for, from the principal alone."""
    return {
        "customer_id": who.customer_id,
        "company_name": who.company_name,
        "account_number": who.account_number,
        "price_list_id": who.price_list_id,
        "account_type": who.account_type,
    }


def user_json(who: Principal) -> dict[str, Any]:
    return {
        "user_id": who.user_id,
        "login": who.login,
        "display_name": who.display_name,
        "channel": who.channel,
        "device_id": who.device_id,
        "session_id": who.session_id,
        "must_change_password": who.must_change_password,
    }


async def _whoami(request: Request, access_token: str) -> dict[str, Any]:
    svc = services(request)
    who = await blocking(svc.accounts.authenticate, access_token, allow_pending_change=True)
    return {"user": user_json(who), "customer": customer_json(who)}


async def login(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, svc.config.max_json_bytes)
    name = req_str(body, "login", max_len=254)
    password = req_str(body, "password", max_len=_PASSWORD_MAX)
    channel = req_str(body, "channel", max_len=16)
    device_id = req_str(body, "device_id", max_len=200)
    wipe = await blocking(svc.accounts.device_wipe_pending, device_id)
    pair = await blocking(
        svc.accounts.login,
        name,
        password,
        channel=channel,
        device_id=device_id,
        source=client_ip(request),
    )
    answer = tokens_json(pair) | await _whoami(request, pair.access_token)
    answer["device_wipe"] = wipe
    return JSONResponse(answer)


async def refresh(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, svc.config.max_json_bytes)
    pair = await blocking(svc.accounts.refresh, req_str(body, "refresh_token", max_len=512))
    return JSONResponse(tokens_json(pair))


async def logout(request: Request) -> Response:
    await blocking(services(request).accounts.logout, bearer_token(request))
    return Response(status_code=204)


async def me(request: Request) -> Response:
    return JSONResponse(await _whoami(request, bearer_token(request)))


async def change_password(request: Request) -> Response:
    svc = services(request)
    token = bearer_token(request)
    body = await read_json(request, svc.config.max_json_bytes)
    pair = await blocking(
        svc.accounts.change_password,
        token,
        req_str(body, "current_password", max_len=_PASSWORD_MAX),
        req_str(body, "new_password", max_len=_PASSWORD_MAX),
    )
    return JSONResponse(tokens_json(pair))


async def request_reset(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, svc.config.max_json_bytes)
    name = req_str(body, "login", max_len=254)
    await blocking(svc.accounts.request_password_reset, name, source=client_ip(request))
    return JSONResponse({"status": "accepted"}, status_code=202)


async def confirm_reset(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, svc.config.max_json_bytes)
    await blocking(
        svc.accounts.reset_password,
        req_str(body, "token", max_len=512),
        req_str(body, "new_password", max_len=_PASSWORD_MAX),
    )
    return Response(status_code=204)


routes = [
    Route("/v1/auth/login", login, methods=["POST"]),
    Route("/v1/auth/refresh", refresh, methods=["POST"]),
    Route("/v1/auth/logout", logout, methods=["POST"]),
    Route("/v1/me", me, methods=["GET"]),
    Route("/v1/auth/password", change_password, methods=["POST"]),
    Route("/v1/auth/password-reset", request_reset, methods=["POST"]),
    Route("/v1/auth/password-reset/confirm", confirm_reset, methods=["POST"]),
]
