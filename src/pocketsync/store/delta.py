"""Delta apply: one ``BEGIN IMMEDIATE ... COMMIT`` on the live catalog file.

Every change of a manifest lands in a single transaction together with the new cursors,
so readers and a crash see the old version or the new one, never a mix. A role that is
reset inside a delta (its partition changed or its cursor was too old) gets the bulk
treatment inside that same transaction: its read and search indexes are dropped, its rows
deleted, the new rows inserted, and the indexes rebuilt once — DDL is transactional in
SQLite, and the connection runs with ``isolation_level=None`` so nothing is committed
behind our back.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable

from pocketsync.bundle.chunk import ChunkData
from pocketsync.bundle.plan import ApplyPlan
from pocketsync.bundle.tables import TABLES, tables_of_role
from pocketsync.store import schema
from pocketsync.store.bulk import write_state
from pocketsync.store.errors import translate_errors

__all__ = ["apply_delta"]


def apply_delta(
    conn: sqlite3.Connection,
    plan: ApplyPlan,
    chunks: Iterable[ChunkData],
    *,
    customer_id: str,
    on_chunk: Callable[[ChunkData], None],
    on_index: Callable[[], None],
) -> None:
    """Apply ``chunks`` (decoded lazily, in manifest order) and the plan's cursors atomically.

    Per chunk, deletes run before upserts. On any failure the transaction is rolled back
    and the error re-raised: bundle errors unchanged, sqlite3 errors as store errors.

    Raises:
        StoreBusyError: another connection holds the write lock.
        StoreDatabaseError: SQLite failed.
    """
    reset = [s for a in plan.actions if a.kind == "reset" for s in tables_of_role(a.role)]
    cursors = {a.role: a.cursor for a in plan.actions if a.kind != "current"}
    with translate_errors("apply the delta"):
        conn.execute("BEGIN IMMEDIATE")
        try:
            schema.drop_secondary_indexes(conn, reset)
            for spec in reset:
                # No triggers or secondary indexes left on it: SQLite's truncate path.
                conn.execute(f"DELETE FROM {spec.name}")  # noqa: S608 (fixed table name)
            for chunk in chunks:
                spec = TABLES[chunk.table]
                if chunk.delete_count:
                    conn.executemany(schema.delete_sql(spec), chunk.delete_keys())
                if chunk.upsert_count:
                    conn.executemany(schema.upsert_sql(spec), chunk.upsert_rows())
                on_chunk(chunk)
            if reset:
                on_index()
                schema.create_secondary_indexes(conn, reset)
            write_state(conn, customer_id, cursors)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                # The original error matters more than a failed rollback; SQLite rolls
                # back an unfinished transaction on the next open anyway.
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
