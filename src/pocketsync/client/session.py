"""The login session: tokens persisted in the data folder, and authenticated requests.

``session.json`` (mode 0600, written atomically) holds who is logged in, the tokens and
the sync bookkeeping, so a restarted app is still logged in without asking the server.
``device-id`` holds this install's random device id (the server ends an earlier session
of the same account on the same device at each login).

On a 401 the :class:`Authenticator` acts on the server's code: ``session_expired``
refreshes once and retries; ``account_deleted`` calls the wipe hook; anything else
(``credentials_changed``, ``session_ended``, ``invalid_token``, ...) drops the tokens,
keeps the account (its outbox stays queued) and raises a :class:`LoginRequiredError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from pocketsync.client.errors import (
    AccountDeletedError,
    CredentialsChangedError,
    LoginRequiredError,
    NotLoggedInError,
    ProtocolError,
)
from pocketsync.client.transport import HttpTransport, generic_error, parse_error
from pocketsync.clock import Clock
from pocketsync.errors import PocketSyncError

__all__ = ["Account", "Authenticator", "SavedSession", "SessionFiles", "Tokens", "write_private"]

# Refresh a little before the server's expiry so a request never races it.
_EARLY_REFRESH_MS = 30_000


@dataclass(frozen=True, slots=True)
class Account:
    """Who is logged in: the user and the customer (company) it buys for."""

    user_id: str
    login: str
    display_name: str
    customer_id: str
    company_name: str
    price_list_id: str


@dataclass(frozen=True, slots=True)
class Tokens:
    """The session's tokens (secrets: never logged, stored only in ``session.json``)."""

    session_id: str
    access_token: str
    refresh_token: str
    access_expires_ms: int
    refresh_expires_ms: int

    def __repr__(self) -> str:
        return f"Tokens(session_id={self.session_id!r}, ...)"


