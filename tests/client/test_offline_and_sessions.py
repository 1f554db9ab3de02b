"""Server down, password changed elsewhere, account deleted, token refresh."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from client_ref.management import ManagementClient
from pocketsync.client import (
    AccountDeletedError,
    CredentialsChangedError,
    LoginFailedError,
    ServerUnreachableError,
    TradeAccountsOnlyError,
)
from pocketsync.clock import SystemClock
from pocketsync.remote import client_file
from tests.client.live import (
    ADMIN,
    ADMIN_PASSWORD,
    NAMED,
    OTHER_USER,
    PASSWORD,
    SINGLY,
    USER,
    Live,
)


def _admin(live: Live) -> ManagementClient:
    admin = ManagementClient(live.url)
    admin.login(ADMIN, ADMIN_PASSWORD)
    return admin


def _account_id(admin: ManagementClient, live: Live, login: str) -> str:
    import httpx

    answer = httpx.get(
        live.url + "/v1/admin/accounts",
        params={"q": login},
        headers=admin._headers(),
    )
    return str(answer.json()["items"][0]["account_id"])


def test_server_down_local_work_continues_and_reaches_server_later(
    live: Live, tmp_path: Path
) -> None:
    phone = live.client(tmp_path / "phone")
    phone.login(USER, PASSWORD)
    phone.sync()
    phone.close()
    live.server.stop()

    phone = live.client(tmp_path / "phone")  # the app restarted while the server is down
    assert phone.status().logged_in
    assert phone.search(NAMED.name)
    assert phone.price_at(NAMED.sku, 1) is not None
    phone.cart_add(SINGLY[0].sku, 2)
    phone.setting_put("cost_centre", "CC-12")
    with pytest.raises(ServerUnreachableError):
        phone.sync()
    assert phone.status().online is False
    assert phone.status().pending_operations == 2
    assert [(x.sku, x.qty) for x in phone.cart()] == [(SINGLY[0].sku, 2)]

    live.server.start()
    phone.sync()
    assert phone.status().pending_operations == 0
    assert phone.status().online is True
    other = live.client(tmp_path / "other")
    other.login(USER, PASSWORD)
    other.sync_remote()
    assert [(x.sku, x.qty) for x in other.cart()] == [(SINGLY[0].sku, 2)]
    assert other.settings()["cost_centre"] == "CC-12"
    phone.close()
    other.close()


def test_credentials_changed_stops_sync_and_keeps_outbox(live: Live, tmp_path: Path) -> None:
    phone = live.client(tmp_path / "phone")
    phone.login(USER, PASSWORD)
    phone.sync()
    phone.cart_add(SINGLY[1].sku, 1)
    admin = _admin(live)
    admin.set_password(_account_id(admin, live, USER), "a brand new pass 9", must_change=False)
    with pytest.raises(CredentialsChangedError):
        phone.sync()
    status = phone.status()
    assert not status.logged_in
    assert status.login_required == "credentials_changed"
    assert status.pending_operations == 1
    with pytest.raises(CredentialsChangedError):
        phone.sync_remote()  # no request until a new login
    assert phone.search(NAMED.name), "the catalog stays usable"
    with pytest.raises(LoginFailedError):
        phone.login(USER, PASSWORD)
    phone.login(USER, "a brand new pass 9")
    phone.sync()
    assert phone.status().pending_operations == 0
    assert [(x.sku, x.qty) for x in phone.cart()] == [(SINGLY[1].sku, 1)]
    admin.close()
    phone.close()


def test_user_password_change_ends_other_sessions(live: Live, tmp_path: Path) -> None:
    a, b = live.client(tmp_path / "a"), live.client(tmp_path / "b")
    a.login(USER, PASSWORD)
    b.login(USER, PASSWORD)
    a.change_password(PASSWORD, "my own new pass 5")
    a.sync_remote()  # this session continues
    with pytest.raises(CredentialsChangedError):
        b.sync_remote()
    a.close()
    b.close()


def test_account_deleted_wipes_everything_of_it(live: Live, tmp_path: Path) -> None:
    folder = tmp_path / "phone"
    phone = live.client(folder)
    account = phone.login(OTHER_USER, PASSWORD)
    phone.sync()
    phone.cart_add(SINGLY[0].sku, 1)
    admin = _admin(live)
    admin.delete_account(_account_id(admin, live, OTHER_USER))
    with pytest.raises(AccountDeletedError):
        phone.sync()
    assert phone.status().account is None
    assert not list(folder.rglob("catalog.db*"))
    assert not (folder / "session.json").exists()
    remote = client_file(folder / "remote", account.user_id)
    assert not list(remote.parent.glob(remote.name + "*"))
    admin.close()
    phone.close()


def test_b2c_login_refused(live: Live, tmp_path: Path) -> None:
    phone = live.client(tmp_path / "phone")
    with pytest.raises(TradeAccountsOnlyError):
        phone.login("consumer@example.com", PASSWORD)
    assert phone.status().account is None
    phone.close()


@dataclass
class _Later:
    offset_ms: int = 0

    def now_ms(self) -> int:
        return SystemClock().now_ms() + self.offset_ms


def test_expiring_access_token_is_refreshed(live: Live, tmp_path: Path) -> None:
    clock = _Later()
    phone = live.client(tmp_path / "phone", clock=clock)
    phone.login(USER, PASSWORD)
    before = (tmp_path / "phone" / "session.json").read_text()
    session = phone._auth.session
    assert session is not None
    assert session.tokens is not None
    clock.offset_ms = session.tokens.access_expires_ms - clock.now_ms()  # at expiry
    phone.sync_remote()
    assert (tmp_path / "phone" / "session.json").read_text() != before  # rotated, saved
    phone.close()
