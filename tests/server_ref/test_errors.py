"""The error contract: whatever a client sends, the answer is a 4xx with a JSON error."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator

import httpx
import msgpack
import pytest

from tests.server_ref.conftest import Live
from tests.server_ref.helpers import PASSWORD, admin_token, bearer, create_account, login_ok

JSON_POSTS = [
    "/v1/auth/login",
    "/v1/auth/refresh",
    "/v1/auth/password",
    "/v1/auth/password-reset",
    "/v1/auth/password-reset/confirm",
    "/v1/admin/login",
    "/v1/admin/accounts",
]
MSGPACK_POSTS = ["/v1/sync/manifest", "/v1/remote/push", "/v1/remote/pull"]


def _assert_json_error(r: httpx.Response, *statuses: int) -> str:
    assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text)
    if statuses:
        assert r.status_code in statuses, (r.request.url, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"]
    return str(error["code"])


def _never_5xx(r: httpx.Response) -> None:
    """A body that happens to be valid may succeed; anything else is a JSON 4xx."""
    if r.status_code >= 300:
        _assert_json_error(r)


def _bodies(rng: random.Random) -> list[bytes]:
    fixed = [
        b"",
        b"\x00",
        b"{",
        b"[]",
        b"null",
        b'{"login": 5}',
        b'{"cursors": {"catalog": ["catalog", -1]}}',
        b"\xc1",  # never used in msgpack
        b"\xdd\xff\xff\xff\xff",  # array32 of 4 billion items
        b"\xc7\x05\x01abcde",  # ext type
        b"\x81\xa7cursors\x81\xa7catalog\x92\xa7catalog\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00",
        msgpack.packb({"v": 1, "t": "push", "client": b"x" * 16, "ops": [{"seq": "1"}]}),
        msgpack.packb({"v": 1, "t": "pull", "client": b"short", "cookie": None, "min_seen": None}),
        msgpack.packb({"cursors": {"nonsense": ["x", 1]}}),
        msgpack.packb({"cursors": [1, 2]}),
        msgpack.packb([[[[[[[[[[[]]]]]]]]]]]),
        b"[" * 5000 + b"]" * 5000,
        json.dumps(
            {"login": "x" * 5000, "password": "p", "channel": "app", "device_id": "d"}
        ).encode(),
        json.dumps({"login": "a", "password": "p", "channel": "fax", "device_id": "d"}).encode(),
        json.dumps({"login": "a", "password": "p", "channel": "app", "device_id": ""}).encode(),
    ]
    return fixed + [rng.randbytes(rng.randrange(1, 300)) for _ in range(25)]


def test_malformed_bodies_get_json_4xx(live: Live) -> None:
    create_account(live, "buyer@example.com")
    app = login_ok(live, "buyer@example.com")["access_token"]
    admin = admin_token(live)
    rng = random.Random(5)
    for body in _bodies(rng):
        for path in JSON_POSTS:
            token = admin if path.startswith("/v1/admin") else app
            r = live.client.post(
                path, content=body, headers=bearer(token) | {"content-type": "application/json"}
            )
            _never_5xx(r)
        for path in MSGPACK_POSTS:
            r = live.client.post(
                path, content=body, headers=bearer(app) | {"content-type": "application/msgpack"}
            )
            _never_5xx(r)
    # the session survived all of that
    assert live.client.get("/v1/me", headers=bearer(app)).status_code == 200


def test_size_limits_media_types_routes_and_auth(live: Live) -> None:
    create_account(live, "buyer@example.com")
    app = login_ok(live, "buyer@example.com")["access_token"]
    big = b'{"login": "' + b"x" * 70_000 + b'"}'
    r = live.client.post(
        "/v1/auth/login", content=big, headers={"content-type": "application/json"}
    )
    assert _assert_json_error(r, 413) == "body_too_large"

    def chunked() -> Iterator[bytes]:
        for _ in range(80):
            yield b"x" * 1024

    r = live.client.post(
        "/v1/auth/login", content=chunked(), headers={"content-type": "application/json"}
    )  # no Content-Length: the limit holds while streaming
    assert _assert_json_error(r, 413) == "body_too_large"
    huge = b"\x00" * (4 * 1024 * 1024 + 1)
    r = live.client.post(
        "/v1/remote/push",
        content=huge,
        headers=bearer(app) | {"content-type": "application/msgpack"},
    )
    assert _assert_json_error(r, 413) == "body_too_large"
    r = live.client.post(
        "/v1/auth/login", content=b"login=x", headers={"content-type": "text/plain"}
    )
    assert _assert_json_error(r, 415) == "unsupported_media_type"
    r = live.client.post(
        "/v1/remote/pull", content=b"{}", headers=bearer(app) | {"content-type": "application/json"}
    )
    assert _assert_json_error(r, 415) == "unsupported_media_type"
    assert _assert_json_error(live.client.get("/v2/nothing"), 404) == "not_found"
    assert _assert_json_error(live.client.get("/v1/auth/login"), 405) == "method_not_allowed"
    assert _assert_json_error(live.client.get("/v1/me"), 401) == "auth_required"
    r = live.client.get("/v1/me", headers={"Authorization": "Basic eDp5"})
    assert _assert_json_error(r, 401) == "auth_required"
    r = live.client.get("/v1/me", headers=bearer("made-up-token"))
    assert _assert_json_error(r, 401) == "invalid_token"
    r = live.client.get("/v1/admin/accounts", headers=bearer(app))
    assert _assert_json_error(r, 401) == "admin_auth_required"
    r = live.client.get(
        "/v1/admin/accounts", headers=bearer(admin_token(live)), params={"page": "x"}
    )
    assert _assert_json_error(r, 400) == "invalid_field"
    r = live.client.get(f"/v1/admin/accounts/{'f' * 32}", headers=bearer(admin_token(live)))
    assert _assert_json_error(r, 404) == "not_found"


def test_request_logs_hold_no_secrets(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    create_account(live, "buyer@example.com")
    session = login_ok(live, "buyer@example.com")
    live.client.get("/v1/me", headers=bearer(session["access_token"]))
    live.client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    time.sleep(0.2)  # the access line is written after the answer went out
    lines = [r for r in caplog.records if r.name == "pocketsync.server.access"]
    assert len(lines) >= 4
    fields = [getattr(r, "fields", {}) for r in lines]
    assert all({"method", "route", "status", "duration_ms"} <= set(f) for f in fields)
    assert any(f["route"] == "/v1/me" and f["status"] == 200 for f in fields)
    server_records = [r for r in caplog.records if r.name.startswith(("pocketsync", "uvicorn"))]
    text = "\n".join(
        [json.dumps(f) for f in fields]
        + [r.getMessage() for r in server_records]
        + [repr(r.args) for r in server_records]
    )
    for secret in (PASSWORD, session["access_token"], session["refresh_token"], admin_token(live)):
        assert secret not in text
