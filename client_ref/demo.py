"""``make demo``: the whole product lifecycle against a real server on loopback.

It creates a temporary folder, sets up the reference server there with its own commands
(``migrate``, ``keygen``, ``create-admin``, ``seed-demo-catalog`` with ``DEMO_PRODUCTS``
products, 100,000 by default), starts ``pocketsync-server serve`` on a free loopback port
on the embedded SQLite default, creates a trade (B2B) and a consumer (B2C) account
through the Management API, and walks two phones (two client data folders) and a web
session through the promises of the product. Every promise is checked and printed with
the time its step took; the exit status is 1 if any failed. The server is always stopped.

The web shop is a client like the phones: it logs in on the web channel over HTTP and keeps
its cart, favourites and settings edits in its own ``RemoteStateClient`` outbox, which it
pushes and pulls over ``/v1/remote/push`` and ``/v1/remote/pull`` (both accept web and app
sessions). Nothing in the demo touches the server's database: what "the server has" is
checked by a fresh pull over HTTP.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from client_ref.airplane import AirplaneModeTransport
from client_ref.management import ManagementClient, WebSession
from client_ref.progress import SyncProgressBar
from client_ref.server_process import ServerProcess, prepare_server
from pocketsync.client import (
    CredentialsChangedError,
    PocketSyncClient,
    RetryPolicy,
    ServerUnreachableError,
    TradeAccountsOnlyError,
)
from pocketsync.clock import SystemClock
from pocketsync.remote import RemoteStateClient, RemoteView
from server_ref.demo_catalog import demo_sample, sold_singly

__all__ = ["main", "run_demo"]

T = TypeVar("T")
ADMIN_LOGIN = "admin@pocketshop.example"
ADMIN_PASSWORD = "demo admin pass phrase"  # noqa: S105 - a throwaway local demo server
BUYER = "buyer@acme.example"
BUYER_PASSWORD = "acme buyer pass 1"  # noqa: S105
BUYER_NEW_PASSWORD = "acme buyer pass 2"  # noqa: S105
CONSUMER = "someone@home.example"
WEB_DEVICE = "web-browser-1"


@dataclass(frozen=True, slots=True)
class Picks:
    """The products the walk-through uses, picked by their properties from the generator
    that ``seed-demo-catalog --products N`` publishes (``server_ref.demo_catalog``)."""

    skus: tuple[str, ...]  # active, pack size 1, minimum 1: quantities stay as typed
    last: str  # the last product generated
    query: str  # a product name, to search for

    @classmethod
    def of(cls, products: int) -> Picks:
        sample = demo_sample(products)
        singly = sample.products_where(sold_singly, limit=6)
        if len(singly) < 6:
            raise RuntimeError("the demo catalog is too small; use DEMO_PRODUCTS of at least 200")
        return cls(tuple(p.sku for p in singly), sample.product(products - 1).sku, singly[0].name)


def _summary(view: RemoteView) -> dict[str, Any]:
    return {
        "cart": {(line.sku, line.unit): line.qty for line in view.lines},
        "favourites": [f.sku for f in view.favourites],
        "settings": dict(view.settings),
    }


class Walkthrough:
    """Prints numbered steps with their timing and records every checked promise."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.failed: list[str] = []
        self.passed = 0
        self._n = 0

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        self._n += 1
        self.out.print(f"\n[bold]{self._n}. {title}[/bold]")
        started = time.monotonic()
        try:
            yield
        finally:
            self.out.print(f"   [dim]({time.monotonic() - started:.2f} s)[/dim]")

    def check(self, ok: bool, promise: str) -> bool:
        if ok:
            self.passed += 1
            self.out.print(f"   [green]✓[/green] {promise}", highlight=False)
        else:
            self.failed.append(promise)
            self.out.print(f"   [red]✗ {promise}[/red]", highlight=False)
        return ok

    def note(self, text: str) -> None:
        self.out.print(f"   {text}", highlight=False)

    def timed(self, fn: Callable[[], T]) -> tuple[T, float]:
        started = time.perf_counter()
        value = fn()
        return value, time.perf_counter() - started


