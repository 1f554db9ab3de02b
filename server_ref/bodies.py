"""Reading request bodies: size limits enforced while streaming, then strict parsing.

A body larger than the endpoint's limit is refused as soon as the limit is passed (or up
front when ``Content-Length`` already says so), so a client cannot make the server buffer
more than the limit. JSON and msgpack decoding failures become
:class:`~server_ref.errors.MalformedBody`; a wrong ``Content-Type`` is 415.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgpack
from starlette.requests import Request

from server_ref.errors import BodyTooLarge, InvalidField, MalformedBody, UnsupportedMediaType

__all__ = [
    "MSGPACK_TYPES",
    "opt_bool",
    "opt_int",
    "opt_str",
    "query_int",
    "read_body",
    "read_json",
    "read_msgpack_bytes",
    "req_str",
    "unpack_msgpack",
]

MSGPACK_TYPES = frozenset(
    {"application/msgpack", "application/x-msgpack", "application/vnd.msgpack"}
)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing it with 413 once it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise MalformedBody("Content-Length is not a number.") from None
        if size > limit:
            raise BodyTooLarge(f"The body is {size} bytes; this endpoint takes at most {limit}.")
    parts: list[bytes] = []
    total = 0
    async for part in request.stream():
        total += len(part)
        if total > limit:
            raise BodyTooLarge(f"The body exceeds {limit} bytes, the limit of this endpoint.")
        parts.append(part)
    return b"".join(parts)


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """A JSON object body (``Content-Type: application/json``) of at most ``limit`` bytes."""
    media = _media_type(request)
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType("This endpoint takes application/json.")
    raw = await read_body(request, limit)
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise MalformedBody("The body is not valid UTF-8 JSON.") from None
    if not isinstance(value, dict):
        raise MalformedBody("The body must be a JSON object.")
    return value


async def read_msgpack_bytes(request: Request, limit: int) -> bytes:
    """The raw bytes of a msgpack body (``Content-Type: application/msgpack``)."""
    if _media_type(request) not in MSGPACK_TYPES:
        raise UnsupportedMediaType("This endpoint takes application/msgpack.")
    return await read_body(request, limit)


def unpack_msgpack(raw: bytes, *, max_items: int = 10_000, max_len: int = 1 << 20) -> Any:
    """Decode untrusted msgpack under hard limits (no ext types, no trailing bytes)."""
    try:
        return msgpack.unpackb(
            raw,
            raw=False,
            strict_map_key=True,
            max_str_len=max_len,
            max_bin_len=max_len,
            max_array_len=max_items,
            max_map_len=max_items,
            max_ext_len=0,
        )
    except Exception:  # msgpack raises many types for hostile input; all mean the same
        raise MalformedBody("The body is not valid msgpack.") from None


def req_str(body: Mapping[str, Any], name: str, *, max_len: int = 1000) -> str:
    """A required string field of at most ``max_len`` characters."""
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidField(f"Field {name!r} is required and must be a string.")
    if len(value) > max_len:
        raise InvalidField(f"Field {name!r} is longer than {max_len} characters.")
    return value


def opt_str(body: Mapping[str, Any], name: str, *, max_len: int = 1000) -> str | None:
    """An optional string field (absent or null gives None)."""
    if body.get(name) is None:
        return None
    return req_str(body, name, max_len=max_len)


def opt_bool(body: Mapping[str, Any], name: str, default: bool = False) -> bool:
    """An optional boolean field."""
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise InvalidField(f"Field {name!r} must be true or false.")
    return value


def opt_int(body: Mapping[str, Any], name: str, default: int, *, low: int, high: int) -> int:
    """An optional integer field within ``[low, high]``."""
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidField(f"Field {name!r} must be an integer from {low} to {high}.")
    return value


def query_int(request: Request, name: str, default: int, *, low: int, high: int) -> int:
    """An optional integer query parameter within ``[low, high]``."""
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidField(f"Query parameter {name!r} must be an integer.") from None
    if not low <= value <= high:
        raise InvalidField(f"Query parameter {name!r} must be from {low} to {high}.")
    return value
