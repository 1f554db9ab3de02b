"""The embeddable client SDK: login, catalog sync with progress, local catalog queries,
offline cart/favourites/settings edits, status, password change and logout with wipe.

Start with :class:`PocketSyncClient`. Network access goes through an injectable
``httpx.BaseTransport``; the local data lives in the folder the app gives it.
"""

from pocketsync.client.catalog_sync import CatalogSyncResult, SyncPhase, SyncProgress
from pocketsync.client.client import LogoutReport, PocketSyncClient, Status, SyncReport
from pocketsync.client.errors import (
    AccountDeletedError,
    ChunkDownloadError,
    CredentialsChangedError,
    InvalidEditError,
    InvalidPinnedKeyError,
    LoginFailedError,
    LoginRequiredError,
    NotLoggedInError,
    PasswordChangeRequiredError,
    PasswordRejectedError,
    ProtocolError,
    RequestRejectedError,
    ServerFailureError,
    ServerUnreachableError,
    ThrottledError,
    TradeAccountsOnlyError,
)
from pocketsync.client.remote_sync import RemoteSyncResult
from pocketsync.client.session import Account
from pocketsync.client.transport import RetryPolicy

__all__ = [
    "Account",
    "AccountDeletedError",
    "CatalogSyncResult",
    "ChunkDownloadError",
    "CredentialsChangedError",
    "InvalidEditError",
    "InvalidPinnedKeyError",
    "LoginFailedError",
    "LoginRequiredError",
    "LogoutReport",
    "NotLoggedInError",
    "PasswordChangeRequiredError",
    "PasswordRejectedError",
    "PocketSyncClient",
    "ProtocolError",
    "RemoteSyncResult",
    "RequestRejectedError",
    "RetryPolicy",
    "ServerFailureError",
    "ServerUnreachableError",
    "Status",
    "SyncPhase",
    "SyncProgress",
    "SyncReport",
    "ThrottledError",
    "TradeAccountsOnlyError",
]
