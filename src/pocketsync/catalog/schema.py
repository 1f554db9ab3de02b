"""Catalog tables on :data:`pocketsync.serverdb.metadata` (SQLAlchemy Core).

Row-versioned tables with tombstones: every synced row carries ``version``, the version
of its partition in which it last changed, and ``deleted``. A delta from ``v`` is the
rows with ``version > v`` (live rows are upserts, tombstones are deletes), a snapshot is
the live rows. Compaction removes tombstones up to a horizon and raises
``catalog_partitions.retained_from``; a cursor below it gets a snapshot instead.

No foreign key from products to categories: tombstones outlive each other in any
order and are purged independently, so the tree rules are checked by the publisher.
Built chunks are content-addressed and stored once in ``catalog_chunks``;
``catalog_builds`` caches the chunk list of each (partition, from, to).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from pocketsync.serverdb.metadata import metadata

__all__ = [
    "CATALOG_TABLES",
    "catalog_build_chunks",
    "catalog_builds",
    "catalog_categories",
    "catalog_chunks",
    "catalog_partitions",
    "catalog_price_lists",
    "catalog_prices",
    "catalog_products",
]

ID_LEN = 128
PRICE_LIST_ID_LEN = 64  # account_customers.price_list_id is String(64)
PARTITION_ID_LEN = 80

catalog_partitions = Table(
    "catalog_partitions",
    metadata,
    Column("id", String(PARTITION_ID_LEN), primary_key=True),
    # Bumped once by every publisher transaction that changes the partition; the row
    # lock this UPDATE takes is what orders concurrent publishers on PostgreSQL.
    Column("version", BigInteger, nullable=False),
    # Deltas are served from cursors >= retained_from; older cursors get a snapshot.
    Column("retained_from", BigInteger, nullable=False),
    CheckConstraint("version >= retained_from AND retained_from >= 0", name="versions"),
)

catalog_categories = Table(
    "catalog_categories",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("parent_id", String(ID_LEN), nullable=True),
    Column("name", Text, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Index("ix_catalog_categories_version", "version"),
    Index("ix_catalog_categories_parent_id", "parent_id"),
)

catalog_products = Table(
    "catalog_products",
    metadata,
    Column("sku", String(ID_LEN), primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("category_id", String(ID_LEN), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("pack_size", BigInteger, nullable=False),
    Column("min_order_qty", BigInteger, nullable=False),
    Column("barcode", String(64), nullable=True),
    Column("brand", Text, nullable=True),
    Column("active", Boolean, nullable=False),
    # Canonical JSON text (sorted keys, no spaces): exactly the wire value, so building
    # a chunk never re-serialises and equal attributes compare equal as strings.
    Column("attributes", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False),
    CheckConstraint("pack_size >= 1 AND min_order_qty >= 1", name="quantities"),
    Index("ix_catalog_products_version", "version"),
    Index("ix_catalog_products_category_id", "category_id"),
)

catalog_price_lists = Table(
    "catalog_price_lists",
    metadata,
    Column("id", String(PRICE_LIST_ID_LEN), primary_key=True),
    Column("name", Text, nullable=False),
    Column("currency", String(3), nullable=False),
)

catalog_prices = Table(
    "catalog_prices",
    metadata,
    Column(
        "price_list_id",
        String(PRICE_LIST_ID_LEN),
        ForeignKey("catalog_price_lists.id"),
        primary_key=True,
    ),
    Column("sku", String(ID_LEN), primary_key=True),
    Column("min_qty", BigInteger, primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False),
    CheckConstraint("min_qty >= 1 AND amount >= 0", name="money"),
    Index("ix_catalog_prices_price_list_id_version", "price_list_id", "version"),
)

catalog_chunks = Table(
    "catalog_chunks",
    metadata,
    # Hex SHA-256 of ``data``: the immutable URL a CDN can cache forever.
    Column("address", String(64), primary_key=True),
    Column("table_name", String(32), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("length", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

catalog_builds = Table(
    "catalog_builds",
    metadata,
    Column("partition_id", String(PARTITION_ID_LEN), primary_key=True),
    Column("from_version", BigInteger, primary_key=True),
    Column("to_version", BigInteger, primary_key=True),
    Column("created_ms", BigInteger, nullable=False),
    # Set by garbage collection when the partition has moved past ``to_version``; the
    # build is removed one manifest lifetime later, when no valid manifest can name it.
    Column("retired_ms", BigInteger, nullable=True),
)

catalog_build_chunks = Table(
    "catalog_build_chunks",
    metadata,
    Column("partition_id", String(PARTITION_ID_LEN), primary_key=True),
    Column("from_version", BigInteger, primary_key=True),
    Column("to_version", BigInteger, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("address", String(64), ForeignKey("catalog_chunks.address"), nullable=False),
    ForeignKeyConstraint(
        ["partition_id", "from_version", "to_version"],
        [
            "catalog_builds.partition_id",
            "catalog_builds.from_version",
            "catalog_builds.to_version",
        ],
    ),
    Index("ix_catalog_build_chunks_address", "address"),
)

CATALOG_TABLES = (
    catalog_partitions,
    catalog_categories,
    catalog_products,
    catalog_price_lists,
    catalog_prices,
    catalog_chunks,
    catalog_builds,
    catalog_build_chunks,
)
