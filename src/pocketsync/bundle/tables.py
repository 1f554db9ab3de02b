"""The client tables a bundle fills, fixed for format v1.

This is the single description of the synced columns: the server builder encodes rows in
this column order and the client store creates its tables from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["ROLES", "TABLES", "Column", "TableSpec", "tables_of_role"]

ROLES: tuple[str, ...] = ("catalog", "prices")


@dataclass(frozen=True, slots=True)
class Column:
    """One synced column: its name, Python type on the wire, and whether it may be None."""

    name: str
    type: type[str] | type[int] | type[bool]
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A synced table: the role (partition kind) it belongs to, its columns and its key."""

    name: str
    role: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def key_indexes(self) -> tuple[int, ...]:
        names = self.column_names
        return tuple(names.index(k) for k in self.key)

    @property
    def key_columns(self) -> tuple[Column, ...]:
        return tuple(self.columns[i] for i in self.key_indexes)


_TABLES = (
    TableSpec(
        "categories",
        "catalog",
        (
            Column("id", str),
            Column("parent_id", str, nullable=True),
            Column("name", str),
            Column("position", int),
        ),
        ("id",),
    ),
    TableSpec(
        "products",
        "catalog",
        (
            Column("sku", str),
            Column("name", str),
            Column("description", str),
            Column("category_id", str),
            Column("unit", str),
            Column("pack_size", int),
            Column("min_order_qty", int),
            Column("barcode", str, nullable=True),
            Column("brand", str, nullable=True),
            Column("active", bool),
            Column("attributes", str),
        ),
        ("sku",),
    ),
    TableSpec(
        "prices",
        "prices",
        (
            Column("sku", str),
            Column("min_qty", int),
            Column("amount", int),
            Column("currency", str),
        ),
        ("sku", "min_qty"),
    ),
)

# Insertion order is the apply order: categories before the products that name them.
TABLES: Mapping[str, TableSpec] = MappingProxyType({t.name: t for t in _TABLES})


def tables_of_role(role: str) -> tuple[TableSpec, ...]:
    """The tables whose rows belong to ``role`` (``"catalog"`` or ``"prices"``)."""
    return tuple(t for t in _TABLES if t.role == role)
