"""``pocketsync-server`` as a process: migrate/serve refusal, keygen, create-admin, two servers."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgpack
import pytest

from pocketsync.bundle import TrustedKeys, open_manifest
from pocketsync.catalog import Category, PriceBreak, PriceList, Product, Publisher
from pocketsync.remote import (
    Envelope,
    Hlc,
    PullRequest,
    PushRequest,
    SetQty,
    decode_pull_response,
    encode_pull_request,
    encode_push_request,
    pack,
    unpack,
)
from pocketsync.serverdb import create_server_engine

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "cli admin phrase 4"
USER_PASSWORD = "cli user phrase 6"


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        POCKETSYNC_DATABASE_URL=url,
        POCKETSYNC_DATA_DIR=str(tmp_path / "data"),
        POCKETSYNC_SIGNING_KEY_FILE=str(tmp_path / "data" / "signing.key"),
        POCKETSYNC_COOKIE_SECURE="false",
    )
    return env


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server_ref.cli", *args],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_refuses_an_unmigrated_database_then_migrate_fixes_it(
    server_url: str, tmp_path: Path
) -> None:
    env = _env(server_url, tmp_path)
    refused = _cli(env, "serve", "--port", "1")
    assert refused.returncode == 2
    assert "run `pocketsync-server migrate`" in refused.stderr
    refused = _cli(env, "create-admin", "--login", "root", stdin=ADMIN_PASSWORD + "\n")
    assert refused.returncode == 2
    assert "migrate" in refused.stderr

    migrated = _cli(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "latest revision" in migrated.stdout
    assert _cli(env, "migrate").returncode == 0  # idempotent

    key = _cli(env, "keygen")
    assert key.returncode == 0, key.stderr
    public_hex = key.stdout.strip()
    assert len(bytes.fromhex(public_hex)) == 32
    key_file = tmp_path / "data" / "signing.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = _cli(env, "keygen")
    assert again.returncode == 2
    assert "--force" in again.stderr
    created = _cli(env, "create-admin", "--login", "root", "--password-stdin", stdin=ADMIN_PASSWORD)
    assert created.returncode == 0, created.stderr
    assert ADMIN_PASSWORD not in created.stdout + created.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_servers(server_url: str, tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    env = _env(server_url, tmp_path)
    assert _cli(env, "migrate").returncode == 0
    key = _cli(env, "keygen")
    assert key.returncode == 0
    env["TEST_PUBLIC_KEY"] = key.stdout.strip()
    created = _cli(env, "create-admin", "--login", "root", "--password-stdin", stdin=ADMIN_PASSWORD)
    assert created.returncode == 0, created.stderr
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "server_ref.cli", "serve", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        yield urls, env
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr:
                proc.stderr.close()


def test_two_server_processes_share_one_database(
    two_servers: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    urls, env = two_servers
    a, b = (httpx.Client(base_url=u, timeout=30) for u in urls)
    admin = a.post("/v1/admin/login", json={"login": "root", "password": ADMIN_PASSWORD})
    h = {"Authorization": f"Bearer {admin.json()['token']}"}
    r = b.post(
        "/v1/admin/accounts",
        headers=h,
        json={
            "login": "shared@example.com",
            "display_name": "Shared",
            "initial_password": USER_PASSWORD,
            "must_change_password": False,
            "customer": {"company_name": "Shared", "account_number": "S1", "price_list_id": "P"},
        },
    )
    assert r.status_code == 201, r.text
    engine = create_server_engine(env["POCKETSYNC_DATABASE_URL"])
    with engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("c", None, "C", 0))
        pub.upsert_products(Product(f"S{i}", f"P{i}", "", "c", "piece") for i in range(50))
        pub.create_price_list(PriceList("P", "P", "EUR"))
        pub.set_prices_many("P", {f"S{i}": [PriceBreak(1, 100 + i)] for i in range(50)})
    engine.dispose()

    body = {"login": "shared@example.com", "password": USER_PASSWORD, "channel": "app"}
    phone = a.post("/v1/auth/login", json=body | {"device_id": "phone"}).json()["access_token"]
    tablet = b.post("/v1/auth/login", json=body | {"device_id": "tablet"}).json()["access_token"]
    mp = {"content-type": "application/msgpack"}
    ph, th = {"Authorization": f"Bearer {phone}"} | mp, {"Authorization": f"Bearer {tablet}"} | mp
    # both servers see the session opened on the other
    assert b.get("/v1/me", headers=ph).json()["user"]["device_id"] == "phone"
    assert a.get("/v1/me", headers=th).json()["user"]["device_id"] == "tablet"
    # the same manifest content and chunks from either server, signed with the same key
    envelopes = [
        c.post("/v1/sync/manifest", content=msgpack.packb({"cursors": {}}), headers=ph)
        for c in (a, b)
    ]
    trusted = TrustedKeys([bytes.fromhex(env["TEST_PUBLIC_KEY"])])
    assert all(open_manifest(e.content, trusted).customer_id for e in envelopes)
    manifests = [msgpack.unpackb(msgpack.unpackb(e.content)["manifest"]) for e in envelopes]
    assert manifests[0]["chunks"] == manifests[1]["chunks"]
    assert manifests[0]["partitions"] == manifests[1]["partitions"]
    for chunk in manifests[0]["chunks"]:
        bodies = [c.get(f"/v1/chunks/{chunk['sha256'].hex()}", headers=th).content for c in (b, a)]
        assert bodies[0] == bodies[1]
        assert len(bodies[0]) == chunk["length"]
    # remote state pushed through one server is pulled through the other
    now = int(time.time() * 1000)
    for seq, (client, qty) in enumerate([(a, 2), (b, 5), (a, 7)], start=1):
        push = PushRequest(
            b"P" * 16, (Envelope(seq, Hlc(now + seq, 0), 0, SetQty("S1", "piece", qty)),)
        )
        r = client.post("/v1/remote/push", content=pack(encode_push_request(push)), headers=ph)
        assert r.status_code == 200, r.text
    pulls = [
        decode_pull_response(
            unpack(
                c.post(
                    "/v1/remote/pull",
                    content=pack(encode_pull_request(PullRequest(b"T" * 16, None))),
                    headers=th,
                ).content
            )
        )
        for c in (a, b)
    ]
    assert [(x.sku, x.qty) for x in pulls[0].lines] == [("S1", 7)]
    assert pulls[0].lines == pulls[1].lines
    assert pulls[0].cookie == pulls[1].cookie
    # a password change through one server ends the session on the other
    r = a.post(
        "/v1/auth/password",
        headers={"Authorization": f"Bearer {phone}"},
        json={"current_password": USER_PASSWORD, "new_password": "changed phrase 8"},
    )
    assert r.status_code == 200
    r = b.get("/v1/me", headers=th)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "credentials_changed"
    a.close()
    b.close()
