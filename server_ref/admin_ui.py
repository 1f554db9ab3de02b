"""The Management Interface: server-rendered HTML under ``/admin/`` (no JavaScript).

Security, in one place:

* the administrator session token lives in the ``ps_admin`` cookie: ``HttpOnly``,
  ``SameSite=Strict``, ``Path=/admin``, and ``Secure`` when served over https (or
  always/never, per ``POCKETSYNC_COOKIE_SECURE``, for loopback http);
* every form carries a CSRF token checked on every POST: for signed-in pages it is bound
  to the session (an HMAC of the session token, which a cross-site page cannot read);
  the login form uses a double-submit cookie;
* forms are ``application/x-www-form-urlencoded`` bodies read under the JSON size limit;
* pages send ``Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'``,
  ``X-Frame-Options: DENY`` and ``Cache-Control: no-store``.

The pages call the same library functions as the Management API (``server_ref.management``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from pocketsync.accounts import AdminPrincipal
from pocketsync.errors import PocketSyncError
from server_ref.auth import blocking, client_ip, services
from server_ref.bodies import read_body
from server_ref.errors import RequestError, UnsupportedMediaType
from server_ref.management import NewAccount, account_view, create_account, edit_account
from server_ref.management import list_accounts as list_accounts_page

__all__ = ["routes"]

COOKIE = "ps_admin"
LOGIN_CSRF_COOKIE = "ps_login_csrf"
PER_PAGE = 20
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
templates = Jinja2Templates(env=_env)
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_DONE = {
    "created": "Account created.",
    "saved": "Changes saved.",
    "enabled": "Account enabled.",
    "disabled": "Account disabled; its sessions have ended.",
    "password": "Password changed; every session of the account has ended.",
    "session": "Session ended.",
    "deleted": "Account deleted.",
}


class CsrfFailed(RequestError):
    code = "csrf_failed"
    status_hint = 403


def _csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"pocketsync/admin-csrf/v1", hashlib.sha256).hexdigest()


def _secure(request: Request) -> bool:
    mode = services(request).config.cookie_secure
    return request.url.scheme == "https" if mode == "auto" else mode == "true"


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("admin", None)
    context.setdefault("csrf", "")
    context.setdefault("error", None)
    context.setdefault("notice", _DONE.get(request.query_params.get("done", "")))
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(_HEADERS)
    return response


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=_HEADERS)


async def _form(request: Request) -> dict[str, str]:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("Forms are sent as application/x-www-form-urlencoded.")
    raw = await read_body(request, services(request).config.max_json_bytes)
    try:
        fields = parse_qs(raw.decode(), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise RequestError("The form could not be read.") from None
    return {k: v[0] for k, v in fields.items()}


async def _session(request: Request) -> tuple[AdminPrincipal, str] | None:
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 512:
        return None
    try:
        actor = await blocking(services(request).admin.authenticate, token)
    except PocketSyncError:
        return None
    return actor, _csrf_for(token)


async def _signed_in_post(request: Request) -> tuple[AdminPrincipal, str, dict[str, str]] | None:
    session = await _session(request)
    form = await _form(request)
    if session is None:
        return None
    actor, csrf = session
    if not hmac.compare_digest(form.get("csrf", ""), csrf):
        raise CsrfFailed("The form is out of date or was not sent by this site; reload it.")
    return actor, csrf, form


# -- login -----------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        token = secrets.token_urlsafe(32)
        response = _page(request, "login.html", csrf=token)
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            path="/admin/login",
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )
        return response
    form = await _form(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(form.get("csrf", ""), expected):
        raise CsrfFailed("The login form is out of date; reload it.")
    try:
        session = await blocking(
            services(request).admin.login,
            form.get("login", ""),
            form.get("password", ""),
            source=client_ip(request),
        )
    except PocketSyncError as exc:
        return _page(request, "login.html", exc.status_hint, csrf=expected, error=str(exc))
    response = _redirect("/admin/accounts")
    response.set_cookie(
        COOKIE,
        session.token,
        path="/admin",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
    return response


async def logout(request: Request) -> Response:
    found = await _signed_in_post(request)
    if found is not None:
        await blocking(services(request).admin.logout, request.cookies.get(COOKIE, ""))
    response = _redirect("/admin/login")
    response.delete_cookie(COOKIE, path="/admin")
    return response


async def home(request: Request) -> Response:
    return _redirect("/admin/accounts")


# -- accounts --------------------------------------------------------------------------


async def accounts(request: Request) -> Response:
    session = await _session(request)
    if session is None:
        return _redirect("/admin/login")
    actor, csrf = session
    q = (request.query_params.get("q") or "")[:200]
    try:
        page = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page = 1
    found, views = await blocking(
        list_accounts_page,
        services(request).admin,
        search=q or None,
        page=page,
        per_page=PER_PAGE,
    )
    pages = max(1, -(-found.total // PER_PAGE))
    return _page(
        request,
        "accounts.html",
        admin=actor,
        csrf=csrf,
        q=q,
        page=page,
        pages=pages,
        total=found.total,
        accounts=views,
        prev_url="?" + urlencode({"q": q, "page": page - 1}) if page > 1 else None,
        next_url="?" + urlencode({"q": q, "page": page + 1}) if page < pages else None,
    )


async def new_account(request: Request) -> Response:
    if request.method == "GET":
        session = await _session(request)
        if session is None:
            return _redirect("/admin/login")
        return _page(request, "account_new.html", admin=session[0], csrf=session[1], form={})
    found = await _signed_in_post(request)
    if found is None:
        return _redirect("/admin/login")
    actor, csrf, form = found
    new = NewAccount(
        login=form.get("login", ""),
        display_name=form.get("display_name", ""),
        email=form.get("email") or None,
        initial_password=form.get("initial_password") or None,
        must_change_password=form.get("must_change_password") == "on",
        customer_id=form.get("customer_id") or None,
        company_name=form.get("company_name", ""),
        account_number=form.get("account_number", ""),
        price_list_id=form.get("price_list_id", ""),
        account_type=form.get("account_type", "b2b"),
    )
    try:
        view = await blocking(create_account, services(request).admin, actor, new)
    except PocketSyncError as exc:
        form.pop("initial_password", None)
        return _page(
            request,
            "account_new.html",
            exc.status_hint,
            admin=actor,
            csrf=csrf,
            form=form,
            error=str(exc),
        )
    return _redirect(f"/admin/accounts/{view.user.user_id}?done=created")


async def account(request: Request) -> Response:
    session = await _session(request)
    if session is None:
        return _redirect("/admin/login")
    return await _account_page(request, session[0], session[1])


async def _account_page(
    request: Request, actor: AdminPrincipal, csrf: str, error: str | None = None, status: int = 200
) -> Response:
    svc = services(request)
    user_id = str(request.path_params["account_id"])
    view = await blocking(account_view, svc.admin, user_id)
    sessions = await blocking(svc.admin.list_sessions, user_id)
    return _page(
        request,
        "account.html",
        status,
        admin=actor,
        csrf=csrf,
        account=view,
        sessions=sessions,
        error=error,
    )


async def account_action(request: Request) -> Response:
    """POST /admin/accounts/{id}/{action}: edit, enable, disable, password, delete."""
    found = await _signed_in_post(request)
    if found is None:
        return _redirect("/admin/login")
    actor, csrf, form = found
    admin = services(request).admin
    user_id = str(request.path_params["account_id"])
    action = str(request.path_params["action"])
    here = f"/admin/accounts/{user_id}"
    try:
        if action == "edit":
            fields = ("login", "display_name", "email", "company_name", "price_list_id")
            changes = {k: form[k] for k in fields if k in form}
            if form.get("account_type") in ("b2b", "b2c"):
                changes["account_type"] = form["account_type"]
            await blocking(edit_account, admin, actor, user_id, changes)
            return _redirect(here + "?done=saved")
        if action in ("enable", "disable"):
            await blocking(admin.set_user_active, actor, user_id, action == "enable")
            return _redirect(here + f"?done={action}d")
        if action == "password":
            await blocking(
                admin.set_password,
                actor,
                user_id,
                form.get("new_password", ""),
                must_change_at_next_login=form.get("must_change") == "on",
            )
            return _redirect(here + "?done=password")
        if action == "delete":
            if form.get("confirm") != "yes":
                raise RequestError("Tick the confirmation box to delete the account.")
            await blocking(admin.delete_user, actor, user_id)
            return _redirect("/admin/accounts?done=deleted")
    except PocketSyncError as exc:
        return await _account_page(request, actor, csrf, str(exc), exc.status_hint)
    return await _account_page(request, actor, csrf, "Unknown action.", 404)


async def confirm_delete(request: Request) -> Response:
    session = await _session(request)
    if session is None:
        return _redirect("/admin/login")
    view = await blocking(
        account_view, services(request).admin, str(request.path_params["account_id"])
    )
    return _page(request, "account_delete.html", admin=session[0], csrf=session[1], account=view)


async def end_session(request: Request) -> Response:
    found = await _signed_in_post(request)
    if found is None:
        return _redirect("/admin/login")
    actor, _, form = found
    await blocking(services(request).admin.end_session, actor, str(request.path_params["sid"]))
    back = form.get("account_id", "")
    if back and back.isalnum() and len(back) <= 128:
        return _redirect(f"/admin/accounts/{back}?done=session")
    return _redirect("/admin/accounts?done=session")


async def audit(request: Request) -> Response:
    session = await _session(request)
    if session is None:
        return _redirect("/admin/login")
    try:
        page = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page = 1
    found = await blocking(
        services(request).admin.audit_log, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
    )
    pages = max(1, -(-found.total // PER_PAGE))
    return _page(
        request,
        "audit.html",
        admin=session[0],
        csrf=session[1],
        entries=found.items,
        page=page,
        pages=pages,
    )


routes = [
    Route("/admin/", home, methods=["GET"]),
    Route("/admin/login", login_page, methods=["GET", "POST"]),
    Route("/admin/logout", logout, methods=["POST"]),
    Route("/admin/accounts", accounts, methods=["GET"]),
    Route("/admin/accounts/new", new_account, methods=["GET", "POST"]),
    Route("/admin/accounts/{account_id}", account, methods=["GET"]),
    Route("/admin/accounts/{account_id}/delete", confirm_delete, methods=["GET"]),
    Route("/admin/accounts/{account_id}/{action}", account_action, methods=["POST"]),
    Route("/admin/sessions/{sid}/end", end_session, methods=["POST"]),
    Route("/admin/audit", audit, methods=["GET"]),
]
