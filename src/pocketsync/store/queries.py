"""The read API over the local catalog: plain SQL on indexes, values as frozen dataclasses.

Search choice, measured on 100,000 products (2-6 random words per name from a 5,000-word
vocabulary; this machine, 2 cores, SQLite 3.40.1; 100 random queries each):

==========================================  ===========  ============================
index                                       build        query (2 words, LIMIT 50)
==========================================  ===========  ============================
none: ``LIKE '%w%'`` scan of the table       0             6.2 ms (1 word) - 10.3 ms
B-tree on name, covering ``LIKE`` scan       0.05 s        9.0 ms
FTS5 unicode61, detail=full (chosen)         0.89 s        0.05-0.10 ms
FTS5 detail=none                             0.77 s        0.07 ms (no phrase queries)
FTS5 prefix='2 3'                            1.48 s        0.06-0.11 ms
==========================================  ===========  ============================

FTS5 is ~100x faster per query and, unlike a scan, does not grow with the catalog
(a scan is ~100 ms at 1M products, on a phone several times that — too slow to search
as the user types). It matches word prefixes ("dri scr" finds "Drill Screw"), folds case
and diacritics for all of Unicode (``LIKE`` folds ASCII only). Its cost is paid once per
initial sync, after the bulk load, and is part of the floor the benchmark compares with.
``detail=full`` rather than ``none``: the query builder quotes user tokens, and a quoted
token that the tokenizer splits ("o'neil") is a phrase, which ``detail=none`` refuses.
SKU and barcode do not go through FTS: the tokenizer would split "AB-12", and exact or
prefix lookups on the B-tree key and barcode indexes are what a scanner or a rep typing a
SKU needs.

Paging of a category's products is *keyset* on ``(name, sku)``: each page is one index
range seek, stable while deltas land between pages (offset paging skips or repeats rows
then, and gets slower with depth).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from pocketsync.store.errors import InvalidQueryError, translate_errors

__all__ = [
    "Category",
    "CategoryNode",
    "PageCursor",
    "PriceBreak",
    "Product",
    "ProductPage",
    "category_tree",
    "price_at",
    "price_breaks",
    "product_by_sku",
    "products_in_category",
    "search_products",
]

_MAX_LIMIT = 1000
_SELECT_PRODUCT = (
    "SELECT sku, name, description, category_id, unit, pack_size, min_order_qty, barcode, "
    "brand, active, attributes FROM products"
)
_SELECT_MATCHING = (
    "SELECT p.sku, p.name, p.description, p.category_id, p.unit, p.pack_size, "
    "p.min_order_qty, p.barcode, p.brand, p.active, p.attributes "
    "FROM products_fts JOIN products p ON p.rowid = products_fts.rowid "
    "WHERE products_fts MATCH ? ORDER BY products_fts.rank LIMIT ?"
)
# unicode61 token characters are letters, numbers and private-use characters; anything
# else separates tokens, as here (``[^\W_]`` is \w without the underscore).
_TOKEN = re.compile(r"[^\W_]+")
_MAX_TOKENS = 8


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    parent_id: str | None
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class CategoryNode:
    """A category with its children, ordered by (position, name, id)."""

    category: Category
    children: tuple[CategoryNode, ...]


@dataclass(frozen=True, slots=True)
class Product:
    """A product. ``attributes`` is the canonical JSON object text as synced."""

    sku: str
    name: str
    description: str
    category_id: str
    unit: str
    pack_size: int
    min_order_qty: int
    barcode: str | None
    brand: str | None
    active: bool
    attributes: str


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the next page of a category listing starts (after this name and sku)."""

    name: str
    sku: str


@dataclass(frozen=True, slots=True)
class ProductPage:
    """One page of products; ``next`` is ``None`` on the last page."""

    items: tuple[Product, ...]
    next: PageCursor | None


@dataclass(frozen=True, slots=True)
class PriceBreak:
    """The unit price from ``min_qty`` up, in integer minor units of ``currency``."""

    sku: str
    min_qty: int
    amount: int
    currency: str


def _product(row: tuple[Any, ...]) -> Product:
    # Column order is _SELECT_PRODUCT's; ``active`` is stored as 0/1.
    return Product(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        bool(row[9]),
        row[10],
    )


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= _MAX_LIMIT:
        raise InvalidQueryError(f"limit must be between 1 and {_MAX_LIMIT}, got {limit}")


