"""Catalog values and their validation (pure).

Each ``*_row`` function checks one value and returns it as a wire row, in
:data:`pocketsync.bundle.tables.TABLES` column order, which is also how the publisher
compares it with the stored row. Validation is strict on purpose: whatever is accepted
here must encode into a chunk and be stored in both SQLite and PostgreSQL unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pocketsync.catalog.errors import (
    InvalidCategoryError,
    InvalidPriceError,
    InvalidPriceListError,
    InvalidProductError,
)
from pocketsync.catalog.schema import ID_LEN, PRICE_LIST_ID_LEN
from pocketsync.errors import CatalogError

__all__ = [
    "CATALOG_PARTITION",
    "Category",
    "PriceBreak",
    "PriceList",
    "Product",
    "canonical_json",
    "category_row",
    "price_rows",
    "prices_partition",
    "product_row",
]

CATALOG_PARTITION = "catalog"
PRICES_PREFIX = "prices:"
MAX_INT = 2**63 - 1
MAX_ATTRIBUTES_BYTES = 64 * 1024
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class Category:
    """A node of the category tree; ``parent_id`` None is a root."""

    id: str
    parent_id: str | None
    name: str
    position: int = 0


@dataclass(frozen=True, slots=True)
class Product:
    """A product of the shared catalog. ``attributes`` is a JSON object without floats."""

    sku: str
    name: str
    description: str
    category_id: str
    unit: str
    pack_size: int = 1
    min_order_qty: int = 1
    barcode: str | None = None
    brand: str | None = None
    active: bool = True
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PriceList:
    """A price list; its prices are the partition ``prices:<id>``."""

    id: str
    name: str
    currency: str


@dataclass(frozen=True, slots=True)
class PriceBreak:
    """From ``min_qty`` units on, one unit costs ``amount`` minor units of the list's currency."""

    min_qty: int
    amount: int


def prices_partition(price_list_id: str) -> str:
    """The partition id of a price list's prices."""
    return PRICES_PREFIX + price_list_id


def category_row(category: Category) -> tuple[str, str | None, str, int]:
    """Check ``category`` and return its wire row.

    Raises:
        InvalidCategoryError: an id or the name is empty or malformed, the parent is the
            category itself, or ``position`` is not a 64-bit integer.
    """
    err = InvalidCategoryError
    cid = check_id(category.id, "category id", err)
    parent = None
    if category.parent_id is not None:
        parent = check_id(category.parent_id, "category parent_id", err)
        if parent == cid:
            raise InvalidCategoryError(f"category {cid!r} cannot be its own parent")
    name = _text(category.name, "category name", err, allow_empty=False)
    return (cid, parent, name, _int(category.position, "category position", err, low=-MAX_INT))


def product_row(product: Product) -> tuple[Any, ...]:
    """Check ``product`` and return its wire row (attributes as canonical JSON).

    Raises:
        InvalidProductError: an id, name or unit is empty or malformed, a quantity is not
            an integer >= 1, ``active`` is not a bool, or attributes are not a JSON object
            of strings, integers, booleans, nulls, lists and objects (no floats).
    """
    err = InvalidProductError
    if type(product.active) is not bool:
        raise InvalidProductError("product active must be a bool")
    return (
        check_id(product.sku, "sku", err),
        _text(product.name, "product name", err, allow_empty=False),
        _text(product.description, "product description", err, allow_empty=True),
        check_id(product.category_id, "product category_id", err),
        _text(product.unit, "product unit", err, allow_empty=False, max_len=64),
        _int(product.pack_size, "pack_size", err, low=1),
        _int(product.min_order_qty, "min_order_qty", err, low=1),
        _optional(product.barcode, "barcode", 64),
        _optional(product.brand, "brand", None),
        product.active,
        canonical_json(product.attributes),
    )


def price_list_row(price_list: PriceList) -> tuple[str, str, str]:
    """Check ``price_list`` and return ``(id, name, currency)``.

    Raises:
        InvalidPriceListError: empty or malformed id or name, or a currency that is not
            three upper-case letters (ISO 4217).
    """
    err = InvalidPriceListError
    plid = check_id(price_list.id, "price list id", err, max_len=PRICE_LIST_ID_LEN)
    name = _text(price_list.name, "price list name", err, allow_empty=False)
    if not isinstance(price_list.currency, str) or not _CURRENCY.fullmatch(price_list.currency):
        raise InvalidPriceListError(
            f"currency {price_list.currency!r} is not an ISO 4217 code like 'EUR'"
        )
    return plid, name, price_list.currency