class WebShop:
    """The web shop for one web-channel login.

    Its cart, favourites and settings edits go into a :class:`RemoteStateClient` outbox (a
    folder of its own) that :meth:`sync` pushes and pulls over HTTP, exactly like a phone's.
    ``server_view`` pulls into a second, never-edited store: what any device logging in now
    would be shown.
    """

    def __init__(self, session: WebSession, folder: Path) -> None:
        if session.user_id is None:
            raise RuntimeError("log the web session in first")
        clock = SystemClock()
        self.session = session
        self.state = RemoteStateClient.open(folder / "cart", session.user_id, clock, os.urandom)
        self._observer = RemoteStateClient.open(
            folder / "observer", session.user_id, clock, os.urandom
        )

    def sync(self) -> None:
        """Push the queued edits and pull the merged state (over HTTP)."""
        self.session.sync_remote(self.state)

    def server_view(self) -> RemoteView:
        """The server's state, as a pull over HTTP brings it (nothing queued on top)."""
        self.session.sync_remote(self._observer)
        return self._observer.view()

    def close(self) -> None:
        self.state.close()
        self._observer.close()
        self.session.close()


class Phone:
    """A client data folder with an airplane-mode switch."""

    def __init__(self, name: str, folder: Path, server: ServerProcess, key: str) -> None:
        self.name = name
        self.folder = folder
        self.network = AirplaneModeTransport()
        self._server, self._key = server, key
        self.client = self._open()

    def _open(self) -> PocketSyncClient:
        return PocketSyncClient(
            self.folder,
            self._server.url,
            [self._key],
            transport=self.network,
            retry=RetryPolicy(attempts=3, base_delay_s=0.05, max_delay_s=0.5),
        )

    def restart(self) -> None:
        """Close the app and start it again (a new process would see the same)."""
        self.client.close()
        self.network = AirplaneModeTransport()
        self.client = self._open()


def _initial_sync(w: Walkthrough, phone: Phone, picks: Picks) -> None:
    with SyncProgressBar(w.out, enabled=w.out.is_terminal) as bar:
        report, seconds = w.timed(lambda: phone.client.sync(progress=bar))
    c = report.catalog
    w.note(
        f"{phone.name}: {c.rows_upserted:,} rows in {c.chunks_fetched} chunks, "
        f"{c.bytes_fetched / 1e6:.2f} MB, {seconds:.2f} s ({c.rows_upserted / seconds:,.0f} rows/s)"
    )
    w.check(c.kind == "full_reset", f"{phone.name}: the initial sync loaded a full catalog")
    hits, q = w.timed(lambda: phone.client.search(picks.query, limit=5))
    w.check(bool(hits), f"{phone.name}: search answers from the local copy ({q * 1000:.1f} ms)")
    last = picks.last
    w.check(
        phone.client.product(last) is not None, f"{phone.name}: the last product {last} is there"
    )
    w.check(phone.client.price_at(picks.skus[0], 10) is not None, f"{phone.name}: prices are there")


