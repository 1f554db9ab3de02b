"""Building signed bundles for store tests with pocketsync.bundle, plus store checksums."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pocketsync.bundle import (
    TABLES,
    ChunkRef,
    Manifest,
    PartitionRange,
    SigningKey,
    TrustedKeys,
    encode_chunk,
    sign_manifest,
)

KEY = SigningKey.from_seed(bytes(range(32)))
OTHER_KEY = SigningKey.from_seed(bytes(range(1, 33)))
TRUSTED = TrustedKeys([KEY.public_key])
CUSTOMER = "cus_acme"
NOW_MS = 1_700_000_000_000
DAY_MS = 86_400_000

Row = tuple[Any, ...]


@dataclass
class Catalog:
    """A customer's full view: rows per table, keyed by the table's key."""

    categories: dict[Any, Row] = field(default_factory=dict)
    products: dict[Any, Row] = field(default_factory=dict)
    prices: dict[Any, Row] = field(default_factory=dict)

    def table(self, name: str) -> dict[Any, Row]:
        rows: dict[Any, Row] = getattr(self, name)
        return rows

    def copy(self) -> Catalog:
        return Catalog(dict(self.categories), dict(self.products), dict(self.prices))


def key_of(table: str, row: Sequence[Any]) -> Any:
    idx = TABLES[table].key_indexes
    return row[idx[0]] if len(idx) == 1 else tuple(row[i] for i in idx)


def make_catalog(
    products: int = 200,
    categories: int = 20,
    prices_per_product: int = 3,
    *,
    seed: int = 0,
    name_prefix: str = "",
) -> Catalog:
    """A deterministic catalog: a category tree, products and price breaks."""
    rnd = random.Random(seed)
    words = ["drill", "screw", "bolt", "anchor", "washer", "hammer", "café", "nut", "saw", "glue"]
    cat = Catalog()
    for i in range(categories):
        parent = None if i < 3 else f"c{rnd.randrange(i):04d}"
        crow = (f"c{i:04d}", parent, f"Category {i}", i % 7)
        cat.categories[crow[0]] = crow
    for i in range(products):
        name = name_prefix + " ".join(rnd.choice(words) for _ in range(3)).title() + f" {i}"
        attrs = json.dumps({"color": rnd.choice(["red", "blue"])}, sort_keys=True)
        row = (
            f"SKU-{i:06d}",
            name,
            f"Description of product {i}",
            f"c{i % categories:04d}",
            "pc",
            rnd.choice([1, 5, 10]),
            1,
            f"40{i:011d}" if i % 5 else None,
            rnd.choice(["Acme", "Bosch", None]),
            i % 17 != 0,
            attrs,
        )
        cat.products[row[0]] = row
        for k in range(prices_per_product):
            price = (row[0], 1 + 10 * k, 10_000 - 500 * k + i, "EUR")
            cat.prices[(row[0], price[1])] = price
    return cat


@dataclass
class Bundle:
    manifest: Manifest
    envelope: bytes
    chunks: dict[str, bytes]


def chunk_table(
    table: str, upserts: Sequence[Row], deletes: Sequence[Row] = (), *, chunk_rows: int = 500
) -> list[tuple[ChunkRef, bytes]]:
    """Encode ``upserts``/``deletes`` of ``table`` into chunks of at most ``chunk_rows``."""
    out: list[tuple[ChunkRef, bytes]] = []
    for start in range(0, len(deletes), chunk_rows):
        out.append(encode_chunk(table, [], list(deletes[start : start + chunk_rows])))
    for start in range(0, len(upserts), chunk_rows):
        out.append(encode_chunk(table, list(upserts[start : start + chunk_rows])))
    return out


def sign(
    partitions: Sequence[PartitionRange],
    chunks: Iterable[tuple[ChunkRef, bytes]],
    *,
    customer: str = CUSTOMER,
    key: SigningKey = KEY,
    created_ms: int = NOW_MS,
    expires_ms: int = NOW_MS + DAY_MS,
) -> Bundle:
    """Sign a manifest over ``chunks`` (in apply order)."""
    chunk_list = list(chunks)
    manifest = Manifest(
        key_id=key.key_id,
        customer_id=customer,
        created_ms=created_ms,
        expires_ms=expires_ms,
        partitions=tuple(partitions),
        chunks=tuple(ref for ref, _ in chunk_list),
    )
    return Bundle(manifest, sign_manifest(manifest, key), {r.address: d for r, d in chunk_list})


def ranges(
    catalog: tuple[int, int], prices: tuple[int, int], price_list: str = "TRADE-A"
) -> list[PartitionRange]:
    return [
        PartitionRange("catalog", "catalog", *catalog),
        PartitionRange("prices", f"prices:{price_list}", *prices),
    ]


def snapshot(
    cat: Catalog,
    *,
    catalog_v: int = 1,
    prices_v: int = 1,
    price_list: str = "TRADE-A",
    chunk_rows: int = 500,
    **kw: Any,
) -> Bundle:
    """A reset of both roles to ``cat``."""
    chunks = [
        c
        for t in TABLES
        for c in chunk_table(t, list(cat.table(t).values()), chunk_rows=chunk_rows)
    ]
    return sign(ranges((0, catalog_v), (0, prices_v), price_list), chunks, **kw)


def diff_chunks(
    old: Catalog, new: Catalog, tables: Iterable[str], *, chunk_rows: int = 500
) -> list[tuple[ChunkRef, bytes]]:
    """Chunks that take ``old`` to ``new`` for ``tables``."""
    out: list[tuple[ChunkRef, bytes]] = []
    for t in tables:
        a, b = old.table(t), new.table(t)
        ups = [row for k, row in b.items() if a.get(k) != row]
        dels = [k if isinstance(k, tuple) else (k,) for k in a if k not in b]
        out += chunk_table(t, ups, dels, chunk_rows=chunk_rows)
    return out


def delta(
    old: Catalog,
    new: Catalog,
    *,
    catalog: tuple[int, int],
    prices: tuple[int, int],
    price_list: str = "TRADE-A",
    chunk_rows: int = 500,
    **kw: Any,
) -> Bundle:
    """A delta (or, for a role whose range starts at 0, a role reset) from old to new."""
    chunks: list[tuple[ChunkRef, bytes]] = []
    for role, (start, end), tables in (
        ("catalog", catalog, ("categories", "products")),
        ("prices", prices, ("prices",)),
    ):
        del role
        if start == 0:
            chunks += [
                c
                for t in tables
                for c in chunk_table(t, list(new.table(t).values()), chunk_rows=chunk_rows)
            ]
        elif start != end:
            chunks += diff_chunks(old, new, tables, chunk_rows=chunk_rows)
    return sign(ranges(catalog, prices, price_list), chunks, **kw)


class ChunkServer:
    """``fetch_chunk`` for tests: serves chunks of bundles, counts calls, can fail."""

    def __init__(self, *bundles: Bundle) -> None:
        self.chunks: dict[str, bytes] = {}
        for b in bundles:
            self.chunks.update(b.chunks)
        self.calls: list[str] = []
        self.fail_at: int | None = None

    def __call__(self, ref: ChunkRef) -> bytes:
        if self.fail_at is not None and len(self.calls) >= self.fail_at:
            raise ConnectionError("network down (test)")
        self.calls.append(ref.address)
        return self.chunks[ref.address]


def apply(store: Any, bundle: Bundle, **kw: Any) -> Any:
    """Apply ``bundle`` with the default test customer, keys and time."""
    args: dict[str, Any] = {
        "trusted": TRUSTED,
        "customer_id": CUSTOMER,
        "now_ms": NOW_MS,
        "fetch_chunk": ChunkServer(bundle),
    }
    args.update(kw)
    return store.apply(bundle.envelope, **args)


def store_rows(folder: Path) -> dict[str, list[Row]]:
    """Every synced row and cursor of the store in ``folder``, sorted (empty if no file)."""
    db = folder / "catalog.db"
    if not db.exists():
        return {}
    conn = sqlite3.connect(db)
    try:
        out = {
            t: sorted(conn.execute(f"SELECT {', '.join(s.column_names)} FROM {t}").fetchall())
            for t, s in TABLES.items()
        }
        out["cursors"] = sorted(conn.execute("SELECT * FROM store_cursors").fetchall())
        out["meta"] = sorted(conn.execute("SELECT * FROM store_meta").fetchall())
        return out
    finally:
        conn.close()


def store_checksum(folder: Path) -> str:
    """SHA-256 over every synced row and the cursors: equal before/after means unchanged."""
    return hashlib.sha256(repr(store_rows(folder)).encode()).hexdigest()


def expected_rows(
    cat: Catalog, cursors: Mapping[str, tuple[str, int]], customer: str = CUSTOMER
) -> dict[str, list[Row]]:
    """What :func:`store_rows` returns for a store holding ``cat`` at ``cursors``."""
    out: dict[str, list[Row]] = {}
    for t in TABLES:
        out[t] = sorted(
            tuple(int(v) if type(v) is bool else v for v in row) for row in cat.table(t).values()
        )
    out["cursors"] = sorted((role, p, v) for role, (p, v) in cursors.items())
    out["meta"] = [("customer_id", customer), ("schema_version", "1")]
    return out


def with_customer(bundle: Bundle, customer: str) -> Bundle:
    """The same bundle re-signed for another customer."""
    m = replace(bundle.manifest, customer_id=customer)
    return Bundle(m, sign_manifest(m, KEY), bundle.chunks)
