"""``pocketsync-server``: serve, migrate, create-admin, keygen, seed-demo-catalog.

Options override the ``POCKETSYNC_*`` environment variables (``server_ref.config``).
Exit status: 0 on success, 2 when the configuration or the database is not usable (the
message says which command fixes it).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from pocketsync.errors import ConfigurationError, PocketSyncError
from server_ref.config import ServerConfig

__all__ = ["main"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="folder for the default database, key and outbox")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    parser.add_argument("--signing-key-file", help="bundle signing key (default: data dir)")
    parser.add_argument("--mail-outbox", help="folder the development mailer writes to")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pocketsync-server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API and the Management Interface")
    _common(serve)
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="bind port (default 8080)")
    serve.add_argument("--cookie-secure", choices=["auto", "true", "false"])
    serve.add_argument("--reset-url", help="password reset link, with {token}")
    _common(sub.add_parser("migrate", help="upgrade the database schema to the latest"))
    admin = sub.add_parser("create-admin", help="create a Management Interface administrator")
    _common(admin)
    admin.add_argument("--login", required=True)
    admin.add_argument("--display-name")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin, not a prompt"
    )
    keygen = sub.add_parser("keygen", help="create the bundle signing key; prints the public key")
    _common(keygen)
    keygen.add_argument("--force", action="store_true", help="replace an existing key file")
    seed = sub.add_parser("seed-demo-catalog", help="publish a generated demo catalog")
    _common(seed)
    seed.add_argument("--products", type=int, default=1000)
    seed.add_argument("--price-lists", type=int, default=3)
    seed.add_argument("--customers", type=int, default=3)
    seed.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the demo users' password from stdin (default: demo-password-1)",
    )
    return parser


def _config(args: argparse.Namespace) -> ServerConfig:
    names = (
        "data_dir",
        "database_url",
        "signing_key_file",
        "mail_outbox",
        "host",
        "port",
        "cookie_secure",
        "reset_url",
    )
    return ServerConfig.from_env(**{n: getattr(args, n, None) for n in names})


def _require_migrated(config: ServerConfig) -> None:
    from server_ref.db import migration_status

    status = migration_status(config.database_url)
    if not status.at_head:
        at = ", ".join(sorted(status.current)) or "an empty schema"
        want = ", ".join(sorted(status.heads))
        raise ConfigurationError(
            f"the database is at {at}, not at the latest revision ({want}); "
            "run `pocketsync-server migrate` first"
        )


def _read_password(from_stdin: bool, prompt: str = "Password: ") -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise ConfigurationError("the two passwords differ")
    return first


def _serve(config: ServerConfig) -> None:
    import uvicorn

    from server_ref.app import create_app
    from server_ref.keys import write_signing_key
    from server_ref.logging import configure_logging

    config.ensure_data_dirs()
    _require_migrated(config)
    if config.default_key_file and not config.signing_key_file.exists():
        key = write_signing_key(config.signing_key_file)
        print(
            f"created signing key {config.signing_key_file}; apps must pin public key "
            f"{key.public_key.hex()} (key id {key.key_id})",
            file=sys.stderr,
        )
    configure_logging()
    app = create_app(config)
    print(
        f"pocketsync-server listening on http://{config.host}:{config.port}/ "
        f"(Management Interface at /admin/)",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        access_log=False,
        log_config=None,
        ws="none",
        lifespan="on",
        server_header=False,
    )


def _create_admin(config: ServerConfig, args: argparse.Namespace) -> None:
    from pocketsync.accounts import AdminService, FileMailer
    from pocketsync.clock import SystemClock
    from pocketsync.serverdb import create_server_engine

    _require_migrated(config)
    password = _read_password(args.password_stdin)
    engine = create_server_engine(config.database_url)
    try:
        config.mail_outbox.mkdir(parents=True, exist_ok=True)
        admin = AdminService(engine, clock=SystemClock(), mailer=FileMailer(config.outbox_file))
        admin_id = admin.create_admin(
            args.login, password, display_name=args.display_name or args.login
        )
    finally:
        engine.dispose()
    print(f"created administrator {args.login} ({admin_id})")


def _keygen(config: ServerConfig, force: bool) -> None:
    from server_ref.keys import write_signing_key

    key = write_signing_key(config.signing_key_file, overwrite=force)
    print(f"wrote {config.signing_key_file} (mode 0600); key id {key.key_id}", file=sys.stderr)
    print(key.public_key.hex())


def _seed(config: ServerConfig, args: argparse.Namespace) -> None:
    from server_ref.demo_catalog import seed_demo

    _require_migrated(config)
    password = _read_password(True) if args.password_stdin else "demo-password-1"
    report = seed_demo(
        config,
        products=args.products,
        price_lists=args.price_lists,
        customers=args.customers,
        password=password,
    )
    print(report)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pocketsync-server`` console script."""
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
        if args.command == "serve":
            _serve(config)
        elif args.command == "migrate":
            from server_ref.db import migration_status, upgrade

            config.ensure_data_dirs()
            upgrade(config.database_url)
            heads = ", ".join(sorted(migration_status(config.database_url).current))
            print(f"database is at the latest revision ({heads})")
        elif args.command == "create-admin":
            _create_admin(config, args)
        elif args.command == "keygen":
            _keygen(config, args.force)
        else:
            _seed(config, args)
    except PocketSyncError as exc:
        print(f"pocketsync-server {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
