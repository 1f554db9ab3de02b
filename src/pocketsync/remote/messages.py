"""Protocol messages: push and pull requests and responses, as frozen values.

Their wire form (msgpack-friendly dicts and lists) is in :mod:`pocketsync.remote.wire`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pocketsync.remote.hlc import Hlc
from pocketsync.remote.ops import Envelope, OpResult, SettingValue
from pocketsync.remote.state import FavView, LineView

__all__ = ["CLIENT_ID_LEN", "PullRequest", "PullResponse", "PushRequest", "PushResponse"]

CLIENT_ID_LEN = 16


@dataclass(frozen=True, slots=True)
class PushRequest:
    """A client's queued operations, in sequence order with no gaps."""

    client_id: bytes
    ops: tuple[Envelope, ...]


@dataclass(frozen=True, slots=True)
class PushResponse:
    """The server's answer to a push.

    ``last_seq`` is the client's high-water mark after the push (every operation up to it is
    applied, exactly once); ``results`` has one entry per operation of the request, including
    retried ones; ``server_hlc`` is at or above every stamp the server stores.
    """

    last_seq: int
    server_hlc: Hlc
    results: tuple[OpResult, ...] = ()


@dataclass(frozen=True, slots=True)
class PullRequest:
    """Ask for what changed since ``cookie`` (None: everything).

    ``min_seen`` is the smallest ``seen`` among the client's unacknowledged operations (None
    when it has none); the server keeps the metadata those operations may still need.
    """

    client_id: bytes
    cookie: int | None
    min_seen: int | None = None


@dataclass(frozen=True, slots=True)
class PullResponse:
    """State changes since ``base_cookie`` (the request's cookie), or all of it when ``reset``.

    ``cookie`` is the server version this answer brings the client to; ``last_seq`` the
    client's high-water mark at that version (its operations up to it are included).
    ``unavailable`` lists every sku in the cart or favourites the catalog does not sell now.
    """

    cookie: int
    base_cookie: int | None
    last_seq: int
    reset: bool
    server_hlc: Hlc
    lines: tuple[LineView, ...] = ()
    lines_removed: tuple[tuple[str, str], ...] = ()
    favourites: tuple[FavView, ...] = ()
    favourites_removed: tuple[str, ...] = ()
    settings: Mapping[str, SettingValue] = field(default_factory=dict)
    settings_removed: tuple[str, ...] = ()
    unavailable: tuple[str, ...] = ()
