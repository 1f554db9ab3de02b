"""Setup through the server's own API (administrator, accounts) and the catalog publisher."""

from __future__ import annotations

from typing import Any

import httpx

from pocketsync.catalog import Category, PriceBreak, PriceList, Product, Publisher
from tests.server_ref.conftest import ADMIN_LOGIN, ADMIN_PASSWORD, Live

PASSWORD = "first pass phrase 1"
NEW_PASSWORD = "second pass phrase 2"


def admin_token(live: Live) -> str:
    """Create the administrator (library bootstrap, like the CLI) and log in over HTTP."""
    if "admin_token" not in live.extra:
        live.services.admin.create_admin(ADMIN_LOGIN, ADMIN_PASSWORD, display_name="Root")
        r = live.client.post(
            "/v1/admin/login", json={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD}
        )
        assert r.status_code == 200, r.text
        live.extra["admin_token"] = r.json()["token"]
    return str(live.extra["admin_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_account(
    live: Live,
    login: str,
    *,
    password: str = PASSWORD,
    account_type: str = "b2b",
    price_list_id: str = "LIST-A",
    number: str | None = None,
) -> dict[str, Any]:
    r = live.client.post(
        "/v1/admin/accounts",
        headers=bearer(admin_token(live)),
        json={
            "login": login,
            "display_name": login.split("@")[0].title(),
            "email": login,
            "initial_password": password,
            "must_change_password": False,
            "customer": {
                "company_name": f"{login} Ltd",
                "account_number": number or f"ACC-{login}",
                "price_list_id": price_list_id,
                "account_type": account_type,
            },
        },
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def login(
    live: Live, name: str, password: str = PASSWORD, *, channel: str = "app", device: str = "dev-1"
) -> httpx.Response:
    return live.client.post(
        "/v1/auth/login",
        json={"login": name, "password": password, "channel": channel, "device_id": device},
    )


def login_ok(live: Live, name: str, password: str = PASSWORD, **kw: str) -> dict[str, Any]:
    r = login(live, name, password, **kw)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def publish_catalog(live: Live, *, products: int = 300) -> None:
    """Two categories, ``products`` products, price lists LIST-A and LIST-B."""
    with live.services.engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("tools", None, "Tools", 0))
        pub.upsert_category(Category("paint", None, "Paint", 1))
        pub.upsert_products(
            Product(
                sku=f"SKU-{i:05d}",
                name=f"Product {i}",
                description="x" * (i % 40),
                category_id=("tools", "paint")[i % 2],
                unit="piece",
                pack_size=1 + i % 3,
            )
            for i in range(products)
        )
        for plid, base in (("LIST-A", 1000), ("LIST-B", 2000)):
            pub.create_price_list(PriceList(plid, plid, "EUR"))
            pub.set_prices_many(
                plid, {f"SKU-{i:05d}": [PriceBreak(1, base + i)] for i in range(products)}
            )
