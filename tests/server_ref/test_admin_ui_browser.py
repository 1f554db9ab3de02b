"""The Management Interface in headless Chromium (the system browser, never a download).

Each step in the browser is checked by an app-channel login through the API.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server_ref.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, Live
from tests.server_ref.helpers import NEW_PASSWORD, PASSWORD, bearer, login, login_ok

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (.ci/run installs chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def test_manage_an_account_in_the_browser(live: Live, browser: Any) -> None:
    live.services.admin.create_admin(ADMIN_LOGIN, ADMIN_PASSWORD, display_name="Root")
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live.url + "/admin/accounts")
        assert page.url.endswith("/admin/login")  # not logged in
        page.fill("#login", ADMIN_LOGIN)
        page.fill("#password", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/accounts")
        cookie = next(c for c in context.cookies() if c["name"] == "ps_admin")
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Strict"
        assert page.locator("meta[name=viewport]").count() == 1

        # create a B2B account
        page.click("text=Create account")
        page.fill("#company_name", "Browser Trade Ltd")
        page.fill("#account_number", "BR-1")
        page.fill("#price_list_id", "LIST-A")
        page.select_option("#account_type", "b2b")
        page.fill("#login", "browser@example.com")
        page.fill("#display_name", "Browser Buyer")
        page.fill("#email", "browser@example.com")
        page.fill("#initial_password", PASSWORD)
        page.uncheck("input[name=must_change_password]")
        page.click("button:has-text('Create account')")
        page.wait_for_selector("text=Account created.")
        session = login_ok(live, "browser@example.com", PASSWORD, device="phone")
        assert session["customer"]["company_name"] == "Browser Trade Ltd"

        # change its password: the app session ends, the new password works
        page.fill("#new_password", NEW_PASSWORD)
        page.uncheck("input[name=must_change]")
        page.click("button:has-text('Change password')")
        page.wait_for_selector("text=Password changed")
        r = live.client.get("/v1/me", headers=bearer(session["access_token"]))
        assert r.json()["error"]["code"] == "credentials_changed"
        assert login(live, "browser@example.com", PASSWORD).status_code == 401
        session = login_ok(live, "browser@example.com", NEW_PASSWORD, device="phone")

        # end that session from its row
        page.reload()
        page.click("button:has-text('End session')")
        page.wait_for_selector("text=Session ended.")
        r = live.client.get("/v1/me", headers=bearer(session["access_token"]))
        assert r.json()["error"]["code"] == "session_ended"
        assert page.locator("text=No open sessions.").count() == 1

        # a form post without its CSRF token (a cross-site forgery) is refused
        forged = live.client.post(
            page.url.split("?")[0].removeprefix(live.url) + "/password",
            data={"new_password": "forged phrase 99"},
            headers={"Cookie": f"ps_admin={cookie['value']}"},
        )
        assert forged.status_code == 403
        assert forged.json()["error"]["code"] == "csrf_failed"

        # delete, with the confirmation step
        page.click("text=Delete this account")
        page.wait_for_url("**/delete")
        page.check("input[name=confirm]")
        page.click("button:has-text('Delete account')")
        page.wait_for_selector("text=Account deleted.")
        assert login(live, "browser@example.com", NEW_PASSWORD).json()["error"]["code"] == (
            "login_failed"
        )
        page.click("text=Audit log")
        assert page.locator("td:has-text('user.delete')").count() == 1
    finally:
        context.close()