def run_demo(products: int, base: Path, out: Console) -> Walkthrough:
    """Run the walk-through in ``base``; return it with its passed and failed promises."""
    w = Walkthrough(out)
    picks = Picks.of(products)
    sku = picks.skus
    with w.step(f"Set up the server: migrate, keygen, create-admin, seed {products:,} products"):
        setup = prepare_server(
            base / "server", products=products, admin_login=ADMIN_LOGIN,
            admin_password=ADMIN_PASSWORD,
        )  # fmt: skip
        w.note(f"pinned public key {setup.public_key_hex[:16]}…")
    server = ServerProcess(setup.data_dir)
    phones: list[Phone] = []
    web_shop: WebShop | None = None
    admin = ManagementClient("http://127.0.0.1")  # replaced once the port is known
    try:
        with w.step("Start pocketsync-server on a loopback port (embedded SQLite)"):
            server.start()
            w.note(f"listening on {server.url}")
            admin.close()
            admin = ManagementClient(server.url)
            admin.login(ADMIN_LOGIN, ADMIN_PASSWORD)
            buyer = admin.create_account(
                login=BUYER, password=BUYER_PASSWORD, display_name="Alex Buyer",
                company_name="Acme Hardware Ltd", account_number="ACME-0001",
                price_list_id="DEMO-1",
            )  # fmt: skip
            admin.create_account(
                login=CONSUMER, password=BUYER_PASSWORD, display_name="Sam Someone",
                company_name="Sam Someone", account_number="B2C-0001", price_list_id="DEMO-1",
                account_type="b2c",
            )  # fmt: skip
            w.check(True, "a B2B and a B2C account were created through the Management API")
        a = Phone("phone A", base / "phone-a", server, setup.public_key_hex)
        b = Phone("phone B", base / "phone-b", server, setup.public_key_hex)
        phones += [a, b]
        for phone in (a, b):
            with w.step(f"Log in on {phone.name} and run the initial sync"):
                account = phone.client.login(BUYER, BUYER_PASSWORD)
                w.note(f"logged in as {account.display_name} of {account.company_name}")
                _initial_sync(w, phone, picks)
        unit = {s: (a.client.product(s) or _missing(s)).unit for s in sku}
        web = WebSession(server.url)
        web.login(BUYER, BUYER_PASSWORD, device_id=WEB_DEVICE)
        web_shop = WebShop(web, base / "web")

        with w.step("Offline edits on both phones, and on the web"):
            a.network.offline = b.network.offline = True
            a.client.cart_add(sku[0], 5)
            a.client.cart_add(sku[1], 2)
            a.client.fav_add(sku[2])
            a.client.setting_put("default_delivery_address", "Dock 4")
            b.client.cart_add(sku[0], 3)
            b.client.fav_add(sku[3])
            b.client.setting_put("default_category_view", "list")
            web_shop.state.add_line(sku[4], unit[sku[4]], 1)
            web_shop.state.setting_put("order_reference", "PO-4711")
            web_shop.sync()  # the web shop is online: over HTTP, on its web-channel session
            w.check(
                not web_shop.state.pending()
                and (sku[4], unit[sku[4]]) in _summary(web_shop.server_view())["cart"],
                "the web session's edits reached the server over /v1/remote/push",
            )
            try:
                a.client.sync()
                offline_refused = False
            except ServerUnreachableError:
                offline_refused = True
            w.check(offline_refused, "phone A offline: sync reports the server unreachable")
            w.check(a.client.status().online is False, "phone A's status says offline")
            w.check(
                a.client.status().pending_operations == 4 and len(a.client.cart()) == 2,
                "phone A shows its 4 queued edits in the cart at once",
            )
            w.check(bool(a.client.search(picks.query)), "phone A still searches offline")

        with w.step("Reconnect both phones and merge"):
            a.network.offline = b.network.offline = False
            a.client.sync()
            b.client.sync()
            a.client.sync()
            web_shop.sync()
            expected: dict[str, Any] = {
                "cart": {
                    (sku[0], unit[sku[0]]): 8,
                    (sku[1], unit[sku[1]]): 2,
                    (sku[4], unit[sku[4]]): 1,
                },
                "favourites": sorted([sku[2], sku[3]]),
                "settings": {
                    "default_delivery_address": "Dock 4",
                    "default_category_view": "list",
                    "order_reference": "PO-4711",
                },
            }
            views = {
                "phone A": _summary(a.client.view()),
                "phone B": _summary(b.client.view()),
                "web": _summary(web_shop.state.view()),
                "server": _summary(web_shop.server_view()),
            }
            for name, got in views.items():
                got["favourites"] = sorted(got["favourites"])
                w.check(got == expected, f"{name} shows the merged state (5 + 3 = 8 of {sku[0]})")
                if got != expected:
                    w.note(f"{name}: {got}")

        with w.step("Log out on phone A: flush, then wipe"):
            report = a.client.logout()
            w.check(report.flushed and report.kept_operations == 0, "the outbox was flushed")
            left = sorted(p.name for p in a.folder.rglob("catalog.db*"))
            w.check(
                not left and not report.catalog_files_left,
                "no catalog file is left (catalog.db, -wal, -shm, -journal)",
            )
            w.check(a.client.status().account is None, "phone A is logged out")
            w.check(web.me_status()[0] == 200, "the web session is unaffected")

        with w.step("Phone B logs out while offline; its queued edit is kept"):
            b.network.offline = True
            b.client.cart_add(sku[5], 4)
            report = b.client.logout()
            w.check(
                not report.flushed and report.kept_operations == 1,
                "offline logout keeps the 1 queued edit for this account's next login",
            )
            w.check(not report.catalog_files_left, "phone B's catalog is wiped")
            b.network.offline = False
            expected["cart"][(sku[5], unit[sku[5]])] = 4

        with w.step("Log in on phone B again: catalog, cart, favourites and settings restored"):
            b.client.login(BUYER, BUYER_PASSWORD)
            _initial_sync(w, b, picks)
            got = _summary(b.client.view())
            got["favourites"] = sorted(got["favourites"])
            w.check(got == expected, "phone B restored everything, and sent its kept edit")
            server_got = _summary(web_shop.server_view())
            server_got["favourites"] = sorted(server_got["favourites"])
            w.check(server_got == expected, "the server has the same state")

        with w.step("Restart the app on phone B with the server down"):
            b.restart()
            server.stop()
            status = b.client.status()
            w.check(status.logged_in and status.catalog_loaded, "still logged in after a restart")
            hits, q = w.timed(lambda: b.client.search(picks.query, limit=5))
            w.check(bool(hits), f"catalog queries answer at once ({q * 1000:.1f} ms)")
            b.client.cart_set(sku[5], 6)
            try:
                b.client.sync()
                unreachable = False
            except ServerUnreachableError:
                unreachable = True
            w.check(
                unreachable and b.client.status().pending_operations == 1,
                "the edit is queued while the server is down",
            )
            server.start()
            b.client.sync()
            server_cart = _summary(web_shop.server_view())["cart"]
            w.check(
                server_cart.get((sku[5], unit[sku[5]])) == 6
                and b.client.status().pending_operations == 0,
                "the queued edit reached the server once it was back",
            )

        with w.step("An administrator changes the password: other sessions end"):
            b.client.cart_add(sku[1], 1)  # queued, not yet sent
            web_shop.state.setting_put("order_reference", "PO-4712")  # queued on the web too
            admin.set_password(str(buyer["account_id"]), BUYER_NEW_PASSWORD, must_change=False)
            try:
                b.client.sync()
                stopped = False
            except CredentialsChangedError:
                stopped = True
            status = b.client.status()
            w.check(stopped, "phone B's sync stops with 'credentials changed'")
            w.check(
                status.login_required == "credentials_changed" and status.pending_operations == 1,
                "phone B asks for a login and keeps its queued edit",
            )
            w.check(web.me_status() == (401, "credentials_changed"), "the web session has ended")
            try:
                web_shop.sync()
                web_refused = False
            except RuntimeError:
                web_refused = True
            w.check(
                web_refused and len(web_shop.state.pending()) == 1,
                "the web shop's push is refused; its edit stays queued",
            )
            b.client.login(BUYER, BUYER_NEW_PASSWORD)
            b.client.sync()
            w.check(b.client.status().pending_operations == 0, "after login the edit was sent")
            web.login(BUYER, BUYER_NEW_PASSWORD, device_id=WEB_DEVICE)
            web_shop.sync()
            w.check(not web_shop.state.pending(), "the web shop logs in again and sends its edit")
            server_got = _summary(web_shop.server_view())
            w.check(
                server_got["cart"][(sku[1], unit[sku[1]])] == 3
                and server_got["settings"]["order_reference"] == "PO-4712",
                "the server has both edits",
            )
            w.check(
                _summary(web_shop.state.view()) == server_got,
                "the web shop's cart shows the phone's edit too",
            )

        with w.step("A consumer (B2C) account cannot log in to the app"):
            try:
                a.client.login(CONSUMER, BUYER_PASSWORD)
                refused = False
            except TradeAccountsOnlyError as exc:
                refused = True
                w.note(f"the app says: {exc}")
            w.check(refused, "the B2C login on the app channel is refused")
            consumer_web = WebSession(server.url)
            consumer_web.login(CONSUMER, BUYER_PASSWORD, device_id="web-browser-2")
            w.check(consumer_web.me_status()[0] == 200, "the same login works in the web shop")
            consumer_web.close()
    finally:
        for phone in phones:
            phone.client.close()
        if web_shop is not None:
            web_shop.close()
        admin.close()
        server.stop()
    return w


def _missing(sku: str) -> Any:
    raise RuntimeError(f"the demo catalog has no {sku}; use DEMO_PRODUCTS of at least 200")


def main() -> int:
    """Run the demo; exit status 0 when every promise held."""
    out = Console(highlight=False)
    products = int(os.environ.get("DEMO_PRODUCTS", "100000"))
    if products < 200:
        out.print("DEMO_PRODUCTS must be at least 200")
        return 2
    base = Path(tempfile.mkdtemp(prefix="pocketsync-demo-"))
    started = time.monotonic()
    out.print(f"[bold]pocketsync demo[/bold]: {products:,} products, working folder {base}")
    try:
        w = run_demo(products, base, out)
    except Exception as exc:
        out.print(f"\n[red]the demo failed: {type(exc).__name__}: {exc}[/red]")
        out.print(f"files kept in {base}")
        return 1
    total = time.monotonic() - started
    if w.failed:
        out.print(f"\n[red]{len(w.failed)} of {w.passed + len(w.failed)} promises failed[/red] "
                  f"in {total:.1f} s; files kept in {base}")  # fmt: skip
        return 1
    out.print(f"\n[green]all {w.passed} promises kept[/green] in {total:.1f} s")
    if not os.environ.get("DEMO_KEEP"):
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
