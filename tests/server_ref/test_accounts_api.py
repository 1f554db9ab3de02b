"""Account flows over HTTP for both channels (real uvicorn, SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from tests.server_ref.conftest import Live
from tests.server_ref.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    admin_token,
    bearer,
    create_account,
    login,
    login_ok,
)


def _code(r: object) -> str:
    import httpx

    assert isinstance(r, httpx.Response)
    assert r.headers["content-type"].startswith("application/json")
    return str(r.json()["error"]["code"])


def test_password_change_on_web_ends_the_app_session(live: Live) -> None:
    create_account(live, "buyer@example.com")
    web = login_ok(live, "buyer@example.com", channel="web", device="browser")
    app = login_ok(live, "buyer@example.com", channel="app", device="phone")
    assert live.client.get("/v1/me", headers=bearer(app["access_token"])).status_code == 200
    assert app["customer"]["account_type"] == "b2b"

    r = live.client.post(
        "/v1/auth/password",
        headers=bearer(web["access_token"]),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert r.status_code == 200, r.text
    fresh = r.json()["access_token"]

    r = live.client.get("/v1/me", headers=bearer(app["access_token"]))
    assert r.status_code == 401
    assert _code(r) == "credentials_changed"
    assert live.client.get("/v1/me", headers=bearer(fresh)).status_code == 200
    assert _code(login(live, "buyer@example.com", PASSWORD)) == "login_failed"
    login_ok(live, "buyer@example.com", NEW_PASSWORD)


class _NoAdmin:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the customer side called AdminService.{name}")


def test_login_and_me_name_the_customer_without_the_admin_service(live: Live) -> None:
    create_account(live, "buyer@example.com", number="ACC-77")
    h = bearer(admin_token(live))
    admin = live.services.admin
    live.services.admin = _NoAdmin()  # type: ignore[assignment]
    try:
        body = login_ok(live, "buyer@example.com", channel="web", device="browser")
        customer = body["customer"]
        assert customer["company_name"] == "buyer@example.com Ltd"
        assert customer["account_number"] == "ACC-77"
        assert (customer["price_list_id"], customer["account_type"]) == ("LIST-A", "b2b")
        me = live.client.get("/v1/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200, me.text
        assert me.json()["customer"] == customer
        assert me.json()["user"]["login"] == "buyer@example.com"
    finally:
        live.services.admin = admin
    account_id = body["user"]["user_id"]
    r = live.client.patch(
        f"/v1/admin/accounts/{account_id}", headers=h, json={"company_name": "Renamed Ltd"}
    )
    assert r.status_code == 200, r.text
    me = live.client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.json()["customer"]["company_name"] == "Renamed Ltd"


def test_password_change_in_the_app_ends_the_web_session(live: Live) -> None:
    create_account(live, "buyer@example.com")
    web = login_ok(live, "buyer@example.com", channel="web", device="browser")
    app = login_ok(live, "buyer@example.com", channel="app", device="phone")
    r = live.client.post(
        "/v1/auth/password",
        headers=bearer(app["access_token"]),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert r.status_code == 200
    r = live.client.get("/v1/me", headers=bearer(web["access_token"]))
    assert r.status_code == 401
    assert _code(r) == "credentials_changed"


def test_admin_password_change_ends_both_sessions(live: Live) -> None:
    account = create_account(live, "buyer@example.com")
    web = login_ok(live, "buyer@example.com", channel="web", device="browser")
    app = login_ok(live, "buyer@example.com", channel="app", device="phone")
    r = live.client.post(
        f"/v1/admin/accounts/{account['account_id']}/password",
        headers=bearer(admin_token(live)),
        json={"new_password": NEW_PASSWORD, "must_change": False},
    )
    assert r.status_code == 204, r.text
    for session in (web, app):
        r = live.client.get("/v1/me", headers=bearer(session["access_token"]))
        assert r.status_code == 401
        assert _code(r) == "credentials_changed"
    login_ok(live, "buyer@example.com", NEW_PASSWORD, channel="app")


def test_b2c_refused_on_app_and_accepted_on_web(live: Live) -> None:
    create_account(live, "consumer@example.com", account_type="b2c")
    r = login(live, "consumer@example.com", channel="app")
    assert r.status_code == 403
    assert _code(r) == "trade_accounts_only"
    assert "trade accounts" in r.json()["error"]["message"]
    login_ok(live, "consumer@example.com", channel="web")


def test_login_failures_are_byte_identical(live: Live) -> None:
    account = create_account(live, "buyer@example.com")
    create_account(live, "off@example.com", number="ACC-2")
    off = live.client.get(
        "/v1/admin/accounts", headers=bearer(admin_token(live)), params={"q": "off@"}
    )
    off_id = off.json()["items"][0]["account_id"]
    live.client.post(f"/v1/admin/accounts/{off_id}/disable", headers=bearer(admin_token(live)))
    unknown = login(live, "nobody@example.com")
    wrong = login(live, "buyer@example.com", "not the password 9")
    disabled = login(live, "off@example.com")
    assert unknown.status_code == wrong.status_code == disabled.status_code == 401
    assert unknown.content == wrong.content == disabled.content
    assert _code(unknown) == "login_failed"
    assert account["login"] == "buyer@example.com"


def test_refresh_logout_and_expired_tokens(live: Live) -> None:
    create_account(live, "buyer@example.com")
    s = login_ok(live, "buyer@example.com")
    live.clock.advance(16 * 60_000)  # past the 15-minute access token lifetime
    r = live.client.get("/v1/me", headers=bearer(s["access_token"]))
    assert r.status_code == 401
    assert _code(r) == "session_expired"
    assert r.headers["www-authenticate"] == "Bearer"
    r = live.client.post("/v1/auth/refresh", json={"refresh_token": s["refresh_token"]})
    assert r.status_code == 200, r.text
    pair = r.json()
    assert live.client.get("/v1/me", headers=bearer(pair["access_token"])).status_code == 200
    r = live.client.post("/v1/auth/refresh", json={"refresh_token": s["refresh_token"]})
    assert r.status_code == 401
    assert _code(r) == "invalid_token"
    assert (
        live.client.post("/v1/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    )
    r = live.client.get("/v1/me", headers=bearer(pair["access_token"]))
    assert r.status_code == 401
    assert _code(r) == "session_ended"


def test_password_reset_by_mail_ends_all_sessions(live: Live) -> None:
    create_account(live, "buyer@example.com")
    app = login_ok(live, "buyer@example.com")
    known = live.client.post("/v1/auth/password-reset", json={"login": "buyer@example.com"})
    unknown = live.client.post("/v1/auth/password-reset", json={"login": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert len(live.mailer.sent) == 1
    match = re.search(r"token=([A-Za-z0-9_\-]+)", live.mailer.sent[0].link)
    assert match
    token = match.group(1)
    r = live.client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert r.status_code == 204, r.text
    r = live.client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": "third phrase 3"}
    )
    assert r.status_code == 400
    assert _code(r) == "reset_token_invalid"
    r = live.client.get("/v1/me", headers=bearer(app["access_token"]))
    assert r.status_code == 401
    assert _code(r) == "credentials_changed"
    login_ok(live, "buyer@example.com", NEW_PASSWORD, channel="web")


def test_throttled_login_says_when_to_retry(live: Live) -> None:
    create_account(live, "buyer@example.com")
    codes = [login(live, "buyer@example.com", f"wrong guess {i}").status_code for i in range(12)]
    assert 429 in codes
    r = login(live, "buyer@example.com")
    assert r.status_code == 429
    assert _code(r) == "throttled"
    assert int(r.headers["retry-after"]) >= 1
