"""The one place where errors become HTTP answers.

Every error body is ``{"error": {"code": ..., "message": ...}}`` (docs/http-api.md):

* a :class:`~pocketsync.errors.PocketSyncError` from the library answers with its
  ``status_hint`` and ``code``; its message is safe to show (the library promises it
  never holds a secret). A few errors carry one more field: ``Retry-After`` for
  ``retry_after_ms``, ``last_seq`` for a sequence gap, ``wipe`` for a deleted account;
* the server's own refusals (size, media type, parse, routing, auth header) are the
  :class:`RequestError` leaves below, which are ``PocketSyncError`` too, so they go
  through the same handler;
* Starlette's routing ``HTTPException`` (404, 405) becomes the same JSON shape;
* anything else is the server's fault: 500 ``internal_error`` with no detail (the
  traceback goes to the log, never to the client).
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from pocketsync.errors import PocketSyncError

__all__ = [
    "AuthRequired",
    "BodyTooLarge",
    "InvalidField",
    "MalformedBody",
    "RequestError",
    "UnsupportedMediaType",
    "WrongChannel",
    "error_response",
    "exception_handlers",
]

log = logging.getLogger("pocketsync.server")


class RequestError(PocketSyncError):
    """A request the server refuses before any library code runs."""

    code: ClassVar[str] = "bad_request"
    status_hint: ClassVar[int] = 400


class MalformedBody(RequestError):
    """The body does not parse as the declared format (JSON or msgpack)."""

    code = "malformed_body"


class InvalidField(RequestError):
    """A field of the body is missing, of the wrong type or out of range."""

    code = "invalid_field"


class BodyTooLarge(RequestError):
    """The body is larger than the endpoint accepts."""

    code = "body_too_large"
    status_hint = 413


class UnsupportedMediaType(RequestError):
    """The Content-Type is not the one the endpoint takes."""

    code = "unsupported_media_type"
    status_hint = 415


class AuthRequired(RequestError):
    """No ``Authorization: Bearer`` header."""

    code = "auth_required"
    status_hint = 401


class WrongChannel(RequestError):
    """An endpoint of one channel was called with a session of the other."""

    code = "wrong_channel"
    status_hint = 403


_HTTP_CODES = {
    400: "bad_request",
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """The JSON error answer; the same inputs always give the same bytes."""
    error: dict[str, Any] = {"code": code, "message": message, **extra}
    body = json.dumps({"error": error}, separators=(",", ":"), ensure_ascii=False)
    return Response(
        body.encode(), status_code=status, media_type="application/json", headers=headers
    )


def _library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PocketSyncError)
    status = exc.status_hint
    if status >= 500:
        log.error("server fault %s on %s", exc.code, request.url.path, exc_info=exc)
        return error_response(status, exc.code, "The server could not complete the request.")
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    retry_ms = getattr(exc, "retry_after_ms", None)
    if isinstance(retry_ms, int):
        headers["Retry-After"] = str(max(1, math.ceil(retry_ms / 1000)))
        extra["retry_after_ms"] = retry_ms
    last_seq = getattr(exc, "last_seq", None)
    if isinstance(last_seq, int):
        extra["last_seq"] = last_seq
    if getattr(exc, "wipe", False) is True:
        extra["wipe"] = True
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(status, exc.code, str(exc), headers=headers or None, **extra)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404:
        message = f"No such resource: {request.url.path[:200]}"
    elif status == 405:
        message = f"Method {request.method} is not allowed here."
    else:
        message = str(exc.detail)
    headers = dict(exc.headers) if exc.headers else None
    code = _HTTP_CODES.get(status, "http_error")
    return error_response(status, code, message, headers=headers)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "The server could not complete the request.")


def exception_handlers() -> dict[Any, Any]:
    """The handlers to pass to ``Starlette(exception_handlers=...)``."""
    return {
        PocketSyncError: _library_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }
