"""Wire form of the protocol messages: msgpack-friendly values and bytes.

Values are ints, str, bytes, bool, None, lists and dicts with str keys; never floats; time is
UTC milliseconds. Every ``decode_*`` validates every field and raises a specific error
(:class:`MalformedPushError`, :class:`UnknownOperationError`, :class:`MalformedPullError`,
:class:`MalformedResponseError`); :func:`unpack` applies msgpack size limits first.

Push request::

    {"v": 1, "t": "push", "client": <16 bytes>,
     "ops": [{"seq": int, "hlc": [wall_ms, counter], "seen": int, "op": "set_qty",
              "sku": str, "unit": str, "qty": int}, ...]}

Push response::

    {"v": 1, "t": "push_ok", "last_seq": int, "hlc": [wall_ms, counter],
     "results": [[seq, status, code | None, {str: int | str}], ...]}

Pull request / response::

    {"v": 1, "t": "pull", "client": <16 bytes>, "cookie": int | None, "min_seen": int | None}
    {"v": 1, "t": "pull_ok", "cookie": int, "base_cookie": int | None, "last_seq": int,
     "reset": bool, "hlc": [wall_ms, counter], "lines": [[sku, unit, qty, note], ...],
     "lines_removed": [[sku, unit], ...], "favs": [[sku, rank], ...], "favs_removed": [sku],
     "settings": [[key, value], ...], "settings_removed": [key], "unavailable": [sku]}
"""

from __future__ import annotations

import itertools
from typing import Any, Final

import msgpack

