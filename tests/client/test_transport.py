"""The transport seam without a server: retries, backoff with jitter, 401 refresh, Range resume."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pocketsync.bundle import ChunkRef
from pocketsync.client import (
    ChunkDownloadError,
    PocketSyncClient,
    RetryPolicy,
    ServerFailureError,
    ServerUnreachableError,
)
from pocketsync.client.transport import HttpTransport

KEY = "11" * 32  # any 32 bytes: these tests never open a manifest


class _Cut(httpx.SyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self._data
        raise httpx.ReadError("connection dropped")


def _http(handler: httpx.MockTransport, sleeps: list[float]) -> HttpTransport:
    return HttpTransport(
        "http://shop.test", transport=handler, retry=RetryPolicy(attempts=4, base_delay_s=1.0),
        sleep=sleeps.append, random=lambda: 0.5,
    )  # fmt: skip


def test_transient_failures_are_retried_with_jittered_backoff() -> None:
    answers = iter([503, 502, 200])
    sleeps: list[float] = []
    http = _http(httpx.MockTransport(lambda r: httpx.Response(next(answers))), sleeps)
    assert http.request("GET", "/x").status_code == 200
    assert sleeps == [0.5, 1.0]  # 0.5 * base * 2**n
    assert http.online is True


def test_retry_after_raises_the_wait() -> None:
    answers = iter([httpx.Response(503, headers={"Retry-After": "3"}), httpx.Response(200)])
    sleeps: list[float] = []
    http = _http(httpx.MockTransport(lambda r: next(answers)), sleeps)
    http.request("GET", "/x")
    assert sleeps == [3.0]


def test_unreachable_after_the_attempts() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sleeps: list[float] = []
    http = _http(httpx.MockTransport(refuse), sleeps)
    with pytest.raises(ServerUnreachableError):
        http.request("GET", "/x")
    assert len(sleeps) == 3
    assert http.online is False


def test_persistent_5xx_is_a_server_failure() -> None:
    http = _http(httpx.MockTransport(lambda r: httpx.Response(503)), [])
    with pytest.raises(ServerFailureError):
        http.request("GET", "/x")


def test_non_replay_safe_request_is_not_resent_after_a_read_error() -> None:
    calls = []

    def cut(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    http = _http(httpx.MockTransport(cut), [])
    with pytest.raises(ServerUnreachableError):
        http.request("POST", "/v1/auth/refresh", replay_safe=False)
    assert len(calls) == 1


def _chunk(data: bytes) -> ChunkRef:
    return ChunkRef("products", 1, len(data), hashlib.sha256(data).digest())


def test_chunk_download_resumes_with_range_after_a_cut(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    ranges: list[str | None] = []

    def serve(request: httpx.Request) -> httpx.Response:
        ranges.append(request.headers.get("range"))
        if len(ranges) == 1:
            return httpx.Response(200, stream=_Cut(data[:3000]))
        first = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
        return httpx.Response(
            206, content=data[first:],
            headers={"Content-Range": f"bytes {first}-{len(data) - 1}/{len(data)}"},
        )  # fmt: skip

    http = _http(httpx.MockTransport(serve), [])
    got = http.download_chunk(
        _chunk(data), tmp_path / "c.part", token=lambda: "t", on_unauthorized=lambda r: None
    )
    assert got == data
    assert ranges == [None, "bytes=3000-"]
    assert not (tmp_path / "c.part").exists()


def test_chunk_that_never_matches_is_refused(tmp_path: Path) -> None:
    data = b"x" * 100
    http = _http(httpx.MockTransport(lambda r: httpx.Response(200, content=b"y" * 100)), [])
    with pytest.raises(ChunkDownloadError):
        http.download_chunk(
            _chunk(data), tmp_path / "c.part", token=lambda: "t", on_unauthorized=lambda r: None
        )


def test_expired_access_token_is_refreshed_once_and_the_call_retried(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []
    tokens = {"access_token": "A1", "refresh_token": "R1", "access_expires_ms": 2**60,
              "refresh_expires_ms": 2**60, "session_id": "s"}  # fmt: skip

    def server(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        if request.url.path == "/v1/auth/login":
            return httpx.Response(200, json={
                **tokens, "user": {"user_id": "u1", "login": "l", "display_name": "d"},
                "customer": {"customer_id": "c1"}, "device_wipe": False,
            })  # fmt: skip
        if request.url.path == "/v1/auth/refresh":
            return httpx.Response(200, json={**tokens, "access_token": "A2", "refresh_token": "R2"})
        if request.headers.get("authorization") == "Bearer A1":
            return httpx.Response(401, json={"error": {"code": "session_expired", "message": "x"}})
        return httpx.Response(500)

    client = PocketSyncClient(
        tmp_path, "http://shop.test", [KEY], transport=httpx.MockTransport(server),
        retry=RetryPolicy(attempts=1),
    )  # fmt: skip
    client.login("l", "p")
    with pytest.raises(ServerFailureError):
        client.sync_remote()  # 401 -> refresh -> retried with A2 -> the 500 surfaces
    # No queued edits, so sync_remote starts with the pull.
    assert [p for p, _ in seen] == [
        "/v1/auth/login", "/v1/remote/pull", "/v1/auth/refresh", "/v1/remote/pull",
    ]  # fmt: skip
    assert seen[3][1] == "Bearer A2"
    client.close()
