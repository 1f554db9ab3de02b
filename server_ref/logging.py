"""Structured request logs (JSON lines) and request metrics, as one ASGI middleware.

Each request gives one line on the ``pocketsync.server.access`` logger::

    {"event": "request", "method": "POST", "route": "/v1/auth/login", "status": 200,
     "duration_ms": 41.2, "bytes": 312, "client": "127.0.0.1", "ts_ms": 1764870000000}

Only the route *template* is logged (``/v1/admin/accounts/{user_id}``), never the path
with its values, the query string, a header, or a body: a token, password or reset code
cannot reach the log through this line.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_ref.metrics import Metrics

__all__ = ["JsonFormatter", "RequestLogMiddleware", "configure_logging", "route_of"]

access_log = logging.getLogger("pocketsync.server.access")


def route_of(scope: Scope) -> str:
    """The matched route's template, or ``unmatched`` (bounded metric labels)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestLogMiddleware:
    """Times every HTTP request, logs one JSON line and counts it in :class:`Metrics`."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        sent = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - start
            route = route_of(scope)
            method = str(scope.get("method", ""))
            self.metrics.request(method, route, status, seconds)
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "fields": {
                        "event": "request",
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "bytes": sent,
                        "client": client[0] if client else None,
                    }
                },
            )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: the record's ``fields``, or its level, logger and message."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", None) or {
            "event": "log",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        out = {**fields, "ts_ms": int(record.created * 1000)}
        if record.exc_info and record.exc_info[0] is not None:
            out["exception"] = record.exc_info[0].__name__
        return json.dumps(out, separators=(",", ":"), default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send ``pocketsync`` logs to stderr as JSON lines (the ``serve`` command does this)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("pocketsync", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
