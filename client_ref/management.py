"""A small client of the Management API and of the web channel (``docs/http-api.md``).

The demo and the tests use it the way an administrator's tool and the web shop would:
create accounts, set a password, delete an account, list sessions; log in on the web
channel and ask who is logged in.
"""

from __future__ import annotations

from typing import Any, cast

import httpx

__all__ = ["ManagementClient", "WebSession"]


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response


class ManagementClient:
    """An administrator session on the Management API.

    Raises ``RuntimeError`` (with the server's answer) for any refused request.
    """

    def __init__(self, server_url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=server_url, transport=transport, timeout=30.0)
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def login(self, login: str, password: str) -> None:
        answer = _checked(
            self._http.post("/v1/admin/login", json={"login": login, "password": password})
        )
        self._token = str(answer.json()["token"])

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            raise RuntimeError("log in as an administrator first")
        return {"Authorization": f"Bearer {self._token}"}

    def create_account(
        self,
        *,
        login: str,
        password: str,
        display_name: str,
        company_name: str,
        account_number: str,
        price_list_id: str,
        account_type: str = "b2b",
    ) -> dict[str, Any]:
        """Create a customer and its user with an initial password; return the account."""
        body = {
            "login": login,
            "display_name": display_name,
            "email": login if "@" in login else None,
            "initial_password": password,
            "must_change_password": False,
            "customer": {
                "company_name": company_name,
                "account_number": account_number,
                "price_list_id": price_list_id,
                "account_type": account_type,
            },
        }
        answer = _checked(self._http.post("/v1/admin/accounts", json=body, headers=self._headers()))
        return cast(dict[str, Any], answer.json())

    def set_password(self, account_id: str, new_password: str, *, must_change: bool) -> None:
        """Set the account's password; every session of the account ends."""
        _checked(
            self._http.post(
                f"/v1/admin/accounts/{account_id}/password",
                json={"new_password": new_password, "must_change": must_change},
                headers=self._headers(),
            )
        )

    def delete_account(self, account_id: str) -> None:
        """Delete the account (its devices wipe on next contact)."""
        _checked(self._http.delete(f"/v1/admin/accounts/{account_id}", headers=self._headers()))

    def sessions(self, account_id: str) -> list[dict[str, Any]]:
        """The account's open sessions."""
        answer = _checked(
            self._http.get(f"/v1/admin/accounts/{account_id}/sessions", headers=self._headers())
        )
        return cast(list[dict[str, Any]], answer.json()["items"])


class WebSession:
    """A web-channel login (the web shop's session) over the Account API."""

    def __init__(self, server_url: str) -> None:
        self._http = httpx.Client(base_url=server_url, timeout=30.0)
        self._token: str | None = None
        self.user_id: str | None = None

    def close(self) -> None:
        self._http.close()

    def login(self, login: str, password: str, device_id: str) -> None:
        answer = _checked(
            self._http.post(
                "/v1/auth/login",
                json={
                    "login": login,
                    "password": password,
                    "channel": "web",
                    "device_id": device_id,
                },
            )
        )
        body = answer.json()
        self._token = str(body["access_token"])
        self.user_id = str(body["user"]["user_id"])

    def me_status(self) -> tuple[int, str | None]:
        """``GET /v1/me``: the status and, for an error, its code."""
        answer = self._http.get("/v1/me", headers={"Authorization": f"Bearer {self._token}"})
        if answer.status_code >= 400:
            return answer.status_code, str(answer.json()["error"]["code"])
        return answer.status_code, None
