"""Read-only views of the catalog: what a phone should hold, and the cart's product rules."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Table, select

from pocketsync.bundle.tables import TABLES
from pocketsync.catalog.errors import UnknownPriceListError
from pocketsync.catalog.schema import (
    catalog_categories,
    catalog_partitions,
    catalog_price_lists,
    catalog_prices,
    catalog_products,
)
from pocketsync.remote.rules import ProductRule

__all__ = ["CatalogProductRules", "customer_view", "partition_version", "product_rules"]

_BATCH = 500


def partition_version(connection: Connection, partition_id: str) -> int:
    """The current version of a partition; 0 if nothing was ever published to it."""
    p = catalog_partitions
    version = connection.execute(
        select(p.c.version).where(p.c.id == partition_id)
    ).scalar_one_or_none()
    return int(version or 0)


def customer_view(connection: Connection, price_list_id: str) -> dict[str, set[tuple[Any, ...]]]:
    """The live rows a phone on ``price_list_id`` should hold, by client table.

    Keys are the table names of :data:`pocketsync.bundle.tables.TABLES`; values are sets
    of row tuples in that table's column order (wire types: attributes as canonical
    JSON text, ``active`` a bool).

    Raises:
        UnknownPriceListError: the price list was never created.
    """
    pl = catalog_price_lists
    if connection.execute(select(pl.c.id).where(pl.c.id == price_list_id)).first() is None:
        raise UnknownPriceListError(f"price list {price_list_id!r} does not exist")
    return {
        "categories": _live(connection, catalog_categories, "categories"),
        "products": _live(connection, catalog_products, "products"),
        "prices": _live(
            connection, catalog_prices, "prices", catalog_prices.c.price_list_id == price_list_id
        ),
    }


def product_rules(connection: Connection, skus: Collection[str]) -> dict[str, ProductRule]:
    """What the cart needs to know of each live product among ``skus``.

    Skus that are unknown or deleted are absent from the answer (the remote-state rules
    treat them as unavailable). A deactivated product is present with ``active=False``.
    """
    p = catalog_products
    found: dict[str, ProductRule] = {}
    wanted = sorted(set(skus))
    for start in range(0, len(wanted), _BATCH):
        query = select(p.c.sku, p.c.active, p.c.pack_size, p.c.min_order_qty).where(
            p.c.sku.in_(wanted[start : start + _BATCH]), p.c.deleted.is_(False)
        )
        for r in connection.execute(query):
            found[r.sku] = ProductRule(
                r.sku, bool(r.active), int(r.pack_size), int(r.min_order_qty)
            )
    return found


class CatalogProductRules:
    """:class:`pocketsync.remote.rules.ProductRules` backed by the catalog tables.

    Reads on the connection it was given, so the lookups see the caller's transaction. The
    class itself is a ``pocketsync.remote.ProductRulesSource``: hand it to
    ``RemoteStateServer(..., rules=CatalogProductRules)`` and every push and pull reads the
    catalog inside its own transaction.
    """

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def lookup(self, skus: Collection[str]) -> dict[str, ProductRule]:
        """The rules of the live products among ``skus``; see :func:`product_rules`."""
        return product_rules(self._conn, skus)


def _live(connection: Connection, t: Table, table: str, *where: Any) -> set[tuple[Any, ...]]:
    spec = TABLES[table]
    query = select(*(t.c[name] for name in spec.column_names)).where(t.c.deleted.is_(False), *where)
    # SQLAlchemy's Boolean hands back bool on both backends: the tuples are wire rows.
    return {tuple(r) for r in connection.execute(query)}
