"""Helpers for remote-state tests: a pure replica driver and client/server sync over bytes."""

from __future__ import annotations

import itertools
from pathlib import Path

from pocketsync.clock import FixedClock
from pocketsync.remote import (
    DEFAULT_SETTINGS,
    DictProductRules,
    Envelope,
    Hlc,
    MalformedResponseError,
    Op,
    OpResult,
    ProductRule,
    PullResponse,
    PushResponse,
    RemoteStateClient,
    RemoteStateServer,
    Replica,
    SequenceGapError,
    wire,
)

SKUS = ("A", "B", "C", "D")


def make_rules() -> DictProductRules:
    rules = DictProductRules()
    for sku in SKUS:
        rules.put(ProductRule(sku))
    return rules


class Device:
    """Drives a pure :class:`Replica` as one client would (for rule unit tests)."""

    _ids = itertools.count(1)

    def __init__(self, replica: Replica, clock: FixedClock, name: bytes | None = None) -> None:
        self.replica = replica
        self.clock = clock
        self.id = name or next(self._ids).to_bytes(16, "big")
        self.seq = 0

    def op(self, op: Op, *, seen: int | None = None, hlc: Hlc | None = None) -> OpResult:
        """Apply ``op`` with context ``seen`` (default: everything so far)."""
        self.seq += 1
        self.clock.advance(1)
        env = Envelope(
            self.seq,
            hlc or Hlc(self.clock.ms, 0),
            self.replica.version if seen is None else seen,
            op,
        )
        return self.replica.apply(env, self.id, make_rules().rules)


def new_replica(clock: FixedClock, horizon: int = 0) -> Replica:
    return Replica(clock=clock, registry=DEFAULT_SETTINGS, horizon=horizon)


def push(client: RemoteStateClient, server: RemoteStateServer, owner: str) -> PushResponse | None:
    """One push over the wire (bytes both ways); handles a sequence gap like the SDK."""
    req = client.build_push()
    if req is None:
        return None
    data = wire.pack(wire.encode_push_request(req))
    try:
        resp = server.push(owner, wire.decode_push_request(wire.unpack(data)))
    except SequenceGapError as exc:
        client.handle_sequence_gap(exc.last_seq)
        return None
    back = wire.pack(wire.encode_push_response(resp))
    decoded = wire.decode_push_response(wire.unpack(back, MalformedResponseError))
    client.apply_push_response(decoded)
    return decoded


def pull(client: RemoteStateClient, server: RemoteStateServer, owner: str) -> PullResponse:
    req = wire.decode_pull_request(
        wire.unpack(wire.pack(wire.encode_pull_request(client.build_pull())))
    )
    resp = server.pull(owner, req)
    back = wire.pack(wire.encode_pull_response(resp))
    decoded = wire.decode_pull_response(wire.unpack(back, MalformedResponseError))
    client.apply_pull_response(decoded)
    return decoded


def sync(client: RemoteStateClient, server: RemoteStateServer, owner: str) -> None:
    """Push everything, then pull: afterwards the client shows the server state."""
    for _ in range(100):
        if push(client, server, owner) is None and not client.pending():
            break
    pull(client, server, owner)


def open_client(folder: Path, account: str, clock: FixedClock, seed: int) -> RemoteStateClient:
    counter = itertools.count(seed * 1_000_000)
    return RemoteStateClient.open(
        folder, account, clock, lambda n: next(counter).to_bytes(n, "big")
    )
