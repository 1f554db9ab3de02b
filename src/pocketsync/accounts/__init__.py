"""Accounts: one login for the web shop and the app, sessions, passwords, management.

* :class:`AccountService`: customer login per channel (``web``/``app``) and device,
  :meth:`~AccountService.authenticate` on every request (checks the credential epoch),
  refresh, logout, password change and reset.
* :class:`AdminService`: Management Interface administrators and the management
  operations (customers, users, passwords, sessions, audit log).
* Pure policy: :mod:`.passwords`, :mod:`.throttle`, :mod:`.tokens`, :mod:`.model`.
* Storage: :mod:`.schema` (tables ``account_*`` on ``pocketsync.serverdb.metadata``).
"""

from pocketsync.accounts.admin import AdminService
from pocketsync.accounts.errors import (
    AccountDeleted,
    AccountDisabled,
    AccountError,
    AdminRequired,
    Conflict,
    CredentialsChanged,
    CurrentPasswordWrong,
    InvalidRequest,
    InvalidToken,
    LoginFailed,
    NotFound,
    PasswordChangeRequired,
    PasswordPolicyError,
    ResetTokenInvalid,
    SessionEnded,
    SessionExpired,
    Throttled,
    TradeAccountsOnly,
)
from pocketsync.accounts.mailer import ConsoleMailer, FileMailer, Mailer, MailMessage, MemoryMailer
from pocketsync.accounts.model import (
    AccountType,
    AdminPrincipal,
    AdminSession,
    AuditEntry,
    Channel,
    Customer,
    Page,
    Principal,
    Secret,
    SessionInfo,
    TokenPair,
    User,
)
from pocketsync.accounts.passwords import (
    OWASP_ARGON2ID,
    Argon2Params,
    PasswordHasher,
    PasswordPolicy,
)
from pocketsync.accounts.service import AccountService
from pocketsync.accounts.store import AccountSettings, OnUserDeleted
from pocketsync.accounts.throttle import ThrottlePolicy, ThrottleState
from pocketsync.accounts.tokens import SessionPolicy

__all__ = [
    "OWASP_ARGON2ID",
    "AccountDeleted",
    "AccountDisabled",
    "AccountError",
    "AccountService",
    "AccountSettings",
    "AccountType",
    "AdminPrincipal",
    "AdminRequired",
    "AdminService",
    "AdminSession",
    "Argon2Params",
    "AuditEntry",
    "Channel",
    "Conflict",
    "ConsoleMailer",
    "CredentialsChanged",
    "CurrentPasswordWrong",
    "Customer",
    "FileMailer",
    "InvalidRequest",
    "InvalidToken",
    "LoginFailed",
    "MailMessage",
    "Mailer",
    "MemoryMailer",
    "NotFound",
    "OnUserDeleted",
    "Page",
    "PasswordChangeRequired",
    "PasswordHasher",
    "PasswordPolicy",
    "PasswordPolicyError",
    "Principal",
    "ResetTokenInvalid",
    "Secret",
    "SessionEnded",
    "SessionExpired",
    "SessionInfo",
    "SessionPolicy",
    "ThrottlePolicy",
    "ThrottleState",
    "Throttled",
    "TokenPair",
    "TradeAccountsOnly",
    "User",
]
