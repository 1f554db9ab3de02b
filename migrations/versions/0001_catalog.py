"""Catalog: partitions, categories, products, price lists, prices, chunks and builds.

Creates exactly the tables of ``pocketsync.catalog.schema`` (a test compares them), with
the constraint names the shared naming convention gives them.

Revision ID: 0001_catalog
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_catalog"
down_revision = None
branch_labels = None
depends_on = None

_ID = 128
_PRICE_LIST_ID = 64
_PARTITION_ID = 80


def _row_state() -> list[sa.Column[object]]:
    return [
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
    ]


def _build_key() -> list[sa.Column[object]]:
    return [
        sa.Column("partition_id", sa.String(_PARTITION_ID), nullable=False),
        sa.Column("from_version", sa.BigInteger(), nullable=False),
        sa.Column("to_version", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "catalog_partitions",
        sa.Column("id", sa.String(_PARTITION_ID), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("retained_from", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "version >= retained_from AND retained_from >= 0",
            name="ck_catalog_partitions_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_partitions"),
    )
    op.create_table(
        "catalog_categories",
        sa.Column("id", sa.String(_ID), nullable=False),
        sa.Column("parent_id", sa.String(_ID), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        *_row_state(),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_categories"),
    )
    op.create_index("ix_catalog_categories_version", "catalog_categories", ["version"])
    op.create_index("ix_catalog_categories_parent_id", "catalog_categories", ["parent_id"])
    op.create_table(
        "catalog_products",
        sa.Column("sku", sa.String(_ID), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category_id", sa.String(_ID), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("pack_size", sa.BigInteger(), nullable=False),
        sa.Column("min_order_qty", sa.BigInteger(), nullable=False),
        sa.Column("barcode", sa.String(64), nullable=True),
        sa.Column("brand", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        *_row_state(),
        sa.CheckConstraint(
            "pack_size >= 1 AND min_order_qty >= 1", name="ck_catalog_products_quantities"
        ),
        sa.PrimaryKeyConstraint("sku", name="pk_catalog_products"),
    )
    op.create_index("ix_catalog_products_version", "catalog_products", ["version"])
    op.create_index("ix_catalog_products_category_id", "catalog_products", ["category_id"])
    op.create_table(
        "catalog_price_lists",
        sa.Column("id", sa.String(_PRICE_LIST_ID), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_price_lists"),
    )
    op.create_table(
        "catalog_prices",
        sa.Column("price_list_id", sa.String(_PRICE_LIST_ID), nullable=False),
        sa.Column("sku", sa.String(_ID), nullable=False),
        sa.Column("min_qty", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *_row_state(),
        sa.CheckConstraint("min_qty >= 1 AND amount >= 0", name="ck_catalog_prices_money"),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["catalog_price_lists.id"],
            name="fk_catalog_prices_price_list_id_catalog_price_lists",
        ),
        sa.PrimaryKeyConstraint("price_list_id", "sku", "min_qty", name="pk_catalog_prices"),
    )
    op.create_index(
        "ix_catalog_prices_price_list_id_version", "catalog_prices", ["price_list_id", "version"]
    )
    op.create_table(
        "catalog_chunks",
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("address", name="pk_catalog_chunks"),
    )
    op.create_table(
        "catalog_builds",
        *_build_key(),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("retired_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint(
            "partition_id", "from_version", "to_version", name="pk_catalog_builds"
        ),
    )
    op.create_table(
        "catalog_build_chunks",
        *_build_key(),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["address"],
            ["catalog_chunks.address"],
            name="fk_catalog_build_chunks_address_catalog_chunks",
        ),
        sa.ForeignKeyConstraint(
            ["partition_id", "from_version", "to_version"],
            [
                "catalog_builds.partition_id",
                "catalog_builds.from_version",
                "catalog_builds.to_version",
            ],
            name="fk_catalog_build_chunks_partition_id_catalog_builds",
        ),
        sa.PrimaryKeyConstraint(
            "partition_id", "from_version", "to_version", "seq", name="pk_catalog_build_chunks"
        ),
    )
    op.create_index("ix_catalog_build_chunks_address", "catalog_build_chunks", ["address"])


def downgrade() -> None:
    for index, table in (
        ("ix_catalog_build_chunks_address", "catalog_build_chunks"),
        ("ix_catalog_prices_price_list_id_version", "catalog_prices"),
        ("ix_catalog_products_category_id", "catalog_products"),
        ("ix_catalog_products_version", "catalog_products"),
        ("ix_catalog_categories_parent_id", "catalog_categories"),
        ("ix_catalog_categories_version", "catalog_categories"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "catalog_build_chunks",
        "catalog_builds",
        "catalog_chunks",
        "catalog_prices",
        "catalog_price_lists",
        "catalog_products",
        "catalog_categories",
        "catalog_partitions",
    ):
        op.drop_table(table)
