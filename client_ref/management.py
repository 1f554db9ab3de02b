"""A small client of the Management API and of the web channel (``docs/http-api.md``).

The demo and the tests use it the way an administrator's tool and the web shop would:
create accounts, set a password, delete an account, list sessions; log in on the web
channel, ask who is logged in, and sync the web shop's cart, favourites and settings
(a :class:`~pocketsync.remote.RemoteStateClient` outbox) over ``/v1/remote/push`` and
``/v1/remote/pull``.
"""

from __future__ import annotations

from typing import Any, cast

import httpx

from pocketsync.remote import (
    OpResult,
    RemoteStateClient,
    decode_pull_response,
    decode_push_response,
    encode_pull_request,
    encode_push_request,
    pack,
    unpack,
)
from pocketsync.remote.errors import MalformedResponseError

__all__ = ["ManagementClient", "WebSession"]

MSGPACK = "application/msgpack"
_MAX_GAP_RETRIES = 3
_MAX_PULL_ROUNDS = 5


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

    def _msgpack(self, path: str, body: bytes) -> httpx.Response:
        if self._token is None:
            raise RuntimeError("log in on the web channel first")
        return self._http.post(
            path,
            content=body,
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": MSGPACK},
        )

    def sync_remote(self, state: RemoteStateClient) -> tuple[OpResult, ...]:
        """Push ``state``'s outbox, then pull the merged state into it (``docs/merge.md``).

        ``state`` must be this user's store. A ``sequence_gap`` answer is handed to the store
        (it resends or renumbers). Returns the results of the pushed operations.

        Raises:
            RuntimeError: the server refused a request (the unsent operations stay queued).
            MalformedResponseError: an answer did not decode.
        """
        if state.account_id != self.user_id:
            raise RuntimeError("this remote-state store belongs to another account")
        results: list[OpResult] = []
        gaps = 0
        while (request := state.build_push()) is not None:
            answer = self._msgpack("/v1/remote/push", pack(encode_push_request(request)))
            if answer.status_code == 409 and gaps < _MAX_GAP_RETRIES:
                error = answer.json().get("error", {})
                if error.get("code") == "sequence_gap" and isinstance(error.get("last_seq"), int):
                    gaps += 1
                    state.handle_sequence_gap(error["last_seq"])
                    continue
            _checked(answer)
            pushed = decode_push_response(unpack(answer.content, MalformedResponseError))
            results.extend(state.apply_push_response(pushed))
        for _ in range(_MAX_PULL_ROUNDS):
            answer = _checked(
                self._msgpack("/v1/remote/pull", pack(encode_pull_request(state.build_pull())))
            )
            pulled = decode_pull_response(unpack(answer.content, MalformedResponseError))
            if state.apply_pull_response(pulled):
                break
        return tuple(results)
