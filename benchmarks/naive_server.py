"""Benchmark-only "naive REST" server: a customer's catalog as JSON pages of rows.

The baseline of ``initial_sync.py``: the way many apps load a catalog — page after page of
JSON objects over HTTP. The reference server has no such endpoint and gets none; this
small Starlette app reads the same server database the reference server serves bundles
from (read-only, the standard library's ``sqlite3``), so both paths start from the same
rows.

    POST /login {"login", "password", "device_id"} -> {"access_token"}
    GET /rows/{table}?after=<json key>&limit=100        (Authorization: Bearer <token>)
    GET /rows/{table}?offset=<n>&limit=100
    -> {"rows": [{column: value, ...}, ...], "next": <json key> | null}

Login and the per-request token check are the accounts library's (``AccountService``,
the same calls the reference server makes): prices are per customer, so a real API has
to know who asks for every page, and the e2e client pays for its login too.

Keyset pages (``WHERE key > after ORDER BY key LIMIT n``) by default, so the server side
is as fast as it can be and the baseline is not slowed by the server: what it measures is
the per-page request and per-page commit pattern of the client. ``offset`` gives the
``?page=N``-style OFFSET pages most REST frameworks produce (each page skips all earlier
rows, so the server's work grows with the square of the catalog).

Run as ``python benchmarks/naive_server.py --db server.db --port N`` (uvicorn on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pocketsync.accounts import AccountService, FileMailer
from pocketsync.bundle import TABLES
from pocketsync.clock import SystemClock
from pocketsync.errors import PocketSyncError
from pocketsync.serverdb import create_server_engine

__all__ = ["create_app"]

MAX_LIMIT = 1000

# Server table, the key the pages follow, and the extra filter of each client table. The
# column names of the client tables come from TABLES (the bundle's own column list), so
# the naive client ends with exactly the rows a bundle would give it.
_SOURCES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "categories": ("catalog_categories", ("id",), "deleted = 0"),
    "products": ("catalog_products", ("sku",), "deleted = 0"),
    "prices": ("catalog_prices", ("sku", "min_qty"), "deleted = 0 AND price_list_id = :pl"),
}


def _page_sql(table: str, with_after: bool) -> str:
    source, key, where = _SOURCES[table]
    columns = ", ".join(TABLES[table].column_names)
    keys = ", ".join(key)
    if with_after:
        # Row-value comparison: the keyset condition for one- and two-column keys alike.
        marks = ", ".join(f":k{i}" for i in range(len(key)))
        where += f" AND ({keys}) > ({marks})"
    # Identifiers come from the fixed tables above, never from the request.
    return (
        f"SELECT {columns} FROM {source} WHERE {where} ORDER BY {keys} LIMIT :limit OFFSET :offset"
    )


def create_app(db_path: str, mail_outbox: Path) -> Starlette:
    """The app over the SQLite file ``db_path``: rows read through a read-only ``sqlite3``
    connection per thread, accounts through the library (nothing is mailed here)."""
    local = threading.local()
    engine = create_server_engine(f"sqlite:///{db_path}")
    accounts = AccountService(engine, clock=SystemClock(), mailer=FileMailer(mail_outbox))

    def connection() -> sqlite3.Connection:
        # Starlette runs sync work in a threadpool; sqlite3 connections stay in their thread.
        conn: sqlite3.Connection | None = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=True)
            local.conn = conn
        return conn

    def page(
        table: str, price_list: str, after: list[Any] | None, offset: int, limit: int
    ) -> dict[str, Any]:
        names = TABLES[table].column_names
        key = _SOURCES[table][1]
        args: dict[str, Any] = {"pl": price_list, "limit": limit, "offset": offset}
        if after is not None:
            args.update({f"k{i}": v for i, v in enumerate(after)})
        rows = connection().execute(_page_sql(table, after is not None), args).fetchall()
        objects = [dict(zip(names, row, strict=True)) for row in rows]
        for obj in objects:
            if "active" in obj:
                obj["active"] = bool(obj["active"])  # SQLite stores booleans as 0/1
        nxt = [objects[-1][k] for k in key] if len(objects) == limit else None
        return {"rows": objects, "next": nxt}

    async def login(request: Request) -> Response:
        body = await request.json()
        try:
            tokens = await run_in_threadpool(
                accounts.login,
                str(body["login"]),
                str(body["password"]),
                channel="app",
                device_id=str(body["device_id"]),
                source=request.client.host if request.client else "unknown",
            )
        except PocketSyncError as exc:
            return JSONResponse({"error": exc.code}, status_code=401)
        return JSONResponse({"access_token": tokens.access_token})

    async def rows(request: Request) -> Response:
        table = str(request.path_params["table"])
        if table not in _SOURCES:
            return JSONResponse({"error": "unknown table"}, status_code=404)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            who = await run_in_threadpool(accounts.authenticate, token)
        except PocketSyncError as exc:
            return JSONResponse({"error": exc.code}, status_code=401)
        try:
            limit = max(1, min(MAX_LIMIT, int(request.query_params.get("limit", "100"))))
            after_text = request.query_params.get("after")
            after = json.loads(after_text) if after_text else None
            offset = max(0, int(request.query_params.get("offset", "0")))
        except ValueError:
            return JSONResponse({"error": "bad query"}, status_code=400)
        price_list = who.price_list_id
        body = await run_in_threadpool(page, table, price_list, after, offset, limit)
        return JSONResponse(body)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/rows/{table}", rows, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="the server's SQLite database file")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mail-outbox", type=Path, required=True, help="a file (never written)")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.db, args.mail_outbox),
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        log_level="warning",
        ws="none",
        lifespan="off",
    )


if __name__ == "__main__":
    main()
