"""Chunk downloads: ``GET /v1/chunks/{sha256 hex}`` with ETag, caching and Range.

A chunk's address is the SHA-256 of its bytes, so its URL is immutable: ``ETag`` is the
address, ``Cache-Control`` says ``immutable`` for a year, ``public`` for shared-catalog
chunks and ``private`` for price chunks (a price list is per customer group). A price
chunk is only served to sessions whose price list it belongs to; for anyone else it
does not exist (404, the same answer as an unknown address).

``Range: bytes=N-`` / ``bytes=N-M`` / ``bytes=-N`` answers 206 with ``Content-Range`` so
an interrupted download resumes; a range starting past the end is 416. ``If-None-Match``
with the address answers 304 (counted as a chunk cache hit).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server_ref.auth import blocking, principal, services
from server_ref.errors import error_response

__all__ = ["parse_range", "routes"]

_ADDRESS = re.compile(r"[0-9a-f]{64}")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
YEAR = 31_536_000


def parse_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """The inclusive byte range ``header`` asks for within ``size`` bytes.

    Returns None to serve the whole body (no header, a malformed one, or several
    ranges: RFC 9110 lets a server ignore those), False when unsatisfiable, else
    ``(first, last)``.
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # suffix: the last N bytes
        n = int(last_text)
        if n == 0:
            return False
        return (max(0, size - n), size - 1) if size else False
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        return False
    return first, min(last, size - 1)


def _etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    if header.strip() == "*":
        return True
    tags = (t.strip().removeprefix("W/") for t in header.split(","))
    return etag in tags


async def get_chunk(request: Request) -> Response:
    svc = services(request)
    address = str(request.path_params["address"])
    who = await principal(request, channel="app")
    if not _ADDRESS.fullmatch(address):
        return error_response(404, "chunk_not_found", "No chunk has this address.")
    access = await blocking(svc.catalog.chunk_visibility, address, who.price_list_id)
    if access is None:
        return error_response(404, "chunk_not_found", "No chunk has this address.")
    visibility = "public" if access == "shared" else "private"
    etag = f'"{address}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"{visibility}, max-age={YEAR}, immutable",
        "Accept-Ranges": "bytes",
    }
    if _etag_matches(request.headers.get("if-none-match"), etag):
        svc.metrics.chunk_cache_hit()
        return Response(status_code=304, headers=headers)
    data = await blocking(svc.catalog.chunk, address)
    if data is None:
        return error_response(404, "chunk_not_found", "No chunk has this address.")
    wanted = parse_range(request.headers.get("range"), len(data))
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        wanted = None
    if wanted is False:
        headers["Content-Range"] = f"bytes */{len(data)}"
        return error_response(
            416, "range_not_satisfiable", f"The chunk has {len(data)} bytes.", headers=headers
        )
    media = "application/octet-stream"
    if isinstance(wanted, tuple):
        first, last = wanted
        headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
        body = data[first : last + 1]
        status = 206
    else:
        body, status = data, 200
    if request.method != "HEAD":
        svc.metrics.bundle_bytes("chunk", len(body))
    return Response(body, status_code=status, headers=headers, media_type=media)


routes = [Route("/v1/chunks/{address}", get_chunk, methods=["GET"])]