from pocketsync.remote.errors import (
    MalformedPullError,
    MalformedPushError,
    MalformedResponseError,
    UnknownOperationError,
)
from pocketsync.remote.hlc import Hlc
from pocketsync.remote.messages import (
    CLIENT_ID_LEN,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from pocketsync.remote.ops import (
    AddLine,
    AddQty,
    Envelope,
    FavAdd,
    FavMove,
    FavRemove,
    Op,
    OpResult,
    OpStatus,
    RemoveLine,
    SetNote,
    SetQty,
    SettingDelete,
    SettingPut,
)
from pocketsync.remote.state import FavView, LineView

__all__ = [
    "MAX_OPS_PER_PUSH",
    "OP_NAMES",
    "WIRE_VERSION",
    "decode_op",
    "decode_pull_request",
    "decode_pull_response",
    "decode_push_request",
    "decode_push_response",
    "encode_op",
    "encode_pull_request",
    "encode_pull_response",
    "encode_push_request",
    "encode_push_response",
    "pack",
    "unpack",
]

WIRE_VERSION: Final = 1
MAX_OPS_PER_PUSH: Final = 10_000
MAX_MESSAGE_BYTES: Final = 16 * 1024 * 1024

# name -> (class, fields in wire order)
_OPS: Final[dict[str, tuple[type[Any], tuple[str, ...]]]] = {
    "add_line": (AddLine, ("sku", "unit", "qty", "note")),
    "add_qty": (AddQty, ("sku", "unit", "delta")),
    "set_qty": (SetQty, ("sku", "unit", "qty")),
    "remove_line": (RemoveLine, ("sku", "unit")),
    "set_note": (SetNote, ("sku", "unit", "note")),
    "fav_add": (FavAdd, ("sku", "rank")),
    "fav_remove": (FavRemove, ("sku",)),
    "fav_move": (FavMove, ("sku", "rank")),
    "setting_put": (SettingPut, ("key", "value")),
    "setting_delete": (SettingDelete, ("key",)),
}
_NAMES: Final = {cls: (name, fields) for name, (cls, fields) in _OPS.items()}
OP_NAMES: Final = tuple(sorted(_OPS))
_ENVELOPE_KEYS: Final = frozenset({"seq", "hlc", "seen", "op"})
_STATUSES: Final = {s.value: s for s in OpStatus}


def pack(message: dict[str, Any]) -> bytes:
    """Serialise an encoded message to msgpack bytes."""
    return msgpack.packb(message, use_bin_type=True)


def unpack(data: bytes, error: type[Exception] = MalformedPushError) -> object:
    """Parse msgpack bytes from the network under size limits; raise ``error`` on bad input."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise error(f"message larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        return msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            max_array_len=MAX_OPS_PER_PUSH * 2,
            max_map_len=MAX_OPS_PER_PUSH * 2,
        )
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise error(f"not valid msgpack: {exc}") from exc


# -- small validators -------------------------------------------------------------------------


def _map(
    obj: object, keys: frozenset[str] | set[str], what: str, error: type[Exception]
) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise error(f"{what} must be a map")
    if set(obj) != keys:
        raise error(f"{what} fields must be {sorted(keys)}, got {sorted(map(str, obj))}")
    return obj


def _header(obj: object, kind: str, keys: set[str], error: type[Exception]) -> dict[str, Any]:
    msg = _map(obj, {"v", "t", *keys}, kind, error)
    if msg["v"] != WIRE_VERSION or type(msg["v"]) is not int:
        raise error(f"unsupported wire version {msg['v']!r}")
    if msg["t"] != kind:
        raise error(f"expected a {kind!r} message, got {msg['t']!r}")
    return msg


def _int(value: object, what: str, error: type[Exception], *, optional: bool = False) -> Any:
    if optional and value is None:
        return None
    if type(value) is not int or not 0 <= value < 2**63:
        raise error(f"{what} must be a non-negative integer")
    return value


def _list(
    value: object, what: str, error: type[Exception], limit: int = MAX_OPS_PER_PUSH
) -> list[Any]:
    if not isinstance(value, list) or len(value) > limit:
        raise error(f"{what} must be a list of at most {limit} items")
    return value


def _hlc(value: object, error: type[Exception]) -> Hlc:
    items = _list(value, "hlc", error, 2)
    if len(items) != 2 or any(type(x) is not int for x in items):
        raise error("hlc must be [wall_ms, counter]")
    try:
        return Hlc(items[0], items[1])
    except ValueError as exc:
        raise error(str(exc)) from exc


def _client(value: object, error: type[Exception]) -> bytes:
    if not isinstance(value, bytes) or len(value) != CLIENT_ID_LEN:
        raise error(f"client must be {CLIENT_ID_LEN} bytes")
    return value


def _str(value: object, what: str, error: type[Exception]) -> str:
    if not isinstance(value, str):
        raise error(f"{what} must be a string")
    return value


# -- operations -------------------------------------------------------------------------------


def encode_op(env: Envelope) -> dict[str, Any]:
    """The wire map of one queued operation."""
    name, fields = _NAMES[type(env.op)]
    out: dict[str, Any] = {
        "seq": env.seq,
        "hlc": [env.hlc.wall_ms, env.hlc.counter],
        "seen": env.seen,
        "op": name,
    }
    for f in fields:
        out[f] = getattr(env.op, f)
    return out


def decode_op(obj: object) -> Envelope:
    """Validate and decode one operation map.

    Raises:
        UnknownOperationError: the ``op`` name is not one this version knows.
        MalformedPushError: a field is missing, extra, of the wrong type or out of range.
    """
    if not isinstance(obj, dict):
        raise MalformedPushError("operation must be a map")
    name = obj.get("op")
    if not isinstance(name, str) or name not in _OPS:
        raise UnknownOperationError(f"unknown operation {str(name)[:40]!r}")
    cls, fields = _OPS[name]
    _map(obj, _ENVELOPE_KEYS | set(fields), f"operation {name}", MalformedPushError)
    try:
        op: Op = cls(*(obj[f] for f in fields))
        return Envelope(
            _int(obj["seq"], "seq", MalformedPushError),
            _hlc(obj["hlc"], MalformedPushError),
            _int(obj["seen"], "seen", MalformedPushError),
            op,
        )
    except ValueError as exc:
        raise MalformedPushError(f"operation {name}: {exc}") from exc


# -- push -------------------------------------------------------------------------------------


def encode_push_request(req: PushRequest) -> dict[str, Any]:
    """The wire map of a push request."""
    return {
        "v": WIRE_VERSION,
        "t": "push",
        "client": req.client_id,
        "ops": [encode_op(e) for e in req.ops],
    }


def decode_push_request(obj: object) -> PushRequest:
    """Validate and decode a push request.

    Raises:
        MalformedPushError: bad shape or field, empty, too many operations, or sequence
            numbers that are not consecutive (``n, n+1, ...``).
        UnknownOperationError: an operation name is unknown.
    """
    msg = _header(obj, "push", {"client", "ops"}, MalformedPushError)
    client = _client(msg["client"], MalformedPushError)
    raw_ops = _list(msg["ops"], "ops", MalformedPushError)
    if not raw_ops:
        raise MalformedPushError("a push must carry at least one operation")
    ops = tuple(decode_op(o) for o in raw_ops)
    for prev, nxt in itertools.pairwise(ops):
        if nxt.seq != prev.seq + 1:
            raise MalformedPushError(
                f"sequence numbers must be consecutive: {prev.seq} then {nxt.seq}"
            )
    return PushRequest(client, ops)


def encode_push_response(resp: PushResponse) -> dict[str, Any]:
    """The wire map of a push response."""
    return {
        "v": WIRE_VERSION,
        "t": "push_ok",
        "last_seq": resp.last_seq,
        "hlc": [resp.server_hlc.wall_ms, resp.server_hlc.counter],
        "results": [[r.seq, r.status.value, r.code, dict(r.detail)] for r in resp.results],
    }


def _result(raw: object) -> OpResult:
    err = MalformedResponseError
    item = _list(raw, "result", err, 4)
    if len(item) != 4:
        raise err("result must be [seq, status, code, detail]")
    seq, status, code, detail = item
    if status not in _STATUSES:
        raise err(f"unknown result status {status!r}")
    if code is not None:
        _str(code, "result code", err)
    if not isinstance(detail, dict) or any(
        not isinstance(v, int | str) or isinstance(v, bool) for v in detail.values()
    ):
        raise err("result detail must map strings to ints or strings")
    return OpResult(_int(seq, "seq", err), _STATUSES[status], code, detail)


def decode_push_response(obj: object) -> PushResponse:
    """Validate and decode a push response. Raises :class:`MalformedResponseError`."""
    err = MalformedResponseError
    msg = _header(obj, "push_ok", {"last_seq", "hlc", "results"}, err)
    results = tuple(_result(r) for r in _list(msg["results"], "results", err))
    return PushResponse(_int(msg["last_seq"], "last_seq", err), _hlc(msg["hlc"], err), results)


# -- pull -------------------------------------------------------------------------------------


def encode_pull_request(req: PullRequest) -> dict[str, Any]:
    """The wire map of a pull request."""
    return {
        "v": WIRE_VERSION,
        "t": "pull",
        "client": req.client_id,
        "cookie": req.cookie,
        "min_seen": req.min_seen,
    }


def decode_pull_request(obj: object) -> PullRequest:
    """Validate and decode a pull request. Raises :class:`MalformedPullError`."""
    err = MalformedPullError
    msg = _header(obj, "pull", {"client", "cookie", "min_seen"}, err)
    return PullRequest(
        _client(msg["client"], err),
        _int(msg["cookie"], "cookie", err, optional=True),
        _int(msg["min_seen"], "min_seen", err, optional=True),
    )


def encode_pull_response(resp: PullResponse) -> dict[str, Any]:
    """The wire map of a pull response."""
    return {
        "v": WIRE_VERSION,
        "t": "pull_ok",
        "cookie": resp.cookie,
        "base_cookie": resp.base_cookie,
        "last_seq": resp.last_seq,
        "reset": resp.reset,
        "hlc": [resp.server_hlc.wall_ms, resp.server_hlc.counter],
        "lines": [[x.sku, x.unit, x.qty, x.note] for x in resp.lines],
        "lines_removed": [list(k) for k in resp.lines_removed],
        "favs": [[f.sku, f.rank] for f in resp.favourites],
        "favs_removed": list(resp.favourites_removed),
        "settings": [[k, v] for k, v in resp.settings.items()],
        "settings_removed": list(resp.settings_removed),
        "unavailable": list(resp.unavailable),
    }


_PULL_KEYS: Final = {
    "cookie", "base_cookie", "last_seq", "reset", "hlc", "lines", "lines_removed", "favs",
    "favs_removed", "settings", "settings_removed", "unavailable",
}  # fmt: skip


def _rows(value: object, width: int, what: str) -> list[list[Any]]:
    rows = _list(value, what, MalformedResponseError, 1_000_000)
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            raise MalformedResponseError(f"{what} entries must have {width} items")
    return rows


def _strs(value: object, what: str) -> tuple[str, ...]:
    return tuple(
        _str(x, what, MalformedResponseError)
        for x in _list(value, what, MalformedResponseError, 1_000_000)
    )


def decode_pull_response(obj: object) -> PullResponse:
    """Validate and decode a pull response. Raises :class:`MalformedResponseError`."""
    err = MalformedResponseError
    msg = _header(obj, "pull_ok", _PULL_KEYS, err)
    if not isinstance(msg["reset"], bool):
        raise err("reset must be a boolean")
    try:
        lines = tuple(_line(r) for r in _rows(msg["lines"], 4, "lines"))
        removed = tuple(
            (_str(r[0], "sku", err), _str(r[1], "unit", err))
            for r in _rows(msg["lines_removed"], 2, "lines_removed")
        )
        favs = tuple(FavAdd(r[0], r[1]) for r in _rows(msg["favs"], 2, "favs"))
        settings = {SettingPut(r[0], r[1]).key: r[1] for r in _rows(msg["settings"], 2, "settings")}
    except ValueError as exc:
        raise err(str(exc)) from exc
    return PullResponse(
        cookie=_int(msg["cookie"], "cookie", err),
        base_cookie=_int(msg["base_cookie"], "base_cookie", err, optional=True),
        last_seq=_int(msg["last_seq"], "last_seq", err),
        reset=msg["reset"],
        server_hlc=_hlc(msg["hlc"], err),
        lines=lines,
        lines_removed=removed,
        favourites=tuple(FavView(f.sku, f.rank) for f in favs),
        favourites_removed=_strs(msg["favs_removed"], "favs_removed"),
        settings=settings,
        settings_removed=_strs(msg["settings_removed"], "settings_removed"),
        unavailable=_strs(msg["unavailable"], "unavailable"),
    )


def _line(row: list[Any]) -> LineView:
    # Reuse the operation validators: a line on the wire obeys the same limits as set_qty.
    checked = SetNote(row[0], row[1], row[3])
    if type(row[2]) is not int or row[2] < 1:
        raise ValueError("line qty must be a positive integer")
    return LineView(checked.sku, checked.unit, row[2], checked.note)