@dataclass(frozen=True, slots=True)
class SavedSession:
    """What ``session.json`` holds. ``tokens is None`` means "log in again" for ``account``,
    ``login_required`` says why (a server code such as ``credentials_changed``)."""

    account: Account
    tokens: Tokens | None
    login_required: str | None = None
    must_change_password: bool = False
    last_catalog_sync_ms: int | None = None
    last_remote_sync_ms: int | None = None


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``, readable by the owner only (0600)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing tmp file keeps its mode otherwise
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class SessionFiles:
    """``session.json`` and ``device-id`` in the data folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.session_path = folder / "session.json"
        self.device_path = folder / "device-id"

    def device_id(self) -> str:
        """This install's device id, created (random) on first use."""
        with contextlib.suppress(FileNotFoundError):
            value = self.device_path.read_text(encoding="ascii").strip()
            if value:
                return value
        value = "dev-" + secrets.token_hex(16)
        write_private(self.device_path, value.encode("ascii"))
        return value

    def load(self) -> SavedSession | None:
        """The saved session, or ``None`` (never logged in, logged out, or unreadable)."""
        try:
            raw = json.loads(self.session_path.read_text(encoding="utf-8"))
            tokens = raw.get("tokens")
            return SavedSession(
                account=Account(**raw["account"]),
                tokens=Tokens(**tokens) if tokens else None,
                login_required=raw.get("login_required"),
                must_change_password=bool(raw.get("must_change_password", False)),
                last_catalog_sync_ms=raw.get("last_catalog_sync_ms"),
                last_remote_sync_ms=raw.get("last_remote_sync_ms"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            # A damaged file must not brick the app: the user logs in again.
            return None

    def save(self, session: SavedSession) -> None:
        """Write ``session`` (mode 0600, atomic)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_private(self.session_path, json.dumps(asdict(session)).encode("utf-8"))

    def delete(self) -> None:
        """Forget the session (logout, account deleted)."""
        self.session_path.unlink(missing_ok=True)


def account_from_login(answer: Mapping[str, Any]) -> tuple[Account, Tokens, bool]:
    """The account, tokens and ``must_change_password`` flag of a login answer.

    Raises:
        ProtocolError: the answer lacks a field.
    """
    try:
        user, customer = answer["user"], answer["customer"]
        account = Account(
            user_id=str(user["user_id"]),
            login=str(user["login"]),
            display_name=str(user["display_name"]),
            customer_id=str(customer["customer_id"]),
            company_name=str(customer.get("company_name", "")),
            price_list_id=str(customer.get("price_list_id", "")),
        )
        return account, tokens_from(answer), bool(answer.get("must_change_password", False))
    except (KeyError, TypeError) as exc:
        raise ProtocolError(f"the login answer lacks {exc}") from None


def tokens_from(answer: Mapping[str, Any]) -> Tokens:
    """The tokens of a login, refresh or password-change answer."""
    try:
        return Tokens(
            session_id=str(answer.get("session_id", "")),
            access_token=str(answer["access_token"]),
            refresh_token=str(answer["refresh_token"]),
            access_expires_ms=int(answer["access_expires_ms"]),
            refresh_expires_ms=int(answer["refresh_expires_ms"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"the token answer lacks {exc}") from None


def json_answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object body of ``response``.

    Raises:
        ProtocolError: not a JSON object.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ProtocolError(f"expected a JSON object from {response.request.url.path}")
    return body


class Authenticator:
    """Authenticated requests over ``http`` with the tokens in ``files``.

    ``on_account_deleted`` is called (before :class:`AccountDeletedError` is raised) to
    wipe the account's data.
    """

    def __init__(
        self,
        http: HttpTransport,
        files: SessionFiles,
        clock: Clock,
        on_account_deleted: Callable[[Account], None],
    ) -> None:
        self._http = http
        self._files = files
        self._clock = clock
        self._on_account_deleted = on_account_deleted
        self.session = files.load()

    def save(self, session: SavedSession | None) -> None:
        """Replace the session in memory and on disk (``None`` deletes it)."""
        self.session = session
        if session is None:
            self._files.delete()
        else:
            self._files.save(session)

    def update(self, **changes: Any) -> None:
        """Change fields of the current session (no-op when logged out)."""
        if self.session is not None:
            self.save(replace(self.session, **changes))

    def tokens(self) -> Tokens:
        """The current tokens.

        Raises:
            NotLoggedInError: nobody is logged in.
            LoginRequiredError / CredentialsChangedError: the server ended the session.
        """
        session = self.session
        if session is None:
            raise NotLoggedInError("nobody is logged in on this device")
        if session.tokens is None:
            reason = session.login_required or "login_required"
            cls = CredentialsChangedError if reason == "credentials_changed" else LoginRequiredError
            raise cls(f"log in again as {session.account.login} ({reason})", server_code=reason)
        return session.tokens

    def access_token(self) -> str:
        """A usable access token, refreshed first when it is about to expire."""
        tokens = self.tokens()
        if self._clock.now_ms() >= tokens.access_expires_ms - _EARLY_REFRESH_MS:
            self.refresh()
            tokens = self.tokens()
        return tokens.access_token

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> httpx.Response:
        """Send an authenticated request; return a 2xx answer.

        Raises:
            ServerUnreachableError, ServerFailureError: see ``HttpTransport.request``.
            LoginRequiredError, CredentialsChangedError, AccountDeletedError: the session
                is over (see the module docstring).
            Other SDK errors for other refusals (``generic_error``).
        """
        for attempt in range(2):
            response = self._http.request(
                method,
                path,
                json_body=json_body,
                content=content,
                content_type=content_type,
                token=self.access_token(),
            )
            if response.status_code == 401:
                self.handle_401(response, may_refresh=attempt == 0)
                continue
            if response.status_code >= 400:
                raise generic_error(parse_error(response))
            return response
        raise AssertionError("unreachable: handle_401 raises on the second 401")

    def handle_401(self, response: httpx.Response, *, may_refresh: bool) -> None:
        """Act on a 401 answer: refresh (returns) or end the session (raises)."""
        err = parse_error(response)
        if err.code == "session_expired" and may_refresh:
            self.refresh()
            return
        raise self._session_over(err.code or "login_required", err.message)

    def _session_over(self, code: str, message: str) -> PocketSyncError:
        session = self.session
        if code == "account_deleted":
            if session is not None:
                self._on_account_deleted(session.account)
            self.save(None)
            return AccountDeletedError("the account was deleted; its data on this device is wiped")
        if session is not None:
            self.save(replace(session, tokens=None, login_required=code))
        if code == "credentials_changed":
            return CredentialsChangedError(
                "the password was changed; log in again (queued edits are kept)",
                server_code=code,
            )
        return LoginRequiredError(f"log in again: {message}", server_code=code)

    def refresh(self) -> None:
        """Rotate the tokens with the refresh token.

        Raises:
            LoginRequiredError (and subclasses), AccountDeletedError: the refresh was refused.
            ServerUnreachableError: no answer.
        """
        tokens = self.tokens()
        response = self._http.request(
            "POST",
            "/v1/auth/refresh",
            json_body={"refresh_token": tokens.refresh_token},
            replay_safe=False,  # a replayed refresh would present an already-rotated token
        )
        if response.status_code in (400, 401, 403):
            err = parse_error(response)
            raise self._session_over(err.code or "login_required", err.message)
        if response.status_code >= 400:
            raise generic_error(parse_error(response))
        self.update(tokens=tokens_from(json_answer(response)))