def price_rows(
    sku: str, breaks: Iterable[PriceBreak], currency: str
) -> dict[int, tuple[str, int, int, str]]:
    """Check one sku's breaks and return its wire rows by ``min_qty``.

    Raises:
        InvalidPriceError: a malformed sku, a break that is not a :class:`PriceBreak`, a
            ``min_qty`` below 1 or given twice, or an amount that is not a non-negative
            integer (floats are refused: money is integer minor units).
    """
    err = InvalidPriceError
    sku = check_id(sku, "sku", err)
    rows: dict[int, tuple[str, int, int, str]] = {}
    for brk in breaks:
        if not isinstance(brk, PriceBreak):
            raise InvalidPriceError(f"price break for {sku!r} must be a PriceBreak, not {brk!r}")
        qty = _int(brk.min_qty, f"min_qty of {sku!r}", err, low=1)
        amount = _int(brk.amount, f"amount of {sku!r} (integer minor units)", err, low=0)
        if qty in rows:
            raise InvalidPriceError(f"min_qty {qty} appears twice for {sku!r}")
        rows[qty] = (sku, qty, amount, currency)
    return rows


def canonical_json(attributes: Mapping[str, Any]) -> str:
    """``attributes`` as canonical JSON: sorted keys, no whitespace, UTF-8 text.

    Raises:
        InvalidProductError: not a JSON object of str, int, bool, None, list and dict
            values, a float anywhere, or larger than 64 KiB.
    """
    if not isinstance(attributes, Mapping):
        raise InvalidProductError("product attributes must be a mapping (a JSON object)")
    _check_json(attributes, depth=0)
    text = json.dumps(attributes, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > MAX_ATTRIBUTES_BYTES:
        raise InvalidProductError(f"product attributes exceed {MAX_ATTRIBUTES_BYTES} bytes")
    return text


def check_id(value: object, what: str, error: type[CatalogError], max_len: int = ID_LEN) -> str:
    """Return ``value`` if it is a usable identifier, else raise ``error``.

    An identifier is a non-empty printable string of at most ``max_len`` characters
    without leading or trailing whitespace (it ends up in URLs, logs and partition ids).
    """
    if not isinstance(value, str) or not value:
        raise error(f"{what} must be a non-empty string")
    if len(value) > max_len or not value.isprintable() or value != value.strip():
        raise error(f"{what} {value[:40]!r} must be printable, trimmed, at most {max_len} chars")
    return value


def _text(
    value: object,
    what: str,
    error: type[CatalogError],
    *,
    allow_empty: bool,
    max_len: int | None = None,
) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise error(f"{what} must be a {'' if allow_empty else 'non-empty '}string")
    if max_len is not None and len(value) > max_len:
        raise error(f"{what} is longer than {max_len} characters")
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8.
    if "\x00" in value or not _utf8(value):
        raise error(f"{what} contains a NUL character or invalid Unicode")
    return value


def _optional(value: object, what: str, max_len: int | None) -> str | None:
    if value is None:
        return None
    return _text(value, what, InvalidProductError, allow_empty=False, max_len=max_len)


def _int(value: object, what: str, error: type[CatalogError], *, low: int) -> int:
    # Exact type: bool is an int subclass and a float like 1.0 is not money.
    if type(value) is not int or not low <= value <= MAX_INT:
        raise error(f"{what} must be an integer in [{low}, 2**63-1], got {value!r}")
    return value


def _check_json(value: object, depth: int) -> None:
    if depth > 32:
        raise InvalidProductError("product attributes are nested too deeply")
    if value is None or type(value) in (str, bool):
        if isinstance(value, str) and ("\x00" in value or not _utf8(value)):
            raise InvalidProductError("product attributes contain NUL or invalid Unicode")
        return
    if type(value) is int:
        if not -MAX_INT - 1 <= value <= MAX_INT:
            raise InvalidProductError("product attributes hold an integer out of 64-bit range")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidProductError("product attribute keys must be strings")
            _check_json(key, depth + 1)
            _check_json(item, depth + 1)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_json(item, depth + 1)
        return
    raise InvalidProductError(
        f"product attributes may hold str, int, bool, None, lists and objects, not "
        f"{type(value).__name__}"
    )


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
