"""``PocketSyncClient``: the embeddable client of one app install.

One object owns one data folder (one process, one thread at a time)::

    <folder>/session.json     who is logged in, tokens, sync times (0600)
    <folder>/device-id        this install's random device id
    <folder>/catalog/         the catalog store (catalog.db + WAL, chunk cache, rollback floor)
    <folder>/remote/          one outbox + cart/favourites/settings view per account
    <folder>/downloads/       partial chunk downloads (resumed with Range)

Everything the app shows is read locally, so a restarted app answers at once, with or
without the server; edits are queued locally and sent by :meth:`sync` / :meth:`sync_remote`.
The cart, favourites and settings methods are in :mod:`.remote_edits`.
"""

from __future__ import annotations

import os
import random as _random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from pocketsync.bundle import RoleCursor, TrustedKeys
from pocketsync.client.catalog_sync import CatalogSync, CatalogSyncResult, SyncProgress
from pocketsync.client.errors import InvalidPinnedKeyError, NotLoggedInError
from pocketsync.client.remote_edits import RemoteStateEdits
from pocketsync.client.remote_sync import RemoteSync, RemoteSyncResult
from pocketsync.client.session import (
    Account,
    Authenticator,
    SavedSession,
    SessionFiles,
    account_from_login,
    json_answer,
    tokens_from,
)
from pocketsync.client.transport import HttpTransport, RetryPolicy, generic_error, parse_error
from pocketsync.clock import Clock, SystemClock
from pocketsync.closing import Closeable
from pocketsync.errors import PocketSyncError
from pocketsync.remote import (
    client_file,
)
from pocketsync.store import CatalogStore, CategoryNode, PageCursor, PriceBreak, Product
from pocketsync.store.files import SQLITE_SUFFIXES

__all__ = ["LogoutReport", "PocketSyncClient", "Status", "SyncReport"]


@dataclass(frozen=True, slots=True)
class Status:
    """What the app shows in its status line.

    ``logged_in`` is true while the session has tokens; ``login_required`` names why the
    server ended it (``credentials_changed``, ``session_ended``, ...) while the account's
    queued edits wait for the next login. ``online`` is what the last contact found
    (``None``: no contact yet in this process).
    """

    account: Account | None
    logged_in: bool
    login_required: str | None
    must_change_password: bool
    last_catalog_sync_ms: int | None
    last_remote_sync_ms: int | None
    catalog_loaded: bool
    cursors: Mapping[str, RoleCursor]
    pending_operations: int
    online: bool | None


@dataclass(frozen=True, slots=True)
class SyncReport:
    """A full sync: the catalog part and the remote-state part."""

    catalog: CatalogSyncResult
    remote: RemoteSyncResult


@dataclass(frozen=True, slots=True)
class LogoutReport:
    """What logout did: whether the outbox reached the server, how many operations stay
    queued for this account's next login here, and the catalog files still present
    (always empty after a successful wipe)."""

    flushed: bool
    kept_operations: int
    catalog_files_left: tuple[str, ...]


def _trusted(public_keys: Iterable[bytes | str]) -> TrustedKeys:
    raw: list[bytes] = []
    for key in public_keys:
        try:
            value = bytes.fromhex(key.strip()) if isinstance(key, str) else bytes(key)
        except ValueError:
            raise InvalidPinnedKeyError("a pinned public key must be 64 hex characters") from None
        raw.append(value)
    try:
        return TrustedKeys(raw)
    except ValueError as exc:
        raise InvalidPinnedKeyError(f"unusable pinned public key: {exc}") from None


