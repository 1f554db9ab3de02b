"""Management API over HTTP: list/search/paging, create, edit, disable, sessions, delete, audit."""

from __future__ import annotations

from starlette.routing import Route

from server_ref.app import app_routes
from server_ref.openapi import document
from tests.server_ref.conftest import Live
from tests.server_ref.helpers import admin_token, bearer, create_account, login, login_ok


def test_account_management_is_reflected_in_app_logins(live: Live) -> None:
    h = bearer(admin_token(live))
    for i in range(7):
        create_account(live, f"user{i}@example.com", number=f"N{i}")
    page = live.client.get("/v1/admin/accounts", headers=h, params={"per_page": 3, "page": 3})
    assert page.status_code == 200
    assert page.json()["total"] == 7
    assert len(page.json()["items"]) == 1
    found = live.client.get("/v1/admin/accounts", headers=h, params={"q": "USER4"}).json()
    assert [a["login"] for a in found["items"]] == ["user4@example.com"]
    account = found["items"][0]
    aid = account["account_id"]
    url = f"/v1/admin/accounts/{aid}"

    r = live.client.patch(
        url, headers=h, json={"display_name": "Renamed", "price_list_id": "LIST-B"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["display_name"] == "Renamed"
    assert r.json()["customer"]["price_list_id"] == "LIST-B"
    assert live.client.patch(url, headers=h, json={"password_hash": "x"}).status_code == 400

    session = login_ok(live, "user4@example.com")
    assert session["customer"]["price_list_id"] == "LIST-B"
    sessions = live.client.get(f"{url}/sessions", headers=h).json()["items"]
    assert [s["channel"] for s in sessions] == ["app"]
    r = live.client.delete(f"/v1/admin/sessions/{sessions[0]['session_id']}", headers=h)
    assert r.status_code == 204
    r = live.client.get("/v1/me", headers=bearer(session["access_token"]))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "session_ended"

    assert live.client.post(f"{url}/disable", headers=h).json()["active"] is False
    assert login(live, "user4@example.com").status_code == 401
    assert live.client.post(f"{url}/enable", headers=h).json()["active"] is True
    session = login_ok(live, "user4@example.com")

    assert live.client.delete(url, headers=h).status_code == 204
    r = live.client.get("/v1/me", headers=bearer(session["access_token"]))
    assert r.status_code == 401
    assert r.json()["error"] == {
        "code": "account_deleted",
        "message": r.json()["error"]["message"],
        "wipe": True,
    }
    assert login(live, "user4@example.com").json()["error"]["code"] == "login_failed"
    # the next login on that phone is told to wipe what the deleted account left there
    create_account(live, "next@example.com", number="N-next")
    assert login_ok(live, "next@example.com", device="dev-1")["device_wipe"] is True

    audit = live.client.get("/v1/admin/audit", headers=h, params={"per_page": 100}).json()
    actions = {e["action"] for e in audit["items"]}
    assert {"user.create", "user.edit", "session.end", "user.disable", "user.delete"} <= actions
    assert live.client.post("/v1/admin/logout", headers=h).status_code == 204
    assert live.client.get("/v1/admin/audit", headers=h).status_code == 401


def test_create_account_conflict_leaves_no_orphan_customer(live: Live) -> None:
    h = bearer(admin_token(live))
    create_account(live, "taken@example.com", number="N1")
    r = live.client.post(
        "/v1/admin/accounts",
        headers=h,
        json={
            "login": "taken@example.com",
            "display_name": "Again",
            "initial_password": "another pass phrase 5",
            "customer": {"company_name": "Dup", "account_number": "N2", "price_list_id": "LIST-A"},
        },
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"
    # One transaction: no customer was created (and so none deleted again) for the attempt.
    audit = live.client.get("/v1/admin/audit", headers=h, params={"per_page": 100}).json()
    actions = [e["action"] for e in audit["items"]]
    assert actions.count("customer.create") == 1
    assert "customer.delete" not in actions
    assert live.services.admin.list_customers(include_deleted=True).total == 1
    # N2 was never taken: a new account may use it
    create_account(live, "fresh@example.com", number="N2")


def test_openapi_lists_every_route_and_nothing_else() -> None:
    served = set()
    for route in app_routes():
        assert isinstance(route, Route)
        for method in route.methods or ():
            if method != "HEAD":
                served.add((route.path, method.lower()))
    doc = document()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented


def test_openapi_is_served(live: Live) -> None:
    r = live.client.get("/openapi.json")
    assert r.status_code == 200
    assert r.json()["paths"]["/v1/auth/login"]["post"]
    assert live.client.get("/healthz").json() == {"status": "ok"}
