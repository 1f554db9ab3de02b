"""Sync API (msgpack): the signed manifest (app channel) and remote-state push and pull.

The catalog (manifest, and chunks in ``server_ref.chunks``) is for app-channel sessions only.
Cart, favourites and settings are one state per user that the web shop and the app both
edit, so push and pull accept sessions of either channel.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pocketsync.bundle import ROLES, RoleCursor
from pocketsync.remote import (
    decode_pull_request,
    decode_push_request,
    encode_pull_response,
    encode_push_response,
    pack,
    unpack,
)
from pocketsync.remote.errors import MalformedPullError, MalformedPushError
from server_ref.auth import blocking, principal, services
from server_ref.bodies import read_msgpack_bytes, unpack_msgpack
from server_ref.errors import InvalidField

__all__ = ["MANIFEST_TYPE", "MSGPACK", "parse_cursors", "routes"]

MSGPACK = "application/msgpack"
MANIFEST_TYPE = "application/vnd.pocketsync.manifest"


def parse_cursors(body: Any) -> dict[str, RoleCursor]:
    """``{"cursors": {role: [partition_id, version]}}`` as :class:`RoleCursor` values."""
    if not isinstance(body, dict) or not isinstance(body.get("cursors", {}), dict):
        raise InvalidField("The body must be a map with a 'cursors' map.")
    cursors: dict[str, RoleCursor] = {}
    for role, value in body.get("cursors", {}).items():
        if role not in ROLES:
            raise InvalidField(f"Unknown role {str(role)[:40]!r}; roles are {list(ROLES)}.")
        if (
            not isinstance(value, list | tuple)
            or len(value) != 2
            or not isinstance(value[0], str)
            or isinstance(value[1], bool)
            or not isinstance(value[1], int)
            or not 0 <= value[1] < 2**63
        ):
            raise InvalidField(f"Cursor of {role!r} must be [partition_id, version >= 0].")
        cursors[role] = RoleCursor(value[0], value[1])
    return cursors


async def manifest(request: Request) -> Response:
    svc = services(request)
    who = await principal(request, channel="app")
    raw = await read_msgpack_bytes(request, svc.config.max_json_bytes)
    cursors = parse_cursors(unpack_msgpack(raw, max_items=16, max_len=1024) if raw else {})
    envelope = await blocking(svc.catalog.manifest_for, who.customer_id, who.price_list_id, cursors)
    svc.metrics.bundle_bytes("manifest", len(envelope))
    return Response(envelope, media_type=MANIFEST_TYPE, headers={"Cache-Control": "no-store"})


async def push(request: Request) -> Response:
    svc = services(request)
    who = await principal(request)  # web or app: both edit the same cart
    raw = await read_msgpack_bytes(request, svc.config.max_push_bytes)
    push_request = decode_push_request(unpack(raw, MalformedPushError))
    answer = await blocking(svc.remote.push, who.user_id, push_request)
    counts: dict[str, int] = {}
    for result in answer.results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    for status, n in counts.items():
        svc.metrics.push_operations(status, n)
    return Response(pack(encode_push_response(answer)), media_type=MSGPACK)


async def pull(request: Request) -> Response:
    svc = services(request)
    who = await principal(request)  # web or app
    raw = await read_msgpack_bytes(request, svc.config.max_json_bytes)
    pull_request = decode_pull_request(unpack(raw, MalformedPullError))
    answer = await blocking(svc.remote.pull, who.user_id, pull_request)
    return Response(pack(encode_pull_response(answer)), media_type=MSGPACK)


routes = [
    Route("/v1/sync/manifest", manifest, methods=["POST"]),
    Route("/v1/remote/push", push, methods=["POST"]),
    Route("/v1/remote/pull", pull, methods=["POST"]),
]
