"""HTTP for the client: one ``httpx.Client``, timeouts, retries with backoff and jitter,
JSON error bodies mapped to the SDK's errors, and resumable chunk downloads.

The seam is ``httpx.BaseTransport``: tests pass an ``httpx.MockTransport`` or a wrapper
that misbehaves; the default is httpx's own connection pool. Time and randomness of the
backoff come in as functions (``sleep``, ``random``) so tests never wait.
"""

from __future__ import annotations

import contextlib
import json
import random as _random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pocketsync.bundle.chunk import ChunkRef, verify_chunk_bytes
from pocketsync.client.errors import (
    ChunkDownloadError,
    LoginFailedError,
    PasswordChangeRequiredError,
    PasswordRejectedError,
    ProtocolError,
    RequestRejectedError,
    ServerFailureError,
    ServerUnreachableError,
    ThrottledError,
    TradeAccountsOnlyError,
)
from pocketsync.errors import BundleError, PocketSyncError

__all__ = ["ApiError", "HttpTransport", "RetryPolicy"]

MSGPACK = "application/msgpack"
_RETRY_STATUSES = frozenset({502, 503, 504})
_USER_AGENT = "pocketsync-client/0.1"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures are retried.

    Attempt ``n`` (0-based) waits a uniformly random time in
    ``[0, min(max_delay_s, base_delay_s * 2**n)]`` ("full jitter", so many phones coming
    back online at once do not hammer the server in step). A ``Retry-After`` header raises
    the wait, capped at ``max_delay_s``. Timeouts are per request phase.
    """

    attempts: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 10.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0

    def delay(self, attempt: int, rand: float) -> float:
        """The wait before retry number ``attempt`` given a uniform ``rand`` in [0, 1)."""
        return rand * min(self.max_delay_s, self.base_delay_s * (2.0**attempt))


@dataclass(frozen=True, slots=True)
class ApiError:
    """A parsed JSON error answer (``{"error": {"code", "message", ...}}``)."""

    status: int
    code: str | None
    message: str
    extra: Mapping[str, Any]


def parse_error(response: httpx.Response) -> ApiError:
    """The error body of ``response``; tolerant of non-JSON answers (a proxy's HTML page)."""
    code: str | None = None
    message = f"HTTP {response.status_code}"
    extra: dict[str, Any] = {}
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        body = json.loads(response.content.decode("utf-8"))
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            code = err.get("code") if isinstance(err.get("code"), str) else None
            if isinstance(err.get("message"), str):
                message = str(err["message"])[:300]
            extra = {k: v for k, v in err.items() if k not in ("code", "message")}
    return ApiError(response.status_code, code, message, extra)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def generic_error(err: ApiError) -> PocketSyncError:
    """The SDK error for a refusal that is not about the session (those: ``session.py``)."""
    code = err.code
    if code == "login_failed":
        return LoginFailedError(err.message)
    if code == "trade_accounts_only":
        return TradeAccountsOnlyError(err.message)
    if code == "throttled":
        ms = err.extra.get("retry_after_ms")
        wait = ms / 1000 if isinstance(ms, int) else 60.0
        return ThrottledError(err.message, retry_after_s=wait)
    if code == "password_change_required":
        return PasswordChangeRequiredError(err.message)
    if code in ("current_password_wrong", "password_policy"):
        return PasswordRejectedError(err.message, server_code=code)
    if err.status >= 500 or err.status == 429:
        return ServerFailureError(
            f"the server failed: {err.message}", server_code=code, http_status=err.status
        )
    return RequestRejectedError(
        f"the server refused the request: {err.message}",
        server_code=code,
        http_status=err.status,
        details=err.extra,
    )


class HttpTransport:
    """Requests to one server with retries. Not thread-safe (one per client object).

    ``online`` is what the last request found: ``True`` after any answer from the server,
    ``False`` after giving up on reaching it, ``None`` before the first request.
    """

    def __init__(
        self,
        server_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._random = random
        timeout = httpx.Timeout(
            self.retry.read_timeout_s,
            connect=self.retry.connect_timeout_s,
            read=self.retry.read_timeout_s,
        )
        self._http = httpx.Client(
            base_url=server_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": _USER_AGENT},
            follow_redirects=False,
        )
        self.online: bool | None = None
        self._last_retry_after: float | None = None

    def close(self) -> None:
        """Close the connection pool. Idempotent."""
        self._http.close()

    def _backoff(self, attempt: int, floor_s: float | None = None) -> None:
        wait = self.retry.delay(attempt, self._random())
        if floor_s is not None:
            wait = max(wait, min(floor_s, self.retry.max_delay_s))
        self._sleep(wait)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        token: str | None = None,
        replay_safe: bool = True,
        attempts: int | None = None,
    ) -> httpx.Response:
        """Send a request and return the first answer that is not a transient failure.

        Retried: connection failures and timeouts, 502/503/504. A request that is not
        ``replay_safe`` (it rotates tokens) is retried only when it cannot have reached
        the server (connect errors). Any other answer, 4xx included, is returned as it is.

        Raises:
            ServerUnreachableError: no answer after the retries.
            ServerFailureError: still 502/503/504 after the retries.
        """
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if content_type is not None:
            headers["Content-Type"] = content_type
        tries = attempts or self.retry.attempts
        last_exc: Exception | None = None
        for attempt in range(tries):
            if attempt:
                floor = None if last_exc is not None else self._last_retry_after
                self._backoff(attempt - 1, floor)
            self._last_retry_after = None
            try:
                response = self._http.request(
                    method, path, json=json_body, content=content, headers=headers
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                last_exc = exc
                continue
            except httpx.TransportError as exc:
                last_exc = exc
                if not replay_safe:
                    break
                continue
            self.online = True
            last_exc = None
            if response.status_code in _RETRY_STATUSES and attempt + 1 < tries:
                self._last_retry_after = _retry_after(response)
                continue
            if response.status_code in _RETRY_STATUSES:
                raise generic_error(parse_error(response))
            return response
        self.online = False
        raise ServerUnreachableError(
            f"no answer from the server after {tries} attempt(s): {type(last_exc).__name__}"
        ) from last_exc

    def probe(self) -> bool:
        """One quick ``GET /healthz`` (no retries); updates and returns ``online``."""
        try:
            self._http.get("/healthz", timeout=min(2.0, self.retry.connect_timeout_s))
        except httpx.TransportError:
            self.online = False
        else:
            self.online = True
        return self.online

    # -- chunks ---------------------------------------------------------------------------

    def download_chunk(
        self,
        ref: ChunkRef,
        partial: Path,
        *,
        token: Callable[[], str],
        on_unauthorized: Callable[[httpx.Response], None],
        on_bytes: Callable[[int], None] | None = None,
    ) -> bytes:
        """Download the chunk ``ref`` through the file ``partial`` and return its verified bytes.

        Bytes are appended to ``partial`` as they arrive, so after a dropped connection
        (or a killed process) the download continues with ``Range: bytes=N-`` from what
        is on disk. The result's length and SHA-256 are checked against ``ref`` (a bad
        partial file is discarded and the chunk downloaded once more from scratch).
        ``on_unauthorized`` is called with a 401 answer and must raise or fix the session
        (then ``token()`` gives the new access token). Retries that make progress do not
        use up the retry budget.

        Raises:
            ServerUnreachableError: no progress after the retries.
            ChunkDownloadError: the bytes never matched ``ref``.
            Whatever ``on_unauthorized`` raises; the SDK errors of :func:`generic_error`.
        """
        partial.parent.mkdir(parents=True, exist_ok=True)
        fresh_starts = 0
        failures = 0
        last_exc: Exception | None = None
        while True:
            have = partial.stat().st_size if partial.exists() else 0
            if have >= ref.length:
                data = partial.read_bytes()
                partial.unlink()
                with contextlib.suppress(BundleError):
                    verify_chunk_bytes(data, ref)
                    return data
                fresh_starts += 1
                if fresh_starts > 1:
                    raise ChunkDownloadError(
                        f"chunk {ref.address[:16]}… does not match the signed manifest"
                    )
                continue
            if failures >= self.retry.attempts:
                self.online = False
                raise ServerUnreachableError(
                    f"chunk {ref.address[:16]}… download failed {failures} times: "
                    f"{type(last_exc).__name__}"
                ) from last_exc
            if failures:
                self._backoff(failures - 1)
            try:
                gained = self._fetch_into(ref, partial, have, token(), on_unauthorized, on_bytes)
            except httpx.TransportError as exc:
                last_exc = exc
                gained = partial.stat().st_size - have if partial.exists() else 0
                failures = 0 if gained > 0 else failures + 1
                continue
            except _Retry:
                failures += 1
                continue
            if gained == 0:
                failures += 1

    def _fetch_into(
        self,
        ref: ChunkRef,
        partial: Path,
        have: int,
        token: str,
        on_unauthorized: Callable[[httpx.Response], None],
        on_bytes: Callable[[int], None] | None,
    ) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        if have:
            # If-Range: if the bytes behind the address ever differed, get them whole.
            headers["Range"] = f"bytes={have}-"
            headers["If-Range"] = f'"{ref.address}"'
        with self._http.stream("GET", f"/v1/chunks/{ref.address}", headers=headers) as response:
            self.online = True
            status = response.status_code
            if status == 401:
                response.read()
                on_unauthorized(response)
                raise _Retry()
            if status == 416:
                partial.unlink(missing_ok=True)
                raise _Retry()
            if status in _RETRY_STATUSES:
                raise _Retry()
            if status not in (200, 206):
                response.read()
                raise generic_error(parse_error(response))
            start = 0 if status == 200 else _range_start(response)
            if start != have and start != 0:
                raise ProtocolError(f"asked for bytes from {have}, got a range from {start}")
            mode = "ab" if start else "wb"
            gained = 0
            with partial.open(mode, buffering=0) as out:
                # Unbuffered writes: whatever arrived is in the file if the process dies.
                for piece in response.iter_bytes():
                    out.write(piece)
                    gained += len(piece)
                    if on_bytes is not None:
                        on_bytes(len(piece))
                    if start + gained > ref.length:
                        break  # a server sending more than the manifest says; checked above
            return gained


class _Retry(Exception):
    """Internal: the attempt failed in a way the download loop retries."""


def _range_start(response: httpx.Response) -> int:
    value = response.headers.get("content-range", "")
    try:
        unit, _, rest = value.partition(" ")
        first = rest.split("-", 1)[0]
        if unit != "bytes":
            raise ValueError(value)
        return int(first)
    except ValueError:
        raise ProtocolError(f"206 answer with an unusable Content-Range {value[:60]!r}") from None
