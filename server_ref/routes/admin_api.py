"""Management API (JSON, administrators): the operations behind the Management Interface."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pocketsync.accounts import SessionInfo
from server_ref.auth import admin_principal, bearer_token, blocking, client_ip, services
from server_ref.bodies import opt_bool, opt_str, query_int, read_json, req_str
from server_ref.errors import InvalidField
from server_ref.management import (
    EDITABLE_FIELDS,
    NewAccount,
    account_view,
    create_account,
    edit_account,
    list_accounts,
)

__all__ = ["routes", "session_json"]


def session_json(s: SessionInfo) -> dict[str, Any]:
    return {
        "session_id": s.session_id,
        "account_id": s.user_id,
        "channel": s.channel,
        "device_id": s.device_id,
        "created_ms": s.created_ms,
        "last_used_ms": s.last_used_ms,
        "refresh_expires_ms": s.refresh_expires_ms,
        "ended_ms": s.ended_ms,
        "end_reason": s.end_reason,
    }


def _id(request: Request, name: str) -> str:
    value = str(request.path_params[name])
    if not 0 < len(value) <= 128:
        raise InvalidField(f"{name} must be 1 to 128 characters.")
    return value


async def admin_login(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, svc.config.max_json_bytes)
    session = await blocking(
        svc.admin.login,
        req_str(body, "login", max_len=254),
        req_str(body, "password", max_len=1024),
        source=client_ip(request),
    )
    return JSONResponse(
        {"token": session.token, "session_id": session.session_id, "expires_ms": session.expires_ms}
    )


async def admin_logout(request: Request) -> Response:
    token = bearer_token(request)
    await admin_principal(request)
    await blocking(services(request).admin.logout, token)
    return Response(status_code=204)


async def list_or_create(request: Request) -> Response:
    svc = services(request)
    actor = await admin_principal(request)
    if request.method == "GET":
        q = request.query_params.get("q") or None
        if q is not None and len(q) > 200:
            raise InvalidField("Query parameter 'q' is longer than 200 characters.")
        page = query_int(request, "page", 1, low=1, high=1_000_000)
        per_page = query_int(request, "per_page", 50, low=1, high=500)
        found, views = await blocking(
            list_accounts, svc.admin, search=q, page=page, per_page=per_page
        )
        return JSONResponse(
            {
                "items": [v.json() for v in views],
                "total": found.total,
                "page": page,
                "per_page": per_page,
            }
        )
    body = await read_json(request, svc.config.max_json_bytes)
    customer = body.get("customer")
    if customer is not None and not isinstance(customer, dict):
        raise InvalidField("Field 'customer' must be an object.")
    customer = customer or {}
    customer_id = opt_str(body, "customer_id", max_len=128)
    if customer_id is None and not customer:
        raise InvalidField("Give 'customer_id' of an existing customer or a 'customer' object.")
    new = NewAccount(
        login=req_str(body, "login", max_len=254),
        display_name=req_str(body, "display_name", max_len=200),
        email=opt_str(body, "email", max_len=254),
        initial_password=opt_str(body, "initial_password", max_len=1024),
        must_change_password=opt_bool(body, "must_change_password", True),
        customer_id=customer_id,
        company_name=opt_str(customer, "company_name", max_len=200) or "",
        account_number=opt_str(customer, "account_number", max_len=64) or "",
        price_list_id=opt_str(customer, "price_list_id", max_len=64) or "",
        account_type=opt_str(customer, "account_type", max_len=8) or "b2b",
    )
    view = await blocking(create_account, svc.admin, actor, new)
    return JSONResponse(view.json(), status_code=201)


async def account(request: Request) -> Response:
    svc = services(request)
    actor = await admin_principal(request)
    user_id = _id(request, "account_id")
    if request.method == "GET":
        view = await blocking(account_view, svc.admin, user_id)
        return JSONResponse(view.json())
    if request.method == "DELETE":
        await blocking(svc.admin.delete_user, actor, user_id)
        return Response(status_code=204)
    body = await read_json(request, svc.config.max_json_bytes)
    unknown = sorted(set(body) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidField(f"Fields {unknown} cannot be edited; editable: {list(EDITABLE_FIELDS)}.")
    changes = {name: req_str(body, name, max_len=254) for name in body}
    view = await blocking(edit_account, svc.admin, actor, user_id, changes)
    return JSONResponse(view.json())


async def set_active(request: Request) -> Response:
    svc = services(request)
    actor = await admin_principal(request)
    user_id = _id(request, "account_id")
    active = request.url.path.endswith("/enable")
    await blocking(svc.admin.set_user_active, actor, user_id, active)
    view = await blocking(account_view, svc.admin, user_id)
    return JSONResponse(view.json())


async def set_password(request: Request) -> Response:
    svc = services(request)
    actor = await admin_principal(request)
    user_id = _id(request, "account_id")
    body = await read_json(request, svc.config.max_json_bytes)
    await blocking(
        svc.admin.set_password,
        actor,
        user_id,
        req_str(body, "new_password", max_len=1024),
        must_change_at_next_login=opt_bool(body, "must_change", True),
    )
    return Response(status_code=204)


async def send_reset(request: Request) -> Response:
    svc = services(request)
    actor = await admin_principal(request)
    await blocking(svc.admin.send_password_reset, actor, _id(request, "account_id"))
    return JSONResponse({"status": "sent"}, status_code=202)


async def sessions(request: Request) -> Response:
    svc = services(request)
    await admin_principal(request)
    user_id = _id(request, "account_id")
    await blocking(svc.admin.get_user, user_id)  # 404 for an unknown account
    ended = request.query_params.get("include_ended") in ("1", "true")
    found = await blocking(svc.admin.list_sessions, user_id, include_ended=ended)
    return JSONResponse({"items": [session_json(s) for s in found]})


async def end_session(request: Request) -> Response:
    svc = services(request)
    actor = await admin_principal(request)
    await blocking(svc.admin.end_session, actor, _id(request, "session_id"))
    return Response(status_code=204)


async def audit(request: Request) -> Response:
    svc = services(request)
    await admin_principal(request)
    page = query_int(request, "page", 1, low=1, high=1_000_000)
    per_page = query_int(request, "per_page", 50, low=1, high=500)
    target = request.query_params.get("target") or None
    found = await blocking(
        svc.admin.audit_log, target_id=target, offset=(page - 1) * per_page, limit=per_page
    )
    items = [
        {
            "seq": e.seq,
            "at_ms": e.at_ms,
            "actor_kind": e.actor_kind,
            "actor_id": e.actor_id,
            "action": e.action,
            "target_kind": e.target_kind,
            "target_id": e.target_id,
            "details": e.details,
        }
        for e in found.items
    ]
    return JSONResponse({"items": items, "total": found.total, "page": page, "per_page": per_page})


_A = "/v1/admin/accounts/{account_id}"
routes = [
    Route("/v1/admin/login", admin_login, methods=["POST"]),
    Route("/v1/admin/logout", admin_logout, methods=["POST"]),
    Route("/v1/admin/accounts", list_or_create, methods=["GET", "POST"]),
    Route(_A, account, methods=["GET", "PATCH", "DELETE"]),
    Route(_A + "/disable", set_active, methods=["POST"]),
    Route(_A + "/enable", set_active, methods=["POST"]),
    Route(_A + "/password", set_password, methods=["POST"]),
    Route(_A + "/password-reset", send_reset, methods=["POST"]),
    Route(_A + "/sessions", sessions, methods=["GET"]),
    Route("/v1/admin/sessions/{session_id}", end_session, methods=["DELETE"]),
    Route("/v1/admin/audit", audit, methods=["GET"]),
]
