"""Sync API over HTTP: manifest, chunks (Range resume, ETag), push and pull, metrics."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import msgpack

from pocketsync.bundle import TrustedKeys, decode_chunk, open_manifest
from pocketsync.clock import SystemClock
from pocketsync.remote import (
    Envelope,
    FavAdd,
    Hlc,
    PullRequest,
    PushRequest,
    RemoteStateClient,
    RemoteView,
    SetQty,
    decode_pull_response,
    decode_push_response,
    encode_pull_request,
    encode_push_request,
    pack,
    unpack,
)
from tests.server_ref.conftest import Live
from tests.server_ref.helpers import bearer, create_account, login_ok, publish_catalog

MSGPACK = {"content-type": "application/msgpack"}


def _session(live: Live, login: str = "buyer@example.com", price_list: str = "LIST-A") -> str:
    create_account(live, login, price_list_id=price_list, number=f"N-{login}")
    return str(login_ok(live, login, device=f"phone-{login}")["access_token"])


def _manifest(live: Live, token: str, cursors: dict[str, Any] | None = None) -> Any:
    body = msgpack.packb({"cursors": cursors or {}})
    r = live.client.post("/v1/sync/manifest", content=body, headers=bearer(token) | MSGPACK)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.pocketsync.manifest"
    trusted = TrustedKeys([live.services.signing_key.public_key])
    return open_manifest(r.content, trusted)


def test_manifest_chunks_range_resume_and_revalidation(live: Live) -> None:
    publish_catalog(live)
    token = _session(live)
    manifest = _manifest(live, token)
    assert manifest.customer_id
    roles = {p.role: p for p in manifest.partitions}
    assert roles["prices"].partition_id == "prices:LIST-A"
    assert roles["catalog"].from_version == 0
    assert {c.table for c in manifest.chunks} == {"categories", "products", "prices"}
    for ref in manifest.chunks:
        url = f"/v1/chunks/{ref.sha256.hex()}"
        full = live.client.get(url, headers=bearer(token))
        assert full.status_code == 200
        assert hashlib.sha256(full.content).digest() == ref.sha256
        assert full.headers["etag"] == f'"{ref.sha256.hex()}"'
        visibility = "private" if ref.table == "prices" else "public"
        assert full.headers["cache-control"] == f"{visibility}, max-age=31536000, immutable"
        assert decode_chunk(full.content, ref).table == ref.table
        # an interrupted download resumes where it stopped
        cut = len(full.content) // 3
        rest = live.client.get(url, headers=bearer(token) | {"Range": f"bytes={cut}-"})
        assert rest.status_code == 206
        assert (
            rest.headers["content-range"]
            == f"bytes {cut}-{len(full.content) - 1}/{len(full.content)}"
        )
        assert full.content[:cut] + rest.content == full.content
        part = live.client.get(url, headers=bearer(token) | {"Range": "bytes=0-9"})
        assert part.status_code == 206
        assert part.content == full.content[:10]
        beyond = live.client.get(
            url, headers=bearer(token) | {"Range": f"bytes={len(full.content)}-"}
        )
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == f"bytes */{len(full.content)}"
        assert beyond.json()["error"]["code"] == "range_not_satisfiable"
        same = live.client.get(url, headers=bearer(token) | {"If-None-Match": full.headers["etag"]})
        assert same.status_code == 304
        assert same.content == b""
    # up to date: every role from == to, no chunks
    cursors = {p.role: [p.partition_id, p.to_version] for p in manifest.partitions}
    again = _manifest(live, token, cursors)
    assert not again.chunks
    assert all(p.from_version == p.to_version for p in again.partitions)
    metrics = live.client.get("/metrics").text
    hits = len(manifest.chunks)
    assert f"pocketsync_chunk_cache_hits_total {hits}" in metrics
    assert 'pocketsync_bundle_bytes_served_total{kind="chunk"}' in metrics
    assert 'route="/v1/chunks/{address}",status="206"' in metrics


def test_price_chunk_of_another_price_list_is_404(live: Live) -> None:
    publish_catalog(live)
    token_a = _session(live, "a@example.com", "LIST-A")
    token_b = _session(live, "b@example.com", "LIST-B")
    manifest_b = _manifest(live, token_b)
    price_chunks = [c for c in manifest_b.chunks if c.table == "prices"]
    shared = [c for c in manifest_b.chunks if c.table != "prices"]
    assert price_chunks
    assert shared
    for ref in price_chunks:
        url = f"/v1/chunks/{ref.sha256.hex()}"
        assert live.client.get(url, headers=bearer(token_b)).status_code == 200
        r = live.client.get(url, headers=bearer(token_a))
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "chunk_not_found"
    for ref in shared:
        assert (
            live.client.get(f"/v1/chunks/{ref.sha256.hex()}", headers=bearer(token_a)).status_code
            == 200
        )
    unknown = live.client.get("/v1/chunks/" + "ab" * 32, headers=bearer(token_a))
    assert unknown.status_code == 404
    assert live.client.get("/v1/chunks/not-hex", headers=bearer(token_a)).status_code == 404
    assert live.client.get("/v1/chunks/" + "ab" * 32).status_code == 401


def _push(live: Live, token: str, client: bytes, ops: list[Envelope]) -> Any:
    body = pack(encode_push_request(PushRequest(client, tuple(ops))))
    r = live.client.post("/v1/remote/push", content=body, headers=bearer(token) | MSGPACK)
    assert r.status_code == 200, r.text
    return decode_push_response(unpack(r.content))


def _pull(live: Live, token: str, client: bytes, cookie: int | None = None) -> Any:
    body = pack(encode_pull_request(PullRequest(client, cookie)))
    r = live.client.post("/v1/remote/pull", content=body, headers=bearer(token) | MSGPACK)
    assert r.status_code == 200, r.text
    return decode_pull_response(unpack(r.content))


def test_push_and_pull_between_two_devices(live: Live) -> None:
    publish_catalog(live)
    create_account(live, "buyer@example.com")
    phone = login_ok(live, "buyer@example.com", device="phone")["access_token"]
    tablet = login_ok(live, "buyer@example.com", device="tablet")["access_token"]
    now = live.clock.now_ms()
    ops = [
        Envelope(1, Hlc(now, 0), 0, SetQty("SKU-00001", "piece", 4)),
        Envelope(2, Hlc(now, 1), 0, FavAdd("SKU-00002", "m")),
    ]
    answer = _push(live, phone, b"p" * 16, ops)
    assert answer.last_seq == 2
    assert len(answer.results) == 2
    again = _push(live, phone, b"p" * 16, ops)  # a retried push applies once
    assert again.last_seq == 2
    pulled = _pull(live, tablet, b"t" * 16)
    assert pulled.reset
    assert [(line.sku, line.qty) for line in pulled.lines] == [("SKU-00001", 4)]
    assert [f.sku for f in pulled.favourites] == ["SKU-00002"]
    later = _pull(live, tablet, b"t" * 16, pulled.cookie)
    assert not later.reset
    assert not later.lines
    gap = pack(
        encode_push_request(
            PushRequest(b"p" * 16, (Envelope(9, Hlc(now, 5), 0, FavAdd("SKU-00003", "n")),))
        )
    )
    r = live.client.post("/v1/remote/push", content=gap, headers=bearer(phone) | MSGPACK)
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "sequence_gap",
        "message": r.json()["error"]["message"],
        "last_seq": 2,
    }
    assert 'pocketsync_push_operations_total{status="applied"}' in live.client.get("/metrics").text


def test_catalog_endpoints_are_for_the_app_channel(live: Live) -> None:
    create_account(live, "buyer@example.com")
    web = login_ok(live, "buyer@example.com", channel="web", device="browser")["access_token"]
    r = live.client.post(
        "/v1/sync/manifest", content=msgpack.packb({"cursors": {}}), headers=bearer(web) | MSGPACK
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "wrong_channel"
    r = live.client.get("/v1/chunks/" + "ab" * 32, headers=bearer(web))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "wrong_channel"


def _http_sync(live: Live, token: str, state: RemoteStateClient) -> None:
    """Push the outbox and pull, over HTTP, the way the web shop or the SDK does."""
    while (request := state.build_push()) is not None:
        body = pack(encode_push_request(request))
        r = live.client.post("/v1/remote/push", content=body, headers=bearer(token) | MSGPACK)
        assert r.status_code == 200, r.text
        state.apply_push_response(decode_push_response(unpack(r.content)))
    body = pack(encode_pull_request(state.build_pull()))
    r = live.client.post("/v1/remote/pull", content=body, headers=bearer(token) | MSGPACK)
    assert r.status_code == 200, r.text
    assert state.apply_pull_response(decode_pull_response(unpack(r.content)))


def test_web_session_push_is_pulled_by_an_app_session(live: Live, tmp_path: Path) -> None:
    """The cart merges between the web shop and the app: both channels push and pull."""
    publish_catalog(live)
    create_account(live, "buyer@example.com")
    create_account(live, "other@example.com")
    web = login_ok(live, "buyer@example.com", channel="web", device="browser")
    app = login_ok(live, "buyer@example.com", channel="app", device="phone")
    stranger = login_ok(live, "other@example.com", channel="app", device="phone-2")
    user_id = str(web["user"]["user_id"])
    assert app["user"]["user_id"] == user_id
    clock = SystemClock()

    shop = RemoteStateClient.open(tmp_path / "web", user_id, clock, os.urandom)
    shop.add_line("SKU-00003", "piece", 3)  # pack size 1 + 3 % 3 = 1
    shop.fav_add("SKU-00004")
    shop.setting_put("order_reference", "PO-4711")
    _http_sync(live, web["access_token"], shop)
    assert not shop.pending()

    phone = RemoteStateClient.open(tmp_path / "phone", user_id, clock, os.urandom)
    _http_sync(live, app["access_token"], phone)
    seen = phone.view()
    assert [(x.sku, x.qty) for x in seen.lines] == [("SKU-00003", 3)]
    assert [f.sku for f in seen.favourites] == ["SKU-00004"]
    assert seen.settings == {"order_reference": "PO-4711"}

    # And back: the phone's edit reaches the web session, merged with the web's own.
    phone.add_qty("SKU-00003", "piece", 2)
    shop.add_line("SKU-00003", "piece", 1)
    _http_sync(live, app["access_token"], phone)
    _http_sync(live, web["access_token"], shop)
    _http_sync(live, app["access_token"], phone)
    assert shop.view() == phone.view()
    assert [(x.sku, x.qty) for x in shop.view().lines] == [("SKU-00003", 6)]

    # Another account's session sees nothing of it.
    other = RemoteStateClient.open(
        tmp_path / "other", str(stranger["user"]["user_id"]), clock, os.urandom
    )
    _http_sync(live, stranger["access_token"], other)
    assert other.view() == RemoteView()
    for state in (shop, phone, other):
        state.close()
