"""Why the client SDK could not do what was asked.

Network trouble and unusable answers derive from :class:`pocketsync.errors.TransportError`;
refusals about the account or session derive from :class:`pocketsync.errors.AccountError`.
Apps switch on the class (or on ``code``): :class:`ServerUnreachableError` means "offline,
keep working from the local copy"; :class:`LoginRequiredError` and its subclasses mean "show
the login screen"; :class:`AccountDeletedError` means the SDK already wiped the account's data.

``server_code`` is the stable ``code`` of the server's JSON error body when there was one.
Messages never contain a password or a token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pocketsync.errors import AccountError, ConfigurationError, RemoteStateError, TransportError

__all__ = [
    "AccountDeletedError",
    "ChunkDownloadError",
    "CredentialsChangedError",
    "InvalidEditError",
    "InvalidPinnedKeyError",
    "LoginFailedError",
    "LoginRequiredError",
    "NotLoggedInError",
    "PasswordChangeRequiredError",
    "PasswordRejectedError",
    "ProtocolError",
    "RequestRejectedError",
    "ServerFailureError",
    "ServerUnreachableError",
    "ThrottledError",
    "TradeAccountsOnlyError",
]


class _ServerAnswer:
    """Mixin: remembers the server's error code and HTTP status, when there was an answer."""

    server_code: str | None
    http_status: int | None

    def _remember(self, server_code: str | None, http_status: int | None) -> None:
        self.server_code = server_code
        self.http_status = http_status


# -- transport ------------------------------------------------------------------------------


class ServerUnreachableError(TransportError):
    """No answer from the server after the retries (connection refused, timeout, dropped).

    The device is offline as far as the SDK can tell; local reads and queued edits keep
    working.
    """

    code = "server_unreachable"
    status_hint = 503


class ServerFailureError(_ServerAnswer, TransportError):
    """The server kept answering 5xx (or 429 on a sync endpoint) after the retries."""

    code = "server_failure"
    status_hint = 502

    def __init__(self, message: str, *, server_code: str | None, http_status: int) -> None:
        super().__init__(message)
        self._remember(server_code, http_status)


class ProtocolError(TransportError):
    """The server's answer could not be used (wrong content type, undecodable body)."""

    code = "protocol_error"
    status_hint = 502


class RequestRejectedError(_ServerAnswer, TransportError):
    """The server refused a request with a 4xx the SDK has no specific class for.

    ``details`` holds the error body's extra fields (e.g. ``last_seq`` of a sequence gap).
    """

    code = "request_rejected"
    status_hint = 400

    def __init__(
        self,
        message: str,
        *,
        server_code: str | None,
        http_status: int,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self._remember(server_code, http_status)
        self.details: Mapping[str, Any] = dict(details or {})


class ChunkDownloadError(TransportError):
    """A chunk's bytes did not match the signed manifest even after downloading it again."""

    code = "chunk_download_failed"
    status_hint = 502


# -- account and session --------------------------------------------------------------------


class NotLoggedInError(AccountError):
    """The call needs a logged-in account and there is none on this device."""

    code = "not_logged_in"
    status_hint = 401


class LoginRequiredError(_ServerAnswer, AccountError):
    """The server ended the session (logout elsewhere, an administrator, an expired refresh
    token, a disabled account): log in again. The outbox is kept for this account."""

    code = "login_required"
    status_hint = 401

    def __init__(self, message: str, *, server_code: str | None = None) -> None:
        super().__init__(message)
        self._remember(server_code, 401)


class CredentialsChangedError(LoginRequiredError):
    """The password was changed elsewhere: sync stopped, the outbox is kept; log in again."""

    code = "credentials_changed"


class AccountDeletedError(AccountError):
    """The account was deleted on the server; the SDK wiped everything of it on this device."""

    code = "account_deleted"
    status_hint = 401


class LoginFailedError(AccountError):
    """Wrong login name or password (or an account that may not log in; the server does
    not say which)."""

    code = "login_failed"
    status_hint = 401


class TradeAccountsOnlyError(AccountError):
    """The app is for trade (B2B) accounts; this account is a consumer (B2C) account."""

    code = "trade_accounts_only"
    status_hint = 403


class ThrottledError(AccountError):
    """Too many failed attempts; ``retry_after_s`` says how long to wait."""

    code = "throttled"
    status_hint = 429

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PasswordChangeRequiredError(AccountError):
    """An administrator set the password: call ``change_password`` before syncing."""

    code = "password_change_required"
    status_hint = 403


class PasswordRejectedError(_ServerAnswer, AccountError):
    """A password change was refused: wrong current password or a policy rule (the message
    says which; ``server_code`` is ``current_password_wrong`` or ``password_policy``)."""

    code = "password_rejected"
    status_hint = 400

    def __init__(self, message: str, *, server_code: str | None) -> None:
        super().__init__(message)
        self._remember(server_code, 400)


# -- local edits ----------------------------------------------------------------------------


class InvalidEditError(RemoteStateError):
    """A cart, favourites or settings edit had an invalid argument (quantity out of range,
    empty SKU, a setting key of the wrong shape); nothing was queued."""

    code = "invalid_edit"
    status_hint = 400


# -- configuration --------------------------------------------------------------------------


class InvalidPinnedKeyError(ConfigurationError):
    """A pinned public key is not 32 bytes (64 hex characters) of Ed25519."""

    code = "invalid_pinned_key"
