"""Wiring: the library services one server process uses, built from its configuration.

Nothing here decides anything; it constructs ``pocketsync`` objects over one engine and
hands them to the routes through ``app.state.services``. Tests inject a clock and a
mailer; the ``serve`` command uses the system clock and the file mailer (outbox folder).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine

from pocketsync.accounts import (
    AccountService,
    AccountSettings,
    AdminService,
    FileMailer,
    Mailer,
)
from pocketsync.bundle import SigningKey
from pocketsync.catalog import CatalogServer, product_rules
from pocketsync.clock import Clock, SystemClock
from pocketsync.remote import RemoteStateServer
from pocketsync.remote.rules import ProductRule
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
    read_engine: Engine

    def close(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


class _EngineProductRules:
    """Catalog product rules read on their own connection (committed catalog state).

    The remote store calls ``lookup`` inside its push transaction without handing over
    its connection; on SQLite a second ``BEGIN IMMEDIATE`` connection would wait for that
    very transaction, so lookups use a plain reader engine (WAL readers never block).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def lookup(self, skus: Collection[str]) -> Mapping[str, ProductRule]:
        conn: Connection
        with self._engine.connect() as conn:
            return product_rules(conn, skus)


def _reader_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "sqlite":
        return engine
    return create_engine(engine.url, connect_args={"timeout": 30})


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
    read_engine = _reader_engine(engine)
    if mailer is None:
        config.mail_outbox.mkdir(parents=True, exist_ok=True)
        mailer = FileMailer(config.outbox_file)
    settings = settings or AccountSettings(reset_url=config.reset_url, shop_name=config.shop_name)
    remote = RemoteStateServer(engine, clock=clock, rules=_EngineProductRules(read_engine))
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
        read_engine=read_engine,
    )