def category_tree(conn: sqlite3.Connection) -> tuple[CategoryNode, ...]:
    """The roots of the category tree, each with its descendants.

    A category whose parent is missing is shown as a root; categories caught in a
    parent cycle are unreachable and left out (the server never produces either).
    """
    with translate_errors("read the category tree"):
        rows = conn.execute(
            "SELECT id, parent_id, name, position FROM categories ORDER BY position, name, id"
        ).fetchall()
    cats = [
        Category(str(r[0]), None if r[1] is None else str(r[1]), str(r[2]), int(r[3])) for r in rows
    ]
    ids = {c.id for c in cats}
    children: dict[str | None, list[Category]] = {}
    for c in cats:
        parent = c.parent_id if c.parent_id in ids and c.parent_id != c.id else None
        children.setdefault(parent, []).append(c)

    def build(c: Category, depth: int) -> CategoryNode:
        # Depth bound: a tree deeper than the category count would need a cycle.
        kids = children.get(c.id, []) if depth < len(cats) else []
        return CategoryNode(c, tuple(build(k, depth + 1) for k in kids))

    return tuple(build(c, 0) for c in children.get(None, []))


def products_in_category(
    conn: sqlite3.Connection, category_id: str, *, limit: int = 50, after: PageCursor | None = None
) -> ProductPage:
    """One page of the products of ``category_id`` ordered by (name, sku), keyset-paged.

    Raises:
        InvalidQueryError: ``limit`` outside 1..1000.
    """
    _check_limit(limit)
    sql = _SELECT_PRODUCT + " WHERE category_id = ?"
    args: tuple[object, ...] = (category_id,)
    if after is not None:
        sql += " AND (name, sku) > (?, ?)"
        args += (after.name, after.sku)
    sql += " ORDER BY name, sku LIMIT ?"
    with translate_errors("list the products of a category"):
        rows = conn.execute(sql, (*args, limit + 1)).fetchall()
    items = tuple(_product(r) for r in rows[:limit])
    more = len(rows) > limit
    return ProductPage(items, PageCursor(items[-1].name, items[-1].sku) if more else None)


def product_by_sku(conn: sqlite3.Connection, sku: str) -> Product | None:
    """The product with exactly this SKU, or ``None``."""
    with translate_errors("read a product"):
        row = conn.execute(_SELECT_PRODUCT + " WHERE sku = ?", (sku,))
        found = row.fetchone()
    return None if found is None else _product(found)


def search_products(conn: sqlite3.Connection, text: str, *, limit: int = 20) -> tuple[Product, ...]:
    """Products matching ``text``, best first, at most ``limit``.

    Order: exact barcode, exact SKU, SKU prefix (as typed and upper-cased), then products
    whose name contains every word of ``text`` as a word prefix (case and diacritics
    folded), ranked by FTS5's bm25. Empty or blank text finds nothing.

    Raises:
        InvalidQueryError: ``limit`` outside 1..1000.
    """
    _check_limit(limit)
    text = text.strip()
    if not text:
        return ()
    found: dict[str, Product] = {}

    def add(sql: str, args: tuple[object, ...]) -> None:
        if len(found) < limit:
            for row in conn.execute(sql, (*args, limit)):
                found.setdefault(str(row[0]), _product(row))

    select = _SELECT_PRODUCT
    with translate_errors("search products"):
        add(f"{select} WHERE barcode = ? LIMIT ?", (text,))
        add(f"{select} WHERE sku = ? LIMIT ?", (text,))
        for prefix in dict.fromkeys((text, text.upper())):
            # A range on the key index; char(0x10FFFF) sorts after every real character.
            add(
                f"{select} WHERE sku >= ? AND sku < ? || char(1114111) ORDER BY sku LIMIT ?",
                (prefix, prefix),
            )
        tokens = _TOKEN.findall(text)[:_MAX_TOKENS]
        if tokens:
            match = " ".join('"' + t.replace('"', '""') + '"*' for t in tokens)
            add(_SELECT_MATCHING, (match,))
    return tuple(found.values())[:limit]


def price_breaks(conn: sqlite3.Connection, sku: str) -> tuple[PriceBreak, ...]:
    """Every price break of ``sku`` for this customer, by ascending ``min_qty``."""
    with translate_errors("read prices"):
        rows = conn.execute(
            "SELECT sku, min_qty, amount, currency FROM prices WHERE sku = ? ORDER BY min_qty",
            (sku,),
        ).fetchall()
    return tuple(PriceBreak(str(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows)


def price_at(conn: sqlite3.Connection, sku: str, quantity: int) -> PriceBreak | None:
    """The break that applies to ``quantity`` units: the largest ``min_qty`` ≤ ``quantity``.

    ``None`` when this customer has no price for ``sku`` at that quantity.

    Raises:
        InvalidQueryError: ``quantity`` < 1.
    """
    if not 1 <= quantity < 2**63:
        raise InvalidQueryError(f"quantity must be a positive 64-bit integer, got {quantity}")
    with translate_errors("read a price"):
        row = conn.execute(
            "SELECT sku, min_qty, amount, currency FROM prices WHERE sku = ? AND min_qty <= ? "
            "ORDER BY min_qty DESC LIMIT 1",
            (sku, quantity),
        ).fetchone()
    return None if row is None else PriceBreak(str(row[0]), int(row[1]), int(row[2]), str(row[3]))