class PocketSyncClient(Closeable, RemoteStateEdits):
    """The client SDK. Create one per data folder; close it (or use ``with``) when done.

    Args:
        folder: the app's private data folder (created, mode 0700).
        server_url: e.g. ``https://shop.example``.
        public_keys: the pinned Ed25519 manifest keys (32 bytes or 64 hex characters each).
        transport: an ``httpx.BaseTransport`` (tests: ``httpx.MockTransport`` or a wrapper);
            default: httpx's connection pool.
        clock, retry, sleep, random, random_bytes: injected time, retry policy, backoff
            sleep, jitter source (uniform [0, 1)) and random bytes.

    Raises:
        InvalidPinnedKeyError: a key is malformed.
        StoreError subclasses: the catalog store in ``folder`` cannot be opened.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        server_url: str,
        public_keys: Iterable[bytes | str],
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._trusted = _trusted(public_keys)
        self._clock = clock or SystemClock()
        self._random_bytes = random_bytes
        self._http = HttpTransport(
            server_url, transport=transport, retry=retry, sleep=sleep, random=random
        )
        self._files = SessionFiles(self.folder)
        self._auth = Authenticator(self._http, self._files, self._clock, self._wipe_account)
        self._store = CatalogStore.open(self.folder / "catalog", clock=self._clock)
        self._catalog = CatalogSync(
            http=self._http,
            auth=self._auth,
            store=self._store,
            trusted=self._trusted,
            clock=self._clock,
            downloads=self.folder / "downloads",
        )
        self._remote_sync = RemoteSync(self._auth)
        self._remote = None
        if self._auth.session is not None:
            self._remote = self._open_remote(self._auth.session.account.user_id)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the databases and connections (nothing is lost: all state is on disk)."""
        self._close_remote()
        self._store.close()
        self._http.close()

    @property
    def device_id(self) -> str:
        """This install's device id (random, created on first use)."""
        return self._files.device_id()

    # -- login -----------------------------------------------------------------------------

    def login(self, login: str, password: str) -> Account:
        """Log in on the app channel and remember the session in the folder.

        A different account than the last one gets a wiped catalog (the catalog is per
        customer); the same account finds its queued edits again. If the server says an
        account deleted since was used on this device, every local account's data is
        wiped first. Call :meth:`sync` next.

        Raises:
            LoginFailedError: wrong login or password (or the account may not log in).
            TradeAccountsOnlyError: a consumer (B2C) account.
            ThrottledError: too many failures; wait ``retry_after_s``.
            ServerUnreachableError, ServerFailureError, ProtocolError: network trouble.
        """
        response = self._http.request(
            "POST",
            "/v1/auth/login",
            json_body={
                "login": login,
                "password": password,
                "channel": "app",
                "device_id": self.device_id,
            },
        )
        if response.status_code >= 400:
            raise generic_error(parse_error(response))
        answer = json_answer(response)
        account, tokens, must_change = account_from_login(answer)
        if answer.get("device_wipe") is True:
            self._wipe_all_accounts(keep=account.user_id)
        if self._remote is not None and self._remote.account_id != account.user_id:
            self._close_remote()  # its outbox stays on disk for that account
        owner = self._store.customer_id()
        if owner is not None and owner != account.customer_id:
            self._store.wipe()
        self._auth.save(SavedSession(account, tokens, None, must_change))
        if self._remote is None:
            self._remote = self._open_remote(account.user_id)
        return account

    def change_password(self, current_password: str, new_password: str) -> None:
        """Change the password; this session continues, every other session of the account
        (other phones, the web) ends.

        Raises:
            PasswordRejectedError: wrong current password, or the new one breaks the policy.
            The session and transport errors of :meth:`sync`.
        """
        response = self._auth.call(
            "POST",
            "/v1/auth/password",
            json_body={"current_password": current_password, "new_password": new_password},
        )
        self._auth.update(tokens=tokens_from(json_answer(response)), must_change_password=False)

    def logout(self) -> LogoutReport:
        """Log out: flush the outbox if the server answers (else keep it for this account's
        next login on this device), end the server session, wipe the catalog database with
        its WAL and journal files, and forget the session.

        Never raises for network trouble (logout works offline).

        Raises:
            StoreIOError: a catalog file could not be deleted (the next open finishes it).
        """
        flushed = False
        session = self._auth.session
        if session is not None and session.tokens is not None and self._remote is not None:
            try:
                self._remote_sync.push(self._remote)
                flushed = True
                self._http.request(
                    "POST", "/v1/auth/logout", token=session.tokens.access_token, attempts=1
                )
            except PocketSyncError:
                pass  # offline or session already over: the outbox stays queued
        kept = 0
        if self._remote is not None:
            kept = self._remote.logout()
            self._remote = None
        self._store.wipe()
        self._catalog.clear_downloads()
        if self._auth.session is not None:
            self._auth.save(None)
        return LogoutReport(flushed, kept, self.catalog_files())

    def catalog_files(self) -> tuple[str, ...]:
        """Names of catalog database files present in the folder (WAL, journal included)."""
        folder = self.folder / "catalog"
        names = ("catalog.db", "catalog.db.new")
        return tuple(n + s for n in names for s in SQLITE_SUFFIXES if (folder / (n + s)).exists())

    def _wipe_account(self, account: Account) -> None:
        """Account deleted on the server: remove its outbox, view and the catalog."""
        self._close_remote()
        self._delete_remote_files(client_file(self.folder / "remote", account.user_id))
        self._store.wipe()
        self._catalog.clear_downloads()

    def _wipe_all_accounts(self, *, keep: str) -> None:
        keep_path = client_file(self.folder / "remote", keep)
        if self._remote is not None and self._remote.account_id != keep:
            self._close_remote()
        for path in (self.folder / "remote").glob("remote-*.sqlite3"):
            if path != keep_path:
                self._delete_remote_files(path)
        self._store.wipe()
        self._catalog.clear_downloads()

    @staticmethod
    def _delete_remote_files(path: Path) -> None:
        for suffix in SQLITE_SUFFIXES:
            path.with_name(path.name + suffix).unlink(missing_ok=True)

    # -- sync ------------------------------------------------------------------------------

    def _account(self) -> Account:
        session = self._auth.session
        if session is None:
            raise NotLoggedInError("nobody is logged in on this device")
        return session.account

    def sync(self, progress: Callable[[SyncProgress], None] | None = None) -> SyncReport:
        """Push queued edits, bring the catalog up to date (initial or delta), then pull
        the merged cart, favourites and settings.

        Raises:
            NotLoggedInError; LoginRequiredError / CredentialsChangedError (sync stops, the
                outbox is kept: log in again); AccountDeletedError (already wiped);
            ServerUnreachableError, ServerFailureError, ProtocolError: network trouble;
                local data is unchanged and the next sync resumes;
            BundleError subclasses: the server's manifest or a chunk was refused.
        """
        state = self._state()
        sent, results = self._remote_sync.push(state)
        catalog = self.sync_catalog(progress)
        pulled = self._remote_sync.pull(state)
        self._auth.update(last_remote_sync_ms=self._clock.now_ms())
        return SyncReport(catalog, RemoteSyncResult(sent, results, pulled, len(state.pending())))

    def sync_catalog(
        self, progress: Callable[[SyncProgress], None] | None = None
    ) -> CatalogSyncResult:
        """Only the catalog part of :meth:`sync` (same errors)."""
        account = self._account()
        self._auth.tokens()  # fail fast with the login error, before any request
        result = self._catalog.run(account.customer_id, progress)
        self._auth.update(last_catalog_sync_ms=self._clock.now_ms())
        return result

    def sync_remote(self) -> RemoteSyncResult:
        """Only the cart/favourites/settings part of :meth:`sync` (same errors)."""
        result = self._remote_sync.sync(self._state())
        self._auth.update(last_remote_sync_ms=self._clock.now_ms())
        return result

    def status(self, *, probe: bool = False) -> Status:
        """Who is logged in, when it last synced, what is queued; ``probe`` first asks the
        server's health endpoint once (no retries) to refresh ``online``."""
        if probe:
            self._http.probe()
        session = self._auth.session
        cursors = self._store.cursors()
        return Status(
            account=session.account if session else None,
            logged_in=session is not None and session.tokens is not None,
            login_required=session.login_required if session else None,
            must_change_password=session.must_change_password if session else False,
            last_catalog_sync_ms=session.last_catalog_sync_ms if session else None,
            last_remote_sync_ms=session.last_remote_sync_ms if session else None,
            catalog_loaded=bool(cursors),
            cursors=cursors,
            pending_operations=len(self._remote.pending()) if self._remote else 0,
            online=self._http.online,
        )

    # -- catalog (local reads) ---------------------------------------------------------------

    def category_tree(self) -> tuple[CategoryNode, ...]:
        """The category tree. Raises CatalogNotLoadedError before the first sync."""
        return self._store.category_tree()

    def products_in_category(
        self, category_id: str, *, limit: int = 50, after: PageCursor | None = None
    ) -> tuple[tuple[Product, ...], PageCursor | None]:
        """One page of a category's products by name, and the cursor of the next page."""
        page = self._store.products_in_category(category_id, limit=limit, after=after)
        return page.items, page.next

    def product(self, sku: str) -> Product | None:
        """The product with this SKU, or ``None``."""
        return self._store.product(sku)

    def search(self, text: str, *, limit: int = 20) -> tuple[Product, ...]:
        """Products by barcode, SKU or name words (prefixes match)."""
        return self._store.search(text, limit=limit)

    def price_breaks(self, sku: str) -> tuple[PriceBreak, ...]:
        """This customer's price breaks for ``sku``."""
        return self._store.price_breaks(sku)

    def price_at(self, sku: str, quantity: int) -> PriceBreak | None:
        """The unit price that applies when buying ``quantity``."""
        return self._store.price_at(sku, quantity)
