"""Bundle builder: signed manifests and content-addressed chunks for each customer.

A manifest has one range per role: the shared catalog and the customer's price list.
Per role the answer is a reset (snapshot of the live rows) when the client has no
cursor, its cursor names another partition (the customer moved to another price list),
is 0, is older than the partition's ``retained_from`` (history compacted) or newer than
the server; a delta (rows with ``from < version <= to``) otherwise, and nothing when it
is up to date.

The chunks of a range are a pure function of the rows: rows in key order, split every
``chunk_rows`` rows or ``chunk_bytes`` of text, encoded deterministically. So they are
built once per (partition, from, to), stored once by address in ``catalog_chunks``, and
the same shared-catalog chunks serve every customer. Building streams rows through a
server-side cursor: memory is bounded by one chunk, not by the catalog.

Reads run in one snapshot (REPEATABLE READ on PostgreSQL, the engine's ``BEGIN
IMMEDIATE`` on SQLite) so a range's rows are exactly those of version ``to`` even while
publishers commit. Two servers building the same range at once collide on PostgreSQL;
the loser retries and finds the winner's build in the cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from pocketsync.bundle import (
    ROLES,
    TABLES,
    ChunkRef,
    Manifest,
    PartitionRange,
    RoleCursor,
    SigningKey,
    encode_chunk,
    sign_manifest,
    tables_of_role,
)
from pocketsync.catalog.errors import (
    CatalogBusyError,
    InvalidCursorError,
    InvalidHorizonError,
    UnknownPartitionError,
    UnknownPriceListError,
)
from pocketsync.catalog.model import CATALOG_PARTITION, PRICES_PREFIX, check_id, prices_partition
from pocketsync.catalog.schema import (
    catalog_build_chunks,
    catalog_builds,
    catalog_categories,
    catalog_chunks,
    catalog_partitions,
    catalog_price_lists,
    catalog_prices,
    catalog_products,
)
from pocketsync.clock import Clock
from pocketsync.errors import CatalogError

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_MANIFEST_TTL_MS",
    "CatalogServer",
    "ChunkVisibility",
]

ChunkVisibility = Literal["shared", "private"]

DEFAULT_CHUNK_ROWS = 50_000
DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024  # of text per chunk, before compression
DEFAULT_MANIFEST_TTL_MS = 24 * 3600 * 1000
_ADDRESS = re.compile(r"[0-9a-f]{64}")
_RETRYABLE = {"40001", "40P01"}  # serialization failure, deadlock detected
_SOURCES = {
    "categories": catalog_categories,
    "products": catalog_products,
    "prices": catalog_prices,
}


class CatalogServer:
    """Answers sync requests: signed manifests and the chunks they name.

    ``chunk_rows`` and ``chunk_bytes`` fix where chunks are split; changing them changes
    chunk addresses (old builds stay valid, new builds get new chunks).
    """

    def __init__(
        self,
        engine: Engine,
        signing_key: SigningKey,
        *,
        clock: Clock,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        manifest_ttl_ms: int = DEFAULT_MANIFEST_TTL_MS,
        max_attempts: int = 5,
    ) -> None:
        if chunk_rows < 1 or chunk_bytes < 1 or manifest_ttl_ms < 1 or max_attempts < 1:
            raise ValueError("chunk_rows, chunk_bytes, manifest_ttl_ms, max_attempts must be >= 1")
        self._engine = engine
        self._key = signing_key
        self._clock = clock
        self._chunk_rows = chunk_rows
        self._chunk_bytes = chunk_bytes
        self._ttl = manifest_ttl_ms
        self._attempts = max_attempts

    # -- public API -------------------------------------------------------------------

    def manifest_for(
        self,
        customer_id: str,
        price_list_id: str,
        cursors: Mapping[str, RoleCursor] | None = None,
    ) -> bytes:
        """The signed manifest envelope that brings a client at ``cursors`` up to date.

        ``cursors`` maps roles (``"catalog"``, ``"prices"``) to the client's
        :class:`RoleCursor`; a missing role or ``None`` asks for a snapshot. Builds what
        is not cached yet, so the chunks it names are available from :meth:`chunk`.

        Raises:
            InvalidCursorError: a cursor for an unknown role, or with a negative version.
            UnknownPriceListError: the price list was never created.
            CatalogBusyError: concurrent builds kept colliding (PostgreSQL only).
            CatalogError: ``customer_id`` is not a usable identifier.
        """
        check_id(customer_id, "customer id", CatalogError, max_len=256)
        cursors = dict(cursors or {})
        for role, cursor in cursors.items():
            if role not in ROLES:
                raise InvalidCursorError(f"unknown role {role!r}; roles are {list(ROLES)}")
            if type(cursor.version) is not int or cursor.version < 0:
                raise InvalidCursorError(f"cursor version for {role!r} must be an integer >= 0")
        partitions = {"catalog": CATALOG_PARTITION, "prices": prices_partition(price_list_id)}
        ranges, chunks = self._retrying(lambda conn: self._plan(conn, partitions, cursors))
        now = self._clock.now_ms()
        manifest = Manifest(
            self._key.key_id, customer_id, now, now + self._ttl, tuple(ranges), tuple(chunks)
        )
        return sign_manifest(manifest, self._key)

    def chunk(self, address_hex: str) -> bytes | None:
        """The bytes of the chunk with this address (hex SHA-256), or None if unknown."""
        if not isinstance(address_hex, str) or not _ADDRESS.fullmatch(address_hex):
            return None
        with self._engine.connect() as conn:
            data = conn.execute(
                select(catalog_chunks.c.data).where(catalog_chunks.c.address == address_hex)
            ).scalar_one_or_none()
            conn.rollback()
        return None if data is None else bytes(data)

    def chunk_visibility(self, address_hex: str, price_list_id: str) -> ChunkVisibility | None:
        """Whether a customer on ``price_list_id`` may fetch the chunk, and how to cache it.

        ``"shared"`` for a shared-catalog chunk (any HTTP cache may keep it), ``"private"``
        for a chunk of that price list. None for an unknown address and for another price
        list's chunk alike, so probing addresses tells a customer nothing.
        """
        if not isinstance(address_hex, str) or not _ADDRESS.fullmatch(address_hex):
            return None
        bc = catalog_build_chunks
        with self._engine.connect() as conn:
            partitions = set(
                conn.execute(
                    select(bc.c.partition_id).where(bc.c.address == address_hex).distinct()
                ).scalars()
            )
            conn.rollback()
        if CATALOG_PARTITION in partitions:
            return "shared"
        if prices_partition(price_list_id) in partitions:
            return "private"
        return None

    def compact(self, partition_id: str, horizon: int) -> None:
        """Forget deletions at versions <= ``horizon``; cursors below it get a snapshot.

        Raises:
            UnknownPartitionError: no such partition.
            InvalidHorizonError: ``horizon`` below 0 or above the current version.
        """
        p = catalog_partitions
        with self._engine.begin() as conn:
            state = conn.execute(
                select(p.c.version, p.c.retained_from)
                .where(p.c.id == partition_id)
                .with_for_update()
            ).first()
            if state is None:
                if partition_id == CATALOG_PARTITION and horizon == 0:
                    return  # nothing was ever published
                raise UnknownPartitionError(f"partition {partition_id!r} does not exist")
            if type(horizon) is not int or not 0 <= horizon <= state.version:
                raise InvalidHorizonError(
                    f"horizon {horizon!r} is outside [0, {state.version}] for {partition_id!r}"
                )
            if horizon <= state.retained_from:
                return
            for t, where in _partition_tables(partition_id):
                conn.execute(delete(t).where(t.c.deleted.is_(True), t.c.version <= horizon, *where))
            conn.execute(update(p).where(p.c.id == partition_id).values(retained_from=horizon))
            # Deltas from compacted cursors are never served again; their chunks go
            # after one manifest lifetime, like any superseded build.
            b = catalog_builds
            conn.execute(
                update(b)
                .where(
                    b.c.partition_id == partition_id,
                    b.c.from_version > 0,
                    b.c.from_version < horizon,
                    b.c.retired_ms.is_(None),
                )
                .values(retired_ms=self._clock.now_ms())
            )

    def collect_garbage(self) -> int:
        """Drop builds superseded more than one manifest lifetime ago, and orphan chunks.

        A build is marked retired the first time this runs after its partition moved
        past its ``to`` version (or compaction made its ``from`` unservable) and removed
        on a run ``manifest_ttl_ms`` later, so no unexpired manifest names a removed
        chunk. Returns the number of chunks removed.
        """
        now = self._clock.now_ms()
        b, bc, c, p = catalog_builds, catalog_build_chunks, catalog_chunks, catalog_partitions
        with self._engine.begin() as conn:
            current = select(p.c.version).where(p.c.id == b.c.partition_id).scalar_subquery()
            conn.execute(
                update(b)
                .where(b.c.retired_ms.is_(None), b.c.to_version < current)
                .values(retired_ms=now)
            )
            expired = select(b.c.partition_id, b.c.from_version, b.c.to_version).where(
                b.c.retired_ms <= now - self._ttl
            )
            for r in conn.execute(expired).all():
                key = (r.partition_id, r.from_version, r.to_version)
                for t in (bc, b):
                    conn.execute(
                        delete(t).where(
                            t.c.partition_id == key[0],
                            t.c.from_version == key[1],
                            t.c.to_version == key[2],
                        )
                    )
            orphan = ~exists().where(bc.c.address == c.c.address)
            return int(conn.execute(delete(c).where(orphan)).rowcount)

    # -- planning and building --------------------------------------------------------

    def _retrying(self, work: Any) -> Any:
        for _ in range(self._attempts):
            try:
                with self._snapshot_connection() as conn, conn.begin():
                    return work(conn)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) not in _RETRYABLE:
                    raise
        raise CatalogBusyError(
            f"bundle build collided with concurrent builds {self._attempts} times"
        )

    def _snapshot_connection(self) -> Connection:
        conn = self._engine.connect()
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        return conn

    def _plan(
        self, conn: Connection, partitions: Mapping[str, str], cursors: Mapping[str, RoleCursor]
    ) -> tuple[list[PartitionRange], list[ChunkRef]]:
        pl = catalog_price_lists
        price_list_id = partitions["prices"][len(PRICES_PREFIX) :]
        if conn.execute(select(pl.c.id).where(pl.c.id == price_list_id)).first() is None:
            raise UnknownPriceListError(f"price list {price_list_id!r} does not exist")
        ranges: list[PartitionRange] = []
        chunks: list[ChunkRef] = []
        for role in ROLES:
            pid = partitions[role]
            p = catalog_partitions
            state = conn.execute(
                select(p.c.version, p.c.retained_from).where(p.c.id == pid)
            ).first()
            version, retained = (state.version, state.retained_from) if state else (0, 0)
            cursor = cursors.get(role)
            start = cursor.version if cursor is not None and cursor.partition_id == pid else 0
            if not retained <= start <= version:
                start = 0  # compacted history, or a cursor from the future: start over
            ranges.append(PartitionRange(role, pid, start, version))
            if start < version:
                chunks.extend(self._build(conn, role, pid, start, version))
        return ranges, chunks

    def _build(
        self, conn: Connection, role: str, partition_id: str, start: int, end: int
    ) -> list[ChunkRef]:
        """The chunks of ``partition_id`` from ``start`` to ``end``, from cache or built."""
        b, bc, c = catalog_builds, catalog_build_chunks, catalog_chunks
        key = {"partition_id": partition_id, "from_version": start, "to_version": end}
        cached = conn.execute(
            select(b.c.created_ms).where(*(b.c[k] == v for k, v in key.items()))
        ).first()
        if cached is not None:
            rows = conn.execute(
                select(c.c.address, c.c.table_name, c.c.rows, c.c.length)
                .join(bc, bc.c.address == c.c.address)
                .where(*(bc.c[k] == v for k, v in key.items()))
                .order_by(bc.c.seq)
            )
            return [
                ChunkRef(r.table_name, r.rows, r.length, bytes.fromhex(r.address)) for r in rows
            ]
        refs: list[ChunkRef] = []
        for spec in tables_of_role(role):
            for ref, data in self._encode(conn, spec.name, partition_id, start, end):
                self._insert(
                    conn,
                    c,
                    address=ref.address,
                    table_name=ref.table,
                    rows=ref.rows,
                    length=ref.length,
                    data=data,
                )
                refs.append(ref)
        self._insert(conn, b, **key, created_ms=self._clock.now_ms(), retired_ms=None)
        for seq, ref in enumerate(refs):
            self._insert(conn, bc, **key, seq=seq, address=ref.address)
        return refs

    def _encode(
        self, conn: Connection, table: str, partition_id: str, start: int, end: int
    ) -> Iterator[tuple[ChunkRef, bytes]]:
        spec = TABLES[table]
        t = _SOURCES[table]
        where = [t.c.version > start, t.c.version <= end, *_scope(table, partition_id)]
        if start == 0:
            where.append(t.c.deleted.is_(False))  # a snapshot holds live rows only
        query = (
            select(*(t.c[n] for n in spec.column_names), t.c.deleted)
            .where(*where)
            .order_by(*(t.c[k] for k in spec.key))
            .execution_options(yield_per=min(self._chunk_rows, 10_000))
        )
        keys = spec.key_indexes
        upserts: list[tuple[Any, ...]] = []
        deletes: list[tuple[Any, ...]] = []
        size = 0
        for r in conn.execute(query):
            row = tuple(r)
            if row[-1]:
                deletes.append(tuple(row[i] for i in keys))
            else:
                upserts.append(row[:-1])
            size += sum(len(v) for v in row if type(v) is str)
            if len(upserts) + len(deletes) >= self._chunk_rows or size >= self._chunk_bytes:
                yield encode_chunk(table, upserts, deletes)
                upserts, deletes, size = [], [], 0
        if upserts or deletes:
            yield encode_chunk(table, upserts, deletes)

    @staticmethod
    def _insert(conn: Connection, table: Any, **values: Any) -> None:
        # Chunks and builds are immutable and keyed by content: an existing row is the same.
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())


def _scope(table: str, partition_id: str) -> list[Any]:
    if table == "prices":
        return [catalog_prices.c.price_list_id == partition_id[len(PRICES_PREFIX) :]]
    return []


def _partition_tables(partition_id: str) -> list[tuple[Any, list[Any]]]:
    if partition_id == CATALOG_PARTITION:
        return [(catalog_categories, []), (catalog_products, [])]
    return [(catalog_prices, _scope("prices", partition_id))]
