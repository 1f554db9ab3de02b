"""``seed-demo-catalog``: a generated catalog published through ``pocketsync.catalog``.

The catalog is :class:`~pocketsync.catalog.sample.SampleCatalog` (word-list names, a
category tree, quantity breaks), published with
:func:`~pocketsync.catalog.sample.publish_sample`: ``products`` products, one category per
50 of them (20 to 2,000), and ``price_lists`` price lists (``DEMO-1``, ``DEMO-2``, ...)
with two quantity breaks (1 and 10). Deterministic: the same sizes give the same rows, and
:func:`demo_sample` gives the same generator to the demo and the tests, which pick their
products from it by their properties (:func:`sold_singly`). Then ``customers`` demo trade
customers with one user each (``demo1@example.com``, ...), plus one B2C customer
(``consumer@example.com``) to show that the app refuses it. Running it again republishes the
same rows (no new versions) and skips customers that exist.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import Engine

from pocketsync.accounts import AdminPrincipal, AdminService, Conflict, FileMailer
from pocketsync.catalog import Product
from pocketsync.catalog.sample import SampleCatalog, publish_sample
from pocketsync.clock import SystemClock
from pocketsync.serverdb import create_server_engine
from server_ref.config import ServerConfig

__all__ = ["DemoReport", "demo_sample", "seed_demo", "sold_singly"]

_SEEDER = AdminPrincipal(
    admin_id="seed-demo-catalog", login="seed-demo-catalog", display_name="seed", session_id="-"
)


@dataclass(frozen=True, slots=True)
class DemoReport:
    products: int
    price_lists: tuple[str, ...]
    logins: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"published {self.products} products, price lists {', '.join(self.price_lists)}; "
            f"demo logins: {', '.join(self.logins)}"
        )


def demo_sample(products: int, price_lists: int = 3) -> SampleCatalog:
    """The catalog ``seed-demo-catalog --products P --price-lists L`` publishes."""
    return SampleCatalog(
        products=products,
        categories=min(products, max(20, min(2_000, products // 50))),
        breaks=2,
        price_lists=price_lists,
        price_list_prefix="DEMO",
    )


def sold_singly(product: Product) -> bool:
    """Active, pack size 1 and minimum order quantity 1: the server keeps any quantity typed
    for it as it is (no rounding to packs, no raising to the minimum), so carts are exact."""
    return product.active and product.pack_size == 1 and product.min_order_qty == 1


def seed_demo(
    config: ServerConfig, *, products: int, price_lists: int, customers: int, password: str
) -> DemoReport:
    """Publish the demo catalog and create the demo customers on ``config``'s database."""
    if products < 1 or price_lists < 1 or customers < 0:
        raise ValueError("need at least one product and one price list")
    sample = demo_sample(products, price_lists)
    engine = create_server_engine(config.database_url)
    try:
        publish_sample(engine, sample)
        logins = _demo_accounts(engine, config, sample.price_list_ids, customers, password)
    finally:
        engine.dispose()
    return DemoReport(products, sample.price_list_ids, logins)


def _demo_accounts(
    engine: Engine, config: ServerConfig, list_ids: tuple[str, ...], n: int, password: str
) -> tuple[str, ...]:
    config.mail_outbox.mkdir(parents=True, exist_ok=True)
    admin = AdminService(engine, clock=SystemClock(), mailer=FileMailer(config.outbox_file))
    wanted = [(f"demo{k + 1}@example.com", "b2b", list_ids[k % len(list_ids)]) for k in range(n)]
    wanted.append(("consumer@example.com", "b2c", list_ids[0]))
    logins = []
    for k, (login, kind, plid) in enumerate(wanted):
        number = f"DEMO-{kind.upper()}-{k + 1:04d}"
        with contextlib.suppress(Conflict):  # seeded before
            admin.create_customer_with_user(
                _SEEDER,
                company_name=f"Demo customer {k + 1}",
                account_number=number,
                price_list_id=plid,
                account_type=kind,
                customer_id=f"cus-demo-{k + 1}",
                login=login,
                display_name=f"Demo user {k + 1}",
                email=login,
                initial_password=password,
                must_change_password=False,
            )
        logins.append(login)
    return tuple(logins)
