"""Remote-state sync: push the outbox, pull the merged cart, favourites and settings.

The protocol is sans-I/O in :class:`pocketsync.remote.RemoteStateClient`; this module only
moves its messages over HTTP. A push is safe to repeat (the server keeps each client's
high-water mark in the same transaction as the state change), so pushes are retried like
any idempotent request; a ``sequence_gap`` answer is handed to the store, which resends or
renumbers as ``docs/merge.md`` describes.
"""

from __future__ import annotations

from dataclasses import dataclass

from pocketsync.client.errors import ProtocolError, RequestRejectedError
from pocketsync.client.session import Authenticator
from pocketsync.client.transport import MSGPACK
from pocketsync.remote import (
    OpResult,
    RemoteStateClient,
    decode_pull_response,
    decode_push_response,
    encode_pull_request,
    encode_push_request,
    pack,
    unpack,
)
from pocketsync.remote.errors import MalformedResponseError

__all__ = ["RemoteSync", "RemoteSyncResult"]

# Bounds so a confused server cannot keep the client looping forever.
_MAX_PUSH_ROUNDS = 1_000
_MAX_GAP_RETRIES = 3
_MAX_PULL_ROUNDS = 5


@dataclass(frozen=True, slots=True)
class RemoteSyncResult:
    """What a remote sync did: operations pushed, per-operation results, whether a pull
    changed the local view, and how many operations are still unacknowledged."""

    pushed: int
    results: tuple[OpResult, ...]
    pulled: bool
    pending: int


class RemoteSync:
    """Moves one account's remote-state messages over the authenticated session."""

    def __init__(self, auth: Authenticator) -> None:
        self._auth = auth

    def push(self, state: RemoteStateClient) -> tuple[int, tuple[OpResult, ...]]:
        """Send every unacknowledged operation; return (count sent, results).

        Raises:
            ServerUnreachableError and the other transport/session errors of
                ``Authenticator.call``; the unsent operations stay queued.
            ProtocolError: the server's answer did not decode.
        """
        sent = 0
        results: list[OpResult] = []
        gaps = 0
        for _ in range(_MAX_PUSH_ROUNDS):
            request = state.build_push()
            if request is None:
                break
            try:
                response = self._auth.call(
                    "POST",
                    "/v1/remote/push",
                    content=pack(encode_push_request(request)),
                    content_type=MSGPACK,
                )
            except RequestRejectedError as exc:
                last_seq = exc.details.get("last_seq")
                if exc.server_code != "sequence_gap" or not isinstance(last_seq, int):
                    raise
                gaps += 1
                if gaps > _MAX_GAP_RETRIES:
                    raise
                state.handle_sequence_gap(last_seq)
                continue
            try:
                answer = decode_push_response(unpack(response.content, MalformedResponseError))
                results.extend(state.apply_push_response(answer))
            except MalformedResponseError as exc:
                raise ProtocolError(f"unusable push answer: {exc}") from exc
            sent += len(request.ops)
        return sent, tuple(results)

    def pull(self, state: RemoteStateClient) -> bool:
        """Fetch what changed on the server and rebase the queued operations on it.

        Returns whether the local view was updated.

        Raises:
            As :meth:`push`.
        """
        for _ in range(_MAX_PULL_ROUNDS):
            request = state.build_pull()
            response = self._auth.call(
                "POST",
                "/v1/remote/pull",
                content=pack(encode_pull_request(request)),
                content_type=MSGPACK,
            )
            try:
                answer = decode_pull_response(unpack(response.content, MalformedResponseError))
                applied = state.apply_pull_response(answer)
            except MalformedResponseError as exc:
                raise ProtocolError(f"unusable pull answer: {exc}") from exc
            if applied:
                return True
            # A stale answer (an older cookie than ours): ask again from where we are.
        return False

    def sync(self, state: RemoteStateClient) -> RemoteSyncResult:
        """Push, then pull (so the pull already contains this device's operations)."""
        sent, results = self.push(state)
        pulled = self.pull(state)
        return RemoteSyncResult(sent, results, pulled, len(state.pending()))
