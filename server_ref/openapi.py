"""The hand-written OpenAPI 3.1 document of API v1, served at ``GET /openapi.json``.

Written by hand (docs/http-api.md is the contract) rather than generated: the sync
bodies are msgpack and the chunk answers raw bytes, which generated schemas would not
describe. A test checks that every route of the app is here and vice versa.
"""

from __future__ import annotations

from typing import Any

__all__ = ["document"]

JSON = "application/json"
MSGPACK = "application/msgpack"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741
B = {"type": "boolean"}


def _op(
    summary: str,
    tag: str,
    *,
    ok: int = 200,
    body: dict[str, Any] | None = None,
    body_type: str = JSON,
    answer: dict[str, Any] | None = None,
    answer_type: str = JSON,
    auth: str | None = "bearer",
    errors: tuple[int, ...] = (400,),
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag]}
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {body_type: {"schema": body}}}
    ok_response: dict[str, Any] = {"description": "OK"}
    if answer is not None:
        ok_response["content"] = {answer_type: {"schema": answer}}
    responses: dict[str, Any] = {str(ok): ok_response}
    codes = set(errors) | ({401} if auth else set())
    for code in sorted(codes):
        responses[str(code)] = {"$ref": "#/components/responses/Error"}
    op["responses"] = responses
    op["security"] = [{auth: []}] if auth else []
    return op


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": S}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _paths() -> dict[str, dict[str, Any]]:
    acc, sync, mgmt, ops, ui = "accounts", "sync", "management", "operations", "admin-ui"
    tokens, account = _ref("Tokens"), _ref("Account")
    aid, sid = [_path("account_id")], [_path("session_id")]
    paging = [_query("page", I), _query("per_page", I)]
    html = {"type": "string", "contentMediaType": "text/html"}
    form = {"type": "object", "additionalProperties": S}
    fm = "application/x-www-form-urlencoded"

    def page(summary: str, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return _op(
            summary,
            ui,
            answer=html,
            answer_type="text/html",
            auth="adminCookie",
            errors=(),
            params=params,
        )

    def post(summary: str, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return _op(
            summary,
            ui,
            ok=303,
            body=form,
            body_type=fm,
            auth="adminCookie",
            errors=(400, 403, 413, 415),
            params=params,
        )

    return {
        "/healthz": {"get": _op("Database answers", ops, auth=None, errors=(503,))},
        "/metrics": {
            "get": _op(
                "Prometheus metrics", ops, answer=S, answer_type="text/plain", auth=None, errors=()
            )
        },
        "/openapi.json": {"get": _op("This document", ops, auth=None, errors=())},
        "/v1/auth/login": {
            "post": _op(
                "Log in (channel web or app)",
                acc,
                auth=None,
                errors=(400, 401, 403, 413, 415, 429),
                body=_obj(
                    ["login", "password", "channel", "device_id"],
                    login=S,
                    password=S,
                    channel={"enum": ["web", "app"]},
                    device_id=S,
                ),
                answer=_ref("Login"),
            )
        },
        "/v1/auth/refresh": {
            "post": _op(
                "New tokens for a refresh token",
                acc,
                auth=None,
                errors=(400, 401),
                body=_obj(["refresh_token"], refresh_token=S),
                answer=tokens,
            )
        },
        "/v1/auth/logout": {"post": _op("End this session", acc, ok=204)},
        "/v1/me": {"get": _op("Who is logged in", acc, answer=_ref("Login"))},
        "/v1/auth/password": {
            "post": _op(
                "Change password; ends every other session",
                acc,
                errors=(400, 429),
                body=_obj(["current_password", "new_password"], current_password=S, new_password=S),
                answer=tokens,
            )
        },
        "/v1/auth/password-reset": {
            "post": _op(
                "Mail a reset link (same answer for unknown logins)",
                acc,
                ok=202,
                auth=None,
                errors=(400, 429),
                body=_obj(["login"], login=S),
            )
        },
        "/v1/auth/password-reset/confirm": {
            "post": _op(
                "Set a new password with a reset token; ends all sessions",
                acc,
                ok=204,
                auth=None,
                body=_obj(["token", "new_password"], token=S, new_password=S),
            )
        },
        "/v1/sync/manifest": {
            "post": _op(
                "Signed manifest since the cursors (docs/bundle-format.md)",
                sync,
                body=_obj([], cursors={"type": "object"}),
                body_type=MSGPACK,
                answer={
                    "type": "string",
                    "contentMediaType": "application/vnd.pocketsync.manifest",
                },
                answer_type="application/vnd.pocketsync.manifest",
                errors=(400, 403, 413, 415),
            )
        },
        "/v1/chunks/{address}": {
            "get": _op(
                "Chunk bytes by SHA-256 (ETag, Range, If-None-Match)",
                sync,
                params=[
                    _path("address"),
                    {"name": "Range", "in": "header", "schema": S},
                    {"name": "If-None-Match", "in": "header", "schema": S},
                ],
                answer={"type": "string", "contentMediaType": "application/octet-stream"},
                answer_type="application/octet-stream",
                errors=(403, 404, 416),
            )
        },
        "/v1/remote/push": {
            "post": _op(
                "Push cart, favourites and settings operations (docs/merge.md; web or app session)",
                sync,
                body={"type": "object"},
                body_type=MSGPACK,
                answer={"type": "object"},
                answer_type=MSGPACK,
                errors=(400, 403, 409, 413, 415),
            )
        },
        "/v1/remote/pull": {
            "post": _op(
                "Pull remote-state changes since a cookie (web or app session)",
                sync,
                body={"type": "object"},
                body_type=MSGPACK,
                answer={"type": "object"},
                answer_type=MSGPACK,
                errors=(400, 403, 413, 415),
            )
        },
        "/v1/admin/login": {
            "post": _op(
                "Administrator login",
                mgmt,
                auth=None,
                errors=(400, 401, 429),
                body=_obj(["login", "password"], login=S, password=S),
                answer=_obj(["token", "expires_ms"], token=S, session_id=S, expires_ms=I),
            )
        },
        "/v1/admin/logout": {"post": _op("End the administrator session", mgmt, ok=204)},
        "/v1/admin/accounts": {
            "get": _op(
                "List and search accounts",
                mgmt,
                params=[_query("q", S), *paging],
                answer=_obj(
                    ["items", "total"],
                    items={"type": "array", "items": account},
                    total=I,
                    page=I,
                    per_page=I,
                ),
            ),
            "post": _op(
                "Create an account (and its customer)",
                mgmt,
                ok=201,
                errors=(400, 404, 409),
                body=_ref("NewAccount"),
                answer=account,
            ),
        },
        "/v1/admin/accounts/{account_id}": {
            "get": _op("Show an account", mgmt, params=aid, errors=(404,), answer=account),
            "patch": _op(
                "Edit an account",
                mgmt,
                params=aid,
                errors=(400, 404, 409),
                body={"type": "object", "additionalProperties": S},
                answer=account,
            ),
            "delete": _op(
                "Delete an account (sessions, remote state; devices wiped)",
                mgmt,
                ok=204,
                params=aid,
                errors=(404,),
            ),
        },
        "/v1/admin/accounts/{account_id}/disable": {
            "post": _op(
                "Disable (ends its sessions)", mgmt, params=aid, errors=(404,), answer=account
            )
        },
        "/v1/admin/accounts/{account_id}/enable": {
            "post": _op("Enable", mgmt, params=aid, errors=(404,), answer=account)
        },
        "/v1/admin/accounts/{account_id}/password": {
            "post": _op(
                "Set the password; ends every session",
                mgmt,
                ok=204,
                params=aid,
                errors=(400, 404),
                body=_obj(["new_password"], new_password=S, must_change=B),
            )
        },
        "/v1/admin/accounts/{account_id}/password-reset": {
            "post": _op("Mail the user a reset link", mgmt, ok=202, params=aid, errors=(400, 404))
        },
        "/v1/admin/accounts/{account_id}/sessions": {
            "get": _op(
                "The account's open sessions",
                mgmt,
                errors=(404,),
                params=[*aid, _query("include_ended", B)],
                answer=_obj(["items"], items={"type": "array"}),
            )
        },
        "/v1/admin/sessions/{session_id}": {
            "delete": _op("End a session", mgmt, ok=204, params=sid, errors=(404,))
        },
        "/v1/admin/audit": {
            "get": _op(
                "The audit log, newest first",
                mgmt,
                params=[_query("target", S), *paging],
                answer=_obj(["items", "total"]),
            )
        },
        "/admin/": {"get": page("Management Interface home (redirects)")},
        "/admin/login": {"get": page("Login form"), "post": post("Log in")},
        "/admin/logout": {"post": post("Log out")},
        "/admin/accounts": {"get": page("Account list", [_query("q", S), _query("page", I)])},
        "/admin/accounts/new": {"get": page("New account form"), "post": post("Create")},
        "/admin/accounts/{account_id}": {"get": page("Account page", aid)},
        "/admin/accounts/{account_id}/delete": {"get": page("Delete confirmation", aid)},
        "/admin/accounts/{account_id}/{action}": {
            "post": post("edit, enable, disable, password or delete", [*aid, _path("action")])
        },
        "/admin/sessions/{sid}/end": {"post": post("End a session", [_path("sid")])},
        "/admin/audit": {"get": page("Audit log", [_query("page", I)])},
    }


def _components() -> dict[str, Any]:
    tokens = _obj(
        ["access_token", "refresh_token", "access_expires_ms", "refresh_expires_ms"],
        session_id=S,
        access_token=S,
        refresh_token=S,
        access_expires_ms=I,
        refresh_expires_ms=I,
        must_change_password=B,
    )
    customer = _obj(
        ["customer_id"],
        customer_id=S,
        company_name=S,
        account_number=S,
        price_list_id=S,
        account_type={"enum": ["b2b", "b2c"]},
        active=B,
        deleted=B,
    )
    error = _obj(
        ["error"],
        error=_obj(["code", "message"], code=S, message=S, retry_after_ms=I, last_seq=I, wipe=B),
    )
    return {
        "schemas": {
            "Error": error,
            "Tokens": tokens,
            "Login": {
                "allOf": [
                    tokens,
                    _obj(
                        ["user", "customer"],
                        user={"type": "object"},
                        customer=customer,
                        device_wipe=B,
                    ),
                ]
            },
            "Customer": customer,
            "Account": _obj(
                ["account_id", "login", "customer"],
                account_id=S,
                login=S,
                email=S,
                display_name=S,
                active=B,
                has_password=B,
                must_change_password=B,
                created_ms=I,
                updated_ms=I,
                deleted=B,
                customer=customer,
            ),
            "NewAccount": _obj(
                ["login", "display_name"],
                login=S,
                display_name=S,
                email=S,
                initial_password=S,
                must_change_password=B,
                customer_id=S,
                customer=customer,
            ),
        },
        "responses": {
            "Error": {
                "description": "An error: code and message (docs/http-api.md)",
                "content": {JSON: {"schema": _ref("Error")}},
            }
        },
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "adminCookie": {"type": "apiKey", "in": "cookie", "name": "ps_admin"},
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh dict each call)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pocketsync reference server",
            "version": "1",
            "description": "Sync and account API v1 (docs/http-api.md) and the Management "
            'Interface pages. Errors are JSON: {"error": {"code", "message"}}.',
        },
        "paths": _paths(),
        "components": _components(),
    }
