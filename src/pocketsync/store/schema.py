"""The client database schema, derived from :data:`pocketsync.bundle.tables.TABLES`.

Synced tables are plain rowid tables *without* a declared primary key: their unique key
indexes, secondary indexes and the FTS5 search index are separate objects, so a fresh
file can be bulk-loaded into bare tables and indexed once afterwards (the fast path), and
a role reset inside a delta can drop and rebuild them the same way. The benchmark's
floor uses :func:`create_tables` / :func:`create_indexes` so both build the same file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from pocketsync.bundle.tables import TABLES, TableSpec

__all__ = [
    "SCHEMA_VERSION",
    "create_indexes",
    "create_key_indexes",
    "create_secondary_indexes",
    "create_tables",
    "delete_sql",
    "drop_secondary_indexes",
    "insert_sql",
    "upsert_sql",
]

SCHEMA_VERSION = 1

_SQL_TYPES = {str: "TEXT", int: "INTEGER", bool: "INTEGER"}

# Secondary B-tree indexes serve the read API: the category tree by parent, keyset
# paging of a category's products by (name, sku), and exact barcode lookup.
_SECONDARY: dict[str, tuple[tuple[str, str], ...]] = {
    "categories": (("categories_parent", "parent_id, position, name, id"),),
    "products": (
        ("products_category", "category_id, name, sku"),
        ("products_barcode", "barcode"),
    ),
    "prices": (),
}

# The product-name search index: FTS5 over the products table (external content, so the
# text is not stored twice). Triggers keep it in step with deltas; a bulk load skips
# them and rebuilds the index in one pass.
_FTS_DDL = (
    "CREATE VIRTUAL TABLE products_fts USING fts5(name, content='products', "
    "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
)
_FTS_TRIGGERS = (
    "CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN "
    "INSERT INTO products_fts(rowid, name) VALUES (new.rowid, new.name); END",
    "CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN "
    "INSERT INTO products_fts(products_fts, rowid, name) VALUES ('delete', old.rowid, old.name);"
    " END",
    "CREATE TRIGGER products_fts_au AFTER UPDATE OF name ON products BEGIN "
    "INSERT INTO products_fts(products_fts, rowid, name) VALUES ('delete', old.rowid, old.name);"
    " INSERT INTO products_fts(rowid, name) VALUES (new.rowid, new.name); END",
)
_FTS_DROP = (
    "DROP TRIGGER IF EXISTS products_fts_ai",
    "DROP TRIGGER IF EXISTS products_fts_ad",
    "DROP TRIGGER IF EXISTS products_fts_au",
    "DROP TABLE IF EXISTS products_fts",
)


def _table_ddl(spec: TableSpec) -> str:
    cols = ", ".join(
        f"{c.name} {_SQL_TYPES[c.type]}{'' if c.nullable else ' NOT NULL'}" for c in spec.columns
    )
    return f"CREATE TABLE {spec.name} ({cols})"


def create_tables(conn: sqlite3.Connection) -> None:
    """Create the bookkeeping tables and the bare synced tables (no indexes)."""
    conn.execute(
        "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TABLE store_cursors (role TEXT PRIMARY KEY, partition_id TEXT NOT NULL, "
        "version INTEGER NOT NULL) WITHOUT ROWID"
    )
    for spec in TABLES.values():
        conn.execute(_table_ddl(spec))


def create_key_indexes(conn: sqlite3.Connection, specs: Iterable[TableSpec]) -> None:
    """Create the unique index on each table's key (what upserts resolve conflicts on).

    Raises:
        sqlite3.IntegrityError: a key occurs twice in the loaded rows.
    """
    for spec in specs:
        conn.execute(f"CREATE UNIQUE INDEX {spec.name}_key ON {spec.name} ({', '.join(spec.key)})")


def create_secondary_indexes(conn: sqlite3.Connection, specs: Iterable[TableSpec]) -> None:
    """Create the read indexes of ``specs``; for products also build the search index."""
    for spec in specs:
        for name, columns in _SECONDARY[spec.name]:
            conn.execute(f"CREATE INDEX {name} ON {spec.name} ({columns})")
        if spec.name == "products":
            conn.execute(_FTS_DDL)
            conn.execute("INSERT INTO products_fts(products_fts) VALUES ('rebuild')")
            for trigger in _FTS_TRIGGERS:
                conn.execute(trigger)


def drop_secondary_indexes(conn: sqlite3.Connection, specs: Iterable[TableSpec]) -> None:
    """Drop what :func:`create_secondary_indexes` made (before replacing a role's rows)."""
    for spec in specs:
        for name, _ in _SECONDARY[spec.name]:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        if spec.name == "products":
            for statement in _FTS_DROP:
                conn.execute(statement)


def create_indexes(conn: sqlite3.Connection) -> None:
    """Every index of every synced table, search index included (after a bulk load)."""
    create_key_indexes(conn, TABLES.values())
    create_secondary_indexes(conn, TABLES.values())


def insert_sql(spec: TableSpec) -> str:
    """Plain INSERT of a full row (bulk load into a bare table)."""
    # Identifiers here and below come from the fixed TABLES spec, never from input.
    marks = ", ".join("?" * len(spec.columns))
    return f"INSERT INTO {spec.name} ({', '.join(spec.column_names)}) VALUES ({marks})"  # noqa: S608


def upsert_sql(spec: TableSpec) -> str:
    """INSERT ... ON CONFLICT DO UPDATE of a full row.

    An UPSERT, not INSERT OR REPLACE: REPLACE deletes the old row without firing delete
    triggers (recursive_triggers is off), which would leave stale search-index entries,
    and it would give the row a new rowid.
    """
    others = [c for c in spec.column_names if c not in spec.key]
    updates = ", ".join(f"{c} = excluded.{c}" for c in others)
    return f"{insert_sql(spec)} ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {updates}"


def delete_sql(spec: TableSpec) -> str:
    """DELETE of one row by its key."""
    where = " AND ".join(f"{k} = ?" for k in spec.key)
    return f"DELETE FROM {spec.name} WHERE {where}"  # noqa: S608
