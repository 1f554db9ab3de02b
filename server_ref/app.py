"""The reference server's ASGI application: ``create_app(config) -> Starlette``.

Why Starlette and not FastAPI: this server must stay a thin adapter over ``pocketsync``.
Starlette is the small ASGI toolkit FastAPI is built on: routing, requests, responses,
Jinja2 templates and middleware, with nothing between a handler and the bytes. The sync
endpoints take msgpack bodies that pydantic models would not describe, size limits are
enforced while reading the stream (which FastAPI's body parsing does not do), and the
OpenAPI document is hand-written (``server_ref.openapi``) rather than generated from
models the server would otherwise not need.

Handlers are thin: parse, authenticate, call the library (in the threadpool, since the
library's database calls are synchronous), write the answer. Errors are mapped to JSON in
one place (``server_ref.errors``); requests are logged and counted by one middleware
(``server_ref.logging``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from pocketsync.accounts import AccountSettings, Mailer
from pocketsync.bundle import SigningKey
from pocketsync.clock import Clock
from server_ref import admin_ui, chunks, openapi
from server_ref.auth import blocking, services
from server_ref.config import ServerConfig
from server_ref.errors import error_response, exception_handlers
from server_ref.logging import RequestLogMiddleware
from server_ref.routes import accounts, admin_api, sync
from server_ref.services import Services, build_services

__all__ = ["create_app"]


def _ping(svc: Services) -> None:
    with svc.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.rollback()


async def healthz(request: Request) -> Response:
    try:
        await blocking(_ping, services(request))
    except Exception:
        return error_response(503, "database_unavailable", "The database does not answer.")
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> Response:
    body = services(request).metrics.render()
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi.document(), headers={"Cache-Control": "no-cache"})


def app_routes() -> list[BaseRoute]:
    """Every route of the server (the OpenAPI test compares this list with the document)."""
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        *accounts.routes,
        *sync.routes,
        *chunks.routes,
        *admin_api.routes,
        *admin_ui.routes,
    ]


def create_app(
    config: ServerConfig,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    settings: AccountSettings | None = None,
    signing_key: SigningKey | None = None,
    prebuilt: Services | None = None,
) -> Starlette:
    """The application for ``config``; tests may inject a clock, mailer or settings.

    Raises:
        ConfigurationError: the database URL or the signing key file is unusable.
    """
    svc = prebuilt or build_services(
        config, clock=clock, mailer=mailer, settings=settings, signing_key=signing_key
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            svc.close()

    app = Starlette(
        routes=app_routes(),
        middleware=[Middleware(RequestLogMiddleware, metrics=svc.metrics)],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.services = svc
    return app
