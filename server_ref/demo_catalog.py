"""``seed-demo-catalog``: a generated catalog published through ``pocketsync.catalog``.

Deterministic (the same sizes give the same rows): categories, ``products`` products,
``price_lists`` price lists (``DEMO-1``, ``DEMO-2``, ...) with quantity breaks, and
``customers`` demo trade customers with one user each (``demo1@example.com``, ...), plus one
B2C customer (``consumer@example.com``) to show that the app refuses it. Running it again
republishes the same rows (no new versions) and skips customers that exist.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import Engine

from pocketsync.accounts import AdminPrincipal, AdminService, Conflict, FileMailer
from pocketsync.catalog import (
    Category,
    DuplicatePriceListError,
    PriceBreak,
    PriceList,
    Product,
    Publisher,
)
from pocketsync.clock import SystemClock
from pocketsync.serverdb import create_server_engine
from server_ref.config import ServerConfig

__all__ = ["DemoReport", "seed_demo"]

_SEEDER = AdminPrincipal(
    admin_id="seed-demo-catalog", login="seed-demo-catalog", display_name="seed", session_id="-"
)
_UNITS = ("piece", "box", "pack", "kg", "litre")
_BRANDS = ("Acme", "Brightline", "Corvo", "Delta Works", None)


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


def demo_products(start: int, stop: int, categories: int) -> list[Product]:
    return [
        Product(
            sku=f"SKU-{i:06d}",
            name=f"Demo product {i}",
            description=f"Generated product number {i} of the demo catalog.",
            category_id=f"cat-{i % categories:03d}",
            unit=_UNITS[i % len(_UNITS)],
            pack_size=(1, 1, 6, 12)[i % 4],
            min_order_qty=(1, 2, 1, 1, 5)[i % 5],
            barcode=f"{4000000000000 + i}",
            brand=_BRANDS[i % len(_BRANDS)],
            active=i % 50 != 49,
            attributes={"colour": ("red", "green", "blue")[i % 3], "weight_g": 100 + i % 900},
        )
        for i in range(start, stop)
    ]


def seed_demo(
    config: ServerConfig, *, products: int, price_lists: int, customers: int, password: str
) -> DemoReport:
    """Publish the demo catalog and create the demo customers on ``config``'s database."""
    if products < 1 or price_lists < 1 or customers < 0:
        raise ValueError("need at least one product and one price list")
    n_categories = max(1, min(50, products // 20))
    list_ids = tuple(f"DEMO-{k + 1}" for k in range(price_lists))
    engine = create_server_engine(config.database_url)
    try:
        with engine.begin() as conn:
            pub = Publisher(conn)
            for c in range(n_categories):
                pub.upsert_category(Category(f"cat-{c:03d}", None, f"Category {c}", c))
            for plid in list_ids:
                with contextlib.suppress(DuplicatePriceListError):
                    pub.create_price_list(PriceList(plid, f"Demo list {plid}", "EUR"))
        batch = 5000
        for start in range(0, products, batch):
            chunk = demo_products(start, min(start + batch, products), n_categories)
            with engine.begin() as conn:
                pub = Publisher(conn)
                pub.upsert_products(chunk)
                for k, plid in enumerate(list_ids):
                    pub.set_prices_many(
                        plid,
                        {
                            p.sku: [
                                PriceBreak(1, 500 + (i * 37 + k * 11) % 9500),
                                PriceBreak(10, 450 + (i * 37 + k * 11) % 9000),
                            ]
                            for i, p in enumerate(chunk, start)
                        },
                    )
        logins = _demo_accounts(engine, config, list_ids, customers, password)
    finally:
        engine.dispose()
    return DemoReport(products, list_ids, logins)


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
