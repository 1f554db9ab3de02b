"""``pocketshop``: the reference "mobile app" as a command-line program.

Data lives in a per-user application folder: ``$POCKETSHOP_HOME``, else
``$XDG_DATA_HOME/pocketshop``, else ``~/.local/share/pocketshop``. The server URL and the
pinned public key come from ``--server`` / ``--public-key``, else ``$POCKETSHOP_SERVER`` /
``$POCKETSHOP_PUBLIC_KEY``, else ``config.json`` in that folder (saved at login).

It stays logged in between runs and answers catalog commands from the local copy, so
``search``, ``show`` and ``cart`` work at once, also with the server down. Edits are
queued and sent right away when the server answers, else at the next ``sync``.

Exit status: 0 success, 1 an error, 2 bad usage or configuration, 3 log in (again),
4 the server could not be reached.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from client_ref.progress import SyncProgressBar
from pocketsync.client import (
    AccountDeletedError,
    LoginRequiredError,
    NotLoggedInError,
    PocketSyncClient,
    RetryPolicy,
    ServerFailureError,
    ServerUnreachableError,
)
from pocketsync.errors import ConfigurationError, PocketSyncError
from pocketsync.remote import SettingValue
from pocketsync.store import CatalogNotLoadedError, CategoryNode

__all__ = ["main"]


def default_home() -> Path:
    """The per-user application folder (see the module docstring)."""
    if os.environ.get("POCKETSHOP_HOME"):
        return Path(os.environ["POCKETSHOP_HOME"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pocketshop"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pocketshop", description=__doc__.split("\n\n")[0])
    p.add_argument("--home", type=Path, help="data folder (default: $POCKETSHOP_HOME)")
    p.add_argument("--server", help="server URL (default: $POCKETSHOP_SERVER or saved)")
    p.add_argument("--public-key", action="append", help="pinned manifest key, hex (repeatable)")
    sub = p.add_subparsers(dest="command", required=True)
    login = sub.add_parser("login", help="log in (then sync, unless --no-sync)")
    login.add_argument("login", nargs="?", help="login name (prompted if absent)")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.add_argument("--no-sync", action="store_true")
    sync = sub.add_parser("sync", help="send queued edits, update the catalog, fetch the cart")
    sync.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("categories", help="the category tree")
    search = sub.add_parser("search", help="search products by name words, SKU or barcode")
    search.add_argument("text")
    search.add_argument("--limit", type=int, default=20)
    show = sub.add_parser("show", help="one product with its prices")
    show.add_argument("sku")
    cart = sub.add_parser("cart", help="the cart").add_subparsers(dest="action", required=True)
    add = cart.add_parser("add")
    add.add_argument("sku")
    add.add_argument("qty", type=int, nargs="?", default=1)
    add.add_argument("--unit")
    add.add_argument("--note", default="")
    cset = cart.add_parser("set")
    cset.add_argument("sku")
    cset.add_argument("qty", type=int)
    cset.add_argument("--unit")
    remove = cart.add_parser("remove")
    remove.add_argument("sku")
    remove.add_argument("--unit")
    cart.add_parser("show")
    fav = sub.add_parser("fav", help="favourites").add_subparsers(dest="action", required=True)
    fav.add_parser("add").add_argument("sku")
    fav.add_parser("remove").add_argument("sku")
    fav.add_parser("list")
    settings = sub.add_parser("settings", help="show settings, or set KEY VALUE")
    settings.add_argument("key", nargs="?")
    settings.add_argument("value", nargs="?", help="true/false, an integer, or text")
    settings.add_argument("--delete", action="store_true", help="delete KEY")
    sub.add_parser("status", help="who is logged in, last sync, queued edits, online")
    password = sub.add_parser("password", help="change the password")
    password.add_argument("--password-stdin", action="store_true", help="current, new on stdin")
    sub.add_parser("logout", help="send queued edits if possible, log out, wipe the catalog")
    return p


class _Config:
    def __init__(self, home: Path) -> None:
        self.path = home / "config.json"
        try:
            self.saved: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.saved = {}

    def save(self, server: str, keys: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"server": server, "public_keys": keys}, indent=2)
        self.path.write_text(data + "\n", encoding="utf-8")


def _settings(args: argparse.Namespace, config: _Config) -> tuple[str, list[str]]:
    server = args.server or os.environ.get("POCKETSHOP_SERVER") or config.saved.get("server")
    keys = args.public_key or [
        k for k in os.environ.get("POCKETSHOP_PUBLIC_KEY", "").split(",") if k.strip()
    ]
    keys = keys or list(config.saved.get("public_keys", []))
    if not server or not keys:
        raise ConfigurationError(
            "give the server URL and its public key: --server URL --public-key HEX "
            "(or POCKETSHOP_SERVER / POCKETSHOP_PUBLIC_KEY); login saves them"
        )
    return str(server), [str(k) for k in keys]


def _when(ms: int | None) -> str:
    if ms is None:
        return "never"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _money(amount: int, currency: str) -> str:
    return f"{amount // 100}.{amount % 100:02d} {currency}"


def _parse_value(text: str) -> SettingValue:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        return text


def _tree(out: Console, nodes: Sequence[CategoryNode], depth: int = 0) -> None:
    for node in nodes:
        c = node.category
        out.print(f"{'  ' * depth}{c.name}  [dim]{c.id}[/dim]", highlight=False)
        _tree(out, node.children, depth + 1)


def _push_quietly(client: PocketSyncClient, out: Console) -> None:
    """After an edit: send it if the server answers; else say it is queued."""
    try:
        result = client.sync_remote()
    except (ServerUnreachableError, ServerFailureError):
        out.print("offline: queued, will be sent at the next sync")
    except LoginRequiredError as exc:
        out.print(f"queued; {exc}")
    else:
        for r in result.results:
            if r.status.value != "applied":
                out.print(f"server: operation {r.seq} {r.status.value} ({r.code})")
        out.print("saved" if result.pending == 0 else f"{result.pending} edit(s) still queued")


def _run(args: argparse.Namespace, out: Console) -> int:
    home: Path = args.home or default_home()
    config = _Config(home)
    server, keys = _settings(args, config)
    edits = args.command in ("cart", "fav", "settings")
    # Edits must feel instant offline: one quick try, no backoff, then they stay queued.
    retry = RetryPolicy(attempts=1, connect_timeout_s=2.0) if edits else RetryPolicy()
    with PocketSyncClient(home, server, keys, retry=retry) as client:
        command: Callable[[PocketSyncClient, argparse.Namespace, Console], int] = _COMMANDS[
            args.command
        ]
        code = command(client, args, out)
        if args.command == "login" and code == 0:
            config.save(server, keys)
        return code


def _login(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    name = args.login or input("Login: ")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
    account = client.login(name, password)
    out.print(f"logged in as {account.display_name} ({account.company_name})")
    if not args.no_sync:
        return _sync(client, argparse.Namespace(quiet=False), out)
    return 0


def _sync(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    with SyncProgressBar(out, enabled=not args.quiet and out.is_terminal) as bar:
        report = client.sync(progress=bar)
    c = report.catalog
    out.print(
        f"catalog {c.kind}: {c.rows_upserted:,} rows, {c.bytes_fetched:,} bytes fetched "
        f"in {c.seconds:.2f} s; cart/favourites/settings: {report.remote.pushed} sent, "
        f"{report.remote.pending} queued"
    )
    return 0


def _categories(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    _tree(out, client.category_tree())
    return 0


def _search(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    for p in client.search(args.text, limit=args.limit):
        price = client.price_at(p.sku, max(1, p.min_order_qty))
        shown = _money(price.amount, price.currency) if price else "-"
        out.print(f"{p.sku}  {p.name}  {shown}/{p.unit}", highlight=False)
    return 0


def _show(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    p = client.product(args.sku)
    if p is None:
        out.print(f"no product {args.sku}")
        return 1
    out.print(f"{p.sku}  {p.name}\n{p.description}", highlight=False)
    out.print(f"unit {p.unit}, pack of {p.pack_size}, minimum {p.min_order_qty}", highlight=False)
    out.print(f"brand {p.brand or '-'}, barcode {p.barcode or '-'}, active {p.active}")
    for b in client.price_breaks(p.sku):
        out.print(f"  from {b.min_qty}: {_money(b.amount, b.currency)}", highlight=False)
    return 0


def _cart(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    if args.action == "show":
        lines = client.cart()
        for line in lines:
            flag = "" if line.available else "  (no longer available)"
            out.print(f"{line.sku}  {line.qty} {line.unit}{flag}", highlight=False)
        out.print(f"{len(lines)} line(s), {client.status().pending_operations} edit(s) queued")
        return 0
    if args.action == "add":
        client.cart_add(args.sku, args.qty, unit=args.unit, note=args.note)
    elif args.action == "set":
        client.cart_set(args.sku, args.qty, unit=args.unit)
    else:
        client.cart_remove(args.sku, unit=args.unit)
    _push_quietly(client, out)
    return 0


def _fav(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    if args.action == "list":
        for f in client.favourites():
            p = client.product(f.sku) if client.status().catalog_loaded else None
            out.print(f"{f.sku}  {p.name if p else ''}", highlight=False)
        return 0
    if args.action == "add":
        client.fav_add(args.sku)
    else:
        client.fav_remove(args.sku)
    _push_quietly(client, out)
    return 0


def _settings_cmd(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    if args.key is None:
        for key, value in sorted(client.settings().items()):
            out.print(f"{key} = {value!r}", highlight=False)
        return 0
    if args.delete:
        client.setting_delete(args.key)
    elif args.value is None:
        out.print(f"{args.key} = {client.settings().get(args.key)!r}", highlight=False)
        return 0
    else:
        client.setting_put(args.key, _parse_value(args.value))
    _push_quietly(client, out)
    return 0


def _status(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    s = client.status(probe=True)
    if s.account is None:
        out.print("not logged in")
    else:
        a = s.account
        state = "logged in" if s.logged_in else f"log in again ({s.login_required})"
        out.print(f"{a.display_name} <{a.login}> of {a.company_name}: {state}", highlight=False)
    out.print(f"catalog: {'loaded' if s.catalog_loaded else 'none'}, last sync "
              f"{_when(s.last_catalog_sync_ms)}")  # fmt: skip
    out.print(f"cart/favourites/settings: last sync {_when(s.last_remote_sync_ms)}, "
              f"{s.pending_operations} edit(s) queued")  # fmt: skip
    out.print(f"server: {'online' if s.online else 'offline'}")
    return 0


def _password(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    if args.password_stdin:
        current = sys.stdin.readline().rstrip("\r\n")
        new = sys.stdin.readline().rstrip("\r\n")
    else:
        current = getpass.getpass("Current password: ")
        new = getpass.getpass("New password: ")
    client.change_password(current, new)
    out.print("password changed; other sessions of this account are logged out")
    return 0


def _logout(client: PocketSyncClient, args: argparse.Namespace, out: Console) -> int:
    report = client.logout()
    sent = "sent" if report.flushed else "kept for your next login (offline)"
    out.print(f"logged out; queued edits {sent}: {report.kept_operations} left")
    out.print("catalog wiped" if not report.catalog_files_left else "wipe incomplete")
    return 0 if not report.catalog_files_left else 1


_COMMANDS: dict[str, Callable[[PocketSyncClient, argparse.Namespace, Console], int]] = {
    "login": _login,
    "sync": _sync,
    "categories": _categories,
    "search": _search,
    "show": _show,
    "cart": _cart,
    "fav": _fav,
    "settings": _settings_cmd,
    "status": _status,
    "password": _password,
    "logout": _logout,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pocketshop`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    out = Console()
    err = Console(stderr=True)
    try:
        return _run(args, out)
    except ConfigurationError as exc:
        err.print(f"pocketshop: {exc}", highlight=False)
        return 2
    except (NotLoggedInError, LoginRequiredError, AccountDeletedError) as exc:
        err.print(f"pocketshop: {exc}; run `pocketshop login`", highlight=False)
        return 3
    except CatalogNotLoadedError:
        err.print("pocketshop: no catalog yet; run `pocketshop sync`")
        return 3
    except (ServerUnreachableError, ServerFailureError) as exc:
        err.print(f"pocketshop: {exc} (local data is unchanged)", highlight=False)
        return 4
    except PocketSyncError as exc:
        err.print(f"pocketshop: {exc} [{exc.code}]", highlight=False)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
