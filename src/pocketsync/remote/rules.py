"""Business checks the server runs at replay: is the product sellable, in what quantities.

The server store asks for a :class:`ProductRules` per database transaction, by calling the
source it was given with that transaction's connection (``ProductRulesSource`` in
:mod:`pocketsync.remote.server_store`). :class:`DictProductRules` is the in-memory
implementation for tests and demos: calling it with any connection returns itself. The catalog
provides the SQL-backed one (``pocketsync.catalog.CatalogProductRules``, built on the
connection).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["DictProductRules", "ProductRule", "ProductRules", "normalize_qty"]


@dataclass(frozen=True, slots=True)
class ProductRule:
    """What the catalog says about one product: sellable, pack size, minimum order quantity."""

    sku: str
    active: bool = True
    pack_size: int = 1
    min_order_qty: int = 1

    def __post_init__(self) -> None:
        if self.pack_size < 1 or self.min_order_qty < 1:
            raise ValueError("pack_size and min_order_qty must be at least 1")


class ProductRules(Protocol):
    """Looks up products; skus missing from the answer are unknown (deleted) products."""

    def lookup(self, skus: Collection[str]) -> Mapping[str, ProductRule]: ...


@dataclass(slots=True)
class DictProductRules:
    """Product rules held in a dict; products absent from it are unknown."""

    rules: dict[str, ProductRule] = field(default_factory=dict)

    def __call__(self, connection: object) -> DictProductRules:
        """The same rules for every transaction (a rules source that ignores ``connection``)."""
        return self

    def lookup(self, skus: Collection[str]) -> Mapping[str, ProductRule]:
        """Return the rules of the known products among ``skus``."""
        return {sku: self.rules[sku] for sku in skus if sku in self.rules}

    def put(self, rule: ProductRule) -> None:
        """Add or replace a product's rule."""
        self.rules[rule.sku] = rule


def normalize_qty(qty: int, rule: ProductRule | None) -> int:
    """Return the smallest valid quantity at or above ``qty`` (never below 1).

    Valid means: at least the minimum order quantity and a multiple of the pack size. An
    unknown product is only held to "at least 1": its line is kept, flagged unavailable.
    """
    if rule is None:
        return max(qty, 1)
    qty = max(qty, rule.min_order_qty, 1)
    remainder = qty % rule.pack_size
    return qty if remainder == 0 else qty + rule.pack_size - remainder
