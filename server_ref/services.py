"""Wiring: the library services one server process uses, built from its configuration.

Nothing here decides anything; it constructs ``pocketsync`` objects over one engine and
hands them to the routes through ``app.state.services``. Tests inject a clock and a
mailer; the ``serve`` command uses the system clock and the file mailer (outbox folder).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from pocketsync.accounts import (
    AccountService,
    AccountSettings,
    AdminService,
    FileMailer,
    Mailer,
)
from pocketsync.bundle import SigningKey
from pocketsync.catalog import CatalogProductRules, CatalogServer
from pocketsync.clock import Clock, SystemClock
from pocketsync.remote import RemoteStateServer
from pocketsync.serverdb import create_server_engine
from server_ref.config import ServerConfig
from server_ref.keys import load_signing_key
from server_ref.metrics import Metrics

__all__ = ["Services", "build_services"]


@dataclass(slots=True)
class Services:
    """Everything a request handler may call."""

    config: ServerConfig
    engine: Engine
    clock: Clock
    accounts: AccountService
    admin: AdminService
    catalog: CatalogServer
    remote: RemoteStateServer
    signing_key: SigningKey
    metrics: Metrics

    def close(self) -> None:
        self.engine.dispose()


def build_services(
    config: ServerConfig,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    settings: AccountSettings | None = None,
    signing_key: SigningKey | None = None,
    engine_options: Mapping[str, Any] | None = None,
) -> Services:
    """The services for ``config`` (``clock``, ``mailer``, ... default to production ones).

    Raises:
        ConfigurationError: the database URL or the signing key file is unusable.
    """
    clock = clock or SystemClock()
    key = signing_key or load_signing_key(config.signing_key_file)
    engine = create_server_engine(config.database_url, **dict(engine_options or {}))
    if mailer is None:
        config.mail_outbox.mkdir(parents=True, exist_ok=True)
        mailer = FileMailer(config.outbox_file)
    settings = settings or AccountSettings(reset_url=config.reset_url, shop_name=config.shop_name)
    # Product rules are read inside each push/pull transaction, on its own connection.
    remote = RemoteStateServer(engine, clock=clock, rules=CatalogProductRules)
    return Services(
        config=config,
        engine=engine,
        clock=clock,
        accounts=AccountService(engine, clock=clock, mailer=mailer, settings=settings),
        admin=AdminService(
            engine,
            clock=clock,
            mailer=mailer,
            settings=settings,
            on_user_deleted=(remote.delete_owner,),
        ),
        catalog=CatalogServer(engine, key, clock=clock),
        remote=remote,
        signing_key=key,
        metrics=Metrics(),
    )
