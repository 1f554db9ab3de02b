"""Errors raised by :mod:`pocketsync.accounts`.

Every class derives from :class:`pocketsync.errors.AccountError` and sets a stable
``code`` (apps switch on it) and an HTTP ``status_hint``. Messages are fixed strings
chosen here: no message ever contains a password, token, reset code or login name, so an
adapter may show or log ``str(error)`` as it is.

Login failures for an unknown user, a wrong password and a disabled, deleted or locked
account all raise :class:`LoginFailed` with one message and code, so callers cannot tell
them apart (no account enumeration).
"""

from __future__ import annotations

from typing import ClassVar

from pocketsync.errors import AccountError

__all__ = [
    "AccountDeleted",
    "AccountDisabled",
    "AccountError",
    "AdminRequired",
    "Conflict",
    "CredentialsChanged",
    "CurrentPasswordWrong",
    "InvalidRequest",
    "InvalidToken",
    "LoginFailed",
    "NotFound",
    "PasswordChangeRequired",
    "PasswordPolicyError",
    "ResetTokenInvalid",
    "SessionEnded",
    "SessionExpired",
    "Throttled",
    "TradeAccountsOnly",
]


class _FixedMessage(AccountError):
    """An account error whose message is fixed per class unless a safe one is given."""

    default_message: ClassVar[str] = "account operation refused"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class LoginFailed(_FixedMessage):
    """Unknown user, wrong password, or an account that may not log in (all alike)."""

    code = "login_failed"
    status_hint = 401
    default_message = "Login failed; invalid user ID or password."

    def __init__(self) -> None:
        # No argument on purpose: every login failure must be byte-identical.
        super().__init__()


class Throttled(_FixedMessage):
    """Too many failed attempts for this login name or source; retry after a delay.

    ``retry_after_ms`` says how long to wait. The throttle is keyed by the name typed,
    whether or not such an account exists, so it reveals nothing about accounts.
    """

    code = "throttled"
    status_hint = 429
    default_message = "Too many failed attempts; try again later."

    def __init__(self, retry_after_ms: int) -> None:
        super().__init__()
        self.retry_after_ms = retry_after_ms


class InvalidToken(_FixedMessage):
    """The access, refresh or admin token is unknown (never issued, or rotated away)."""

    code = "invalid_token"
    status_hint = 401
    default_message = "The session token is not valid; log in again."


class SessionExpired(_FixedMessage):
    """The token has expired: refresh (access token) or log in again (refresh token)."""

    code = "session_expired"
    status_hint = 401
    default_message = "The session has expired."


class SessionEnded(_FixedMessage):
    """The session was ended by logout, by a newer login on the device, or by an admin."""

    code = "session_ended"
    status_hint = 401
    default_message = "The session has ended; log in again."


class CredentialsChanged(_FixedMessage):
    """The account's password was changed or reset after this session began."""

    code = "credentials_changed"
    status_hint = 401
    default_message = "The password was changed; log in again."


class AccountDisabled(_FixedMessage):
    """The account (or its customer) was disabled after this session began."""

    code = "account_disabled"
    status_hint = 401
    default_message = "The account is disabled."


class AccountDeleted(_FixedMessage):
    """The account was deleted: the device must wipe its local data.

    ``wipe`` is always true; it is there so adapters can put it in the response.
    """

    code = "account_deleted"
    status_hint = 401
    default_message = "The account was deleted; wipe local data."
    wipe: ClassVar[bool] = True


class TradeAccountsOnly(_FixedMessage):
    """The app channel refuses B2C accounts."""

    code = "trade_accounts_only"
    status_hint = 403
    default_message = "PocketShop is available for trade accounts"


class PasswordChangeRequired(_FixedMessage):
    """An administrator set this password; it must be changed before anything else."""

    code = "password_change_required"
    status_hint = 403
    default_message = "The password must be changed before continuing."


class CurrentPasswordWrong(_FixedMessage):
    """A password change gave the wrong current password."""

    code = "current_password_wrong"
    status_hint = 400
    default_message = "The current password is not correct."


class PasswordPolicyError(_FixedMessage):
    """The new password breaks the policy; the message says which rule (never the password)."""

    code = "password_policy"
    status_hint = 400
    default_message = "The password does not meet the password policy."


class ResetTokenInvalid(_FixedMessage):
    """The reset (or invitation) link is unknown, already used, superseded or expired."""

    code = "reset_token_invalid"
    status_hint = 400
    default_message = "The password reset link is invalid or has expired."


class AdminRequired(_FixedMessage):
    """The administrator token is missing, unknown, expired or ended."""

    code = "admin_auth_required"
    status_hint = 401
    default_message = "Administrator login required."


class InvalidRequest(_FixedMessage):
    """An argument is malformed (unknown channel, empty device id, bad paging, ...)."""

    code = "invalid_request"
    status_hint = 400
    default_message = "The request is not valid."


class NotFound(_FixedMessage):
    """The customer, user or session does not exist (or was deleted)."""

    code = "not_found"
    status_hint = 404
    default_message = "Not found."


class Conflict(_FixedMessage):
    """A unique value (login name, account number, customer id) is already taken."""

    code = "conflict"
    status_hint = 409
    default_message = "That value is already in use."
