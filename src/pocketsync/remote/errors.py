"""Errors of the remote-state concern (cart, favourites, settings sync).

Every class derives from :class:`pocketsync.errors.RemoteStateError` and carries a stable
``code`` and an HTTP ``status_hint`` for adapters. Raising any of them from the server store
means the stored state was left unchanged (the transaction was rolled back).
"""

from __future__ import annotations

from pocketsync.errors import RemoteStateError

__all__ = [
    "ClientOwnerMismatchError",
    "ClockSkewError",
    "MalformedPullError",
    "MalformedPushError",
    "MalformedResponseError",
    "SequenceGapError",
    "UnknownOperationError",
    "WrongAccountError",
]


class MalformedPushError(RemoteStateError):
    """A push request did not decode or failed validation; nothing was applied."""

    code = "malformed_push"
    status_hint = 400


class UnknownOperationError(MalformedPushError):
    """A push carried an operation name this version does not know; nothing was applied."""

    code = "unknown_operation"
    status_hint = 400


class MalformedPullError(RemoteStateError):
    """A pull request did not decode or failed validation."""

    code = "malformed_pull"
    status_hint = 400


class MalformedResponseError(RemoteStateError):
    """A push or pull response from the server did not decode; the client store is unchanged."""

    code = "malformed_response"
    status_hint = 502


class SequenceGapError(RemoteStateError):
    """A push skipped sequence numbers; the server answers with the last sequence it applied.

    ``last_seq`` tells the client where to resume (it resends from ``last_seq + 1``).
    Nothing from the refused push was applied.
    """

    code = "sequence_gap"
    status_hint = 409

    def __init__(self, message: str, *, last_seq: int) -> None:
        super().__init__(message)
        self.last_seq = last_seq


class ClientOwnerMismatchError(RemoteStateError):
    """A client id registered for one owner was used for another; nothing was applied."""

    code = "client_owner_mismatch"
    status_hint = 403


class ClockSkewError(RemoteStateError):
    """A hybrid-logical-clock reading ran further ahead of the local clock than allowed."""

    code = "clock_skew"
    status_hint = 400


class WrongAccountError(RemoteStateError):
    """A client store file belongs to a different account than the one asked for."""

    code = "wrong_account"
    status_hint = 403
