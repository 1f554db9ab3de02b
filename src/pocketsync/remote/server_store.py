"""The server store: :class:`RemoteStateServer` replays pushes and answers pulls on SQLAlchemy.

Each push or pull is one database transaction that starts by locking the owner's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), so
pushes for one owner never interleave. The client's high-water mark is written in the same
transaction as the state change: a retried push applies once. Any error rolls the whole
transaction back, leaving the stored state unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pocketsync.clock import Clock
from pocketsync.remote.errors import ClientOwnerMismatchError, SequenceGapError
from pocketsync.remote.hlc import Hlc, HybridClock
from pocketsync.remote.messages import PullRequest, PullResponse, PushRequest, PushResponse
from pocketsync.remote.ops import OpResult, OpStatus, SettingValue
from pocketsync.remote.replay import DEFAULT_MAX_DRIFT_MS, EntityKey, Replica, lookup_skus
from pocketsync.remote.rules import ProductRules
from pocketsync.remote.server_schema import (
    remote_clients,
    remote_entities,
    remote_op_results,
    remote_owners,
)
from pocketsync.remote.settings import DEFAULT_SETTINGS, SettingsRegistry
from pocketsync.remote.state import (
    FavMeta,
    FavView,
    LineMeta,
    LineView,
    RemoteView,
    SettingMeta,
    decode_meta,
    encode_meta,
)

__all__ = ["ProductRulesSource", "RemoteStateServer", "RetentionPolicy", "StoreStats"]

ProductRulesSource = Callable[[Connection], ProductRules]
"""Gives the product rules as seen by one database transaction.

The store calls it with the connection of its push or pull, so a SQL-backed implementation
reads the catalog inside that transaction (``pocketsync.catalog.CatalogProductRules`` is one:
pass the class itself). :class:`~pocketsync.remote.rules.DictProductRules` ignores the
connection and answers from memory.
"""

_DAY_MS = 86_400_000
_ENT = remote_entities.c


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long silent clients count.

    A client silent for ``client_expiry_ms`` no longer holds back collection; its next pull
    gets a reset and its queued operations are replayed treating anything collected as
    unobserved. After ``client_forget_ms`` its record is deleted; it then starts over under a
    new client id (see ``RemoteStateClient.handle_sequence_gap``).
    """

    client_expiry_ms: int = 90 * _DAY_MS
    client_forget_ms: int = 365 * _DAY_MS


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Stored size of one owner's state: rows, tombstones, contributions and bytes."""

    entities: int
    tombstones: int
    contributions: int
    clients: int
    stored_bytes: int


def _pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def _unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False)


class RemoteStateServer:
    """Server side of cart, favourites and settings sync for many owners (user ids).

    ``rules`` is called with the connection of each push or pull transaction and returns the
    product rules that transaction sees (see :data:`ProductRulesSource`).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock,
        rules: ProductRulesSource,
        registry: SettingsRegistry = DEFAULT_SETTINGS,
        retention: RetentionPolicy | None = None,
        max_drift_ms: int = DEFAULT_MAX_DRIFT_MS,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._rules = rules
        self._registry = registry
        self._retention = retention or RetentionPolicy()
        self._max_drift_ms = max_drift_ms

    # -- push -----------------------------------------------------------------------------------

    def push(self, owner: str, request: PushRequest) -> PushResponse:
        """Apply the request's operations not applied before, in order, in one transaction.

        Returns one result per operation of the request; operations at or below the client's
        high-water mark are not applied again: their original results are returned.

        Raises:
            ClientOwnerMismatchError: the client id belongs to another owner.
            SequenceGapError: the first new sequence number is beyond ``last_seq + 1``; its
                ``last_seq`` says where to resume. Nothing is applied.
        """
        now = self._clock.now_ms()
        cid = request.client_id
        with self._engine.begin() as conn:
            own = self._lock_owner(conn, owner)
            client = self._client(conn, owner, cid, now, floor=request.ops[0].seen)
            last = client.last_seq
            first = request.ops[0].seq
            if first > last + 1:
                raise SequenceGapError(
                    f"push starts at sequence {first} but the last applied is {last}",
                    last_seq=last,
                )
            dup = [e.seq for e in request.ops if e.seq <= last]
            new = [e for e in request.ops if e.seq > last]
            results = list(self._stored_results(conn, cid, dup))
            horizon = self._horizon(conn, owner, own.version, now)
            replica = self._load(conn, own, horizon)
            if new:
                rules = self._rules(conn).lookup(lookup_skus(new))
                fresh = [replica.apply(e, cid, rules) for e in new]
                results.extend(fresh)
                self._save(conn, owner, replica)
                self._store_results(conn, cid, fresh)
                last = new[-1].seq
            conn.execute(
                delete(remote_op_results).where(
                    remote_op_results.c.client_id == cid, remote_op_results.c.seq < first
                )
            )
            floor = min(max(client.floor, request.ops[-1].seen), replica.version)
            self._touch_client(conn, cid, now, last_seq=last, floor=floor)
            hlc = replica.tick()
            self._save_owner(conn, owner, replica.version, hlc)
            self._collect(conn, owner, own.collected, horizon, now)
        return PushResponse(last, hlc, tuple(results))

    # -- pull -----------------------------------------------------------------------------------

    def pull(self, owner: str, request: PullRequest) -> PullResponse:
        """Return what changed since the request's cookie, or everything with ``reset``.

        A reset is sent when there is no cookie, when it is ahead of the server (restored from
        a backup), or when it is older than the collected tombstones.

        Raises:
            ClientOwnerMismatchError: the client id belongs to another owner.
        """
        now = self._clock.now_ms()
        cid = request.client_id
        with self._engine.begin() as conn:
            own = self._lock_owner(conn, owner)
            version = own.version
            client = self._client(conn, owner, cid, now, floor=version)
            cookie = request.cookie
            reset = cookie is None or cookie > version or cookie < own.collected
            query = select(_ENT.kind, _ENT.k1, _ENT.k2, _ENT.version, _ENT.present, _ENT.body)
            query = query.where(_ENT.owner == owner)
            query = query.where(_ENT.present) if reset else query.where(_ENT.version > cookie)
            rows = conn.execute(query).all()
            resp = self._patch(rows, version, cookie, client.last_seq, reset, conn, owner)
            floor = version if request.min_seen is None else min(request.min_seen, version)
            self._touch_client(conn, cid, now, last_seq=client.last_seq, floor=floor)
            horizon = self._horizon(conn, owner, version, now)
            self._collect(conn, owner, own.collected, horizon, now)
        return resp

    def _patch(
        self,
        rows: Sequence[Any],
        version: int,
        cookie: int | None,
        last_seq: int,
        reset: bool,
        conn: Connection,
        owner: str,
    ) -> PullResponse:
        lines: list[LineView] = []
        favs: list[FavView] = []
        settings: dict[str, SettingValue] = {}
        lines_removed: list[tuple[str, str]] = []
        favs_removed: list[str] = []
        settings_removed: list[str] = []
        for row in rows:
            meta = decode_meta(row.kind, row.present, row.version, _unpack(row.body))
            if isinstance(meta, LineMeta):
                if meta.present:
                    lines.append(LineView(row.k1, row.k2, meta.qty, meta.note))
                else:
                    lines_removed.append((row.k1, row.k2))
            elif isinstance(meta, FavMeta):
                if meta.present:
                    favs.append(FavView(row.k1, meta.rank))
                else:
                    favs_removed.append(row.k1)
            elif meta.value is not None:
                settings[row.k1] = meta.value
            else:
                settings_removed.append(row.k1)
        skus = conn.execute(
            select(_ENT.k1).where(_ENT.owner == owner, _ENT.present, _ENT.kind.in_(("line", "fav")))
        ).scalars()
        wanted = set(skus)
        known = self._rules(conn).lookup(wanted)
        unavailable = sorted(s for s in wanted if s not in known or not known[s].active)
        own = conn.execute(select(remote_owners).where(remote_owners.c.owner == owner)).one()
        hlc = HybridClock(self._clock, Hlc(own.hlc_wall, own.hlc_counter)).now()
        return PullResponse(
            cookie=version,
            base_cookie=cookie,
            last_seq=last_seq,
            reset=reset,
            server_hlc=hlc,
            lines=tuple(sorted(lines, key=lambda x: (x.sku, x.unit))),
            lines_removed=tuple(sorted(lines_removed)),
            favourites=tuple(sorted(favs, key=lambda f: (f.rank, f.sku))),
            favourites_removed=tuple(sorted(favs_removed)),
            settings=dict(sorted(settings.items())),
            settings_removed=tuple(sorted(settings_removed)),
            unavailable=tuple(unavailable),
        )

    # -- reading and housekeeping -------------------------------------------------------------

    def view(self, owner: str) -> RemoteView:
        """The owner's current state as every client will see it after syncing."""
        with self._engine.connect() as conn:
            own = conn.execute(select(remote_owners).where(remote_owners.c.owner == owner)).first()
            if own is None:
                return RemoteView()
            replica = self._load(conn, own, 0)
            return replica.view(self._rules(conn).lookup(replica.skus()))

    def stats(self, owner: str) -> StoreStats:
        """Measure what the owner's state occupies (rows and bytes, for tests and benchmarks)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_ENT.present, _ENT.body, _ENT.k1, _ENT.k2, _ENT.kind).where(
                    _ENT.owner == owner
                )
            ).all()
            clients = conn.execute(
                select(func.count())
                .select_from(remote_clients)
                .where(remote_clients.c.owner == owner)
            ).scalar_one()
        contributions = 0
        for row in rows:
            body = _unpack(row.body)
            contributions += (
                len(body[4]) if row.kind == "line" else len(body[0]) if row.kind == "fav" else 0
            )
        size = sum(len(r.body) + len(r.k1) + len(r.k2) + 24 for r in rows) + clients * 48
        return StoreStats(len(rows), sum(not r.present for r in rows), contributions, clients, size)

    def delete_owner(self, connection: Connection, owner: str) -> None:
        """Delete everything stored for ``owner`` inside the caller's transaction."""
        cids = select(remote_clients.c.client_id).where(remote_clients.c.owner == owner)
        connection.execute(delete(remote_op_results).where(remote_op_results.c.client_id.in_(cids)))
        connection.execute(delete(remote_clients).where(remote_clients.c.owner == owner))
        connection.execute(delete(remote_entities).where(_ENT.owner == owner))
        connection.execute(delete(remote_owners).where(remote_owners.c.owner == owner))

    # -- helpers --------------------------------------------------------------------------------

    def _lock_owner(self, conn: Connection, owner: str) -> Row[Any]:
        query = select(remote_owners).where(remote_owners.c.owner == owner).with_for_update()
        row = conn.execute(query).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(remote_owners).values(
                            owner=owner, version=0, hlc_wall=0, hlc_counter=0, collected=0
                        )
                    )
            except IntegrityError:
                pass  # created concurrently: the lock below waits for that transaction
            row = conn.execute(query).one()
        return row

    def _client(
        self, conn: Connection, owner: str, cid: bytes, now: int, *, floor: int
    ) -> Row[Any]:
        query = select(remote_clients).where(remote_clients.c.client_id == cid)
        row = conn.execute(query).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(remote_clients).values(
                            client_id=cid, owner=owner, last_seq=0, floor=floor, last_contact_ms=now
                        )
                    )
            except IntegrityError as exc:
                raise ClientOwnerMismatchError("client id is registered for another owner") from exc
            row = conn.execute(query).one()
        if row.owner != owner:
            raise ClientOwnerMismatchError("client id is registered for another owner")
        return row

    @staticmethod
    def _touch_client(conn: Connection, cid: bytes, now: int, *, last_seq: int, floor: int) -> None:
        conn.execute(
            update(remote_clients)
            .where(remote_clients.c.client_id == cid)
            .values(last_seq=last_seq, floor=floor, last_contact_ms=now)
        )

    def _horizon(self, conn: Connection, owner: str, version: int, now: int) -> int:
        # Everything at or below the lowest floor of the active clients has been observed by
        # all of them (and by any operation they may still send).
        low = conn.execute(
            select(func.min(remote_clients.c.floor)).where(
                remote_clients.c.owner == owner,
                remote_clients.c.last_contact_ms >= now - self._retention.client_expiry_ms,
            )
        ).scalar()
        return version if low is None else min(int(low), version)

    def _collect(
        self, conn: Connection, owner: str, collected: int, horizon: int, now: int
    ) -> None:
        doomed = and_(_ENT.owner == owner, _ENT.present.is_(False), _ENT.version <= horizon)
        top = conn.execute(select(func.max(_ENT.version)).where(doomed)).scalar()
        if top is not None:
            conn.execute(delete(remote_entities).where(doomed))
            conn.execute(
                update(remote_owners)
                .where(remote_owners.c.owner == owner)
                .values(collected=max(collected, top))
            )
        forgotten = remote_clients.c.last_contact_ms < now - self._retention.client_forget_ms
        old = select(remote_clients.c.client_id).where(remote_clients.c.owner == owner, forgotten)
        conn.execute(delete(remote_op_results).where(remote_op_results.c.client_id.in_(old)))
        conn.execute(delete(remote_clients).where(remote_clients.c.owner == owner, forgotten))

    def _load(self, conn: Connection, own: Row[Any], horizon: int) -> Replica:
        replica = Replica(
            clock=self._clock,
            registry=self._registry,
            version=own.version,
            hlc=Hlc(own.hlc_wall, own.hlc_counter),
            horizon=horizon,
            max_drift_ms=self._max_drift_ms,
        )
        rows = conn.execute(
            select(_ENT.kind, _ENT.k1, _ENT.k2, _ENT.version, _ENT.present, _ENT.body).where(
                _ENT.owner == own.owner
            )
        )
        for row in rows:
            meta = decode_meta(row.kind, row.present, row.version, _unpack(row.body))
            if isinstance(meta, LineMeta):
                replica.lines[(row.k1, row.k2)] = meta
            elif isinstance(meta, FavMeta):
                replica.favs[row.k1] = meta
            else:
                replica.settings[row.k1] = meta
        replica.loaded = {("line", sku, unit) for sku, unit in replica.lines}
        replica.loaded |= {("fav", k, "") for k in replica.favs}
        replica.loaded |= {("set", k, "") for k in replica.settings}
        return replica

    def _save(self, conn: Connection, owner: str, replica: Replica) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for key in replica.dirty:
            meta = _meta(replica, key)
            row = {
                "b_owner": owner,
                "b_kind": key[0],
                "b_k1": key[1],
                "b_k2": key[2],
                "b_version": meta.version,
                "b_present": meta.present,
                "b_body": _pack(encode_meta(meta)),
            }
            (updates if key in replica.loaded else inserts).append(row)
        if inserts:
            conn.execute(
                insert(remote_entities).values(
                    owner=bindparam("b_owner"),
                    kind=bindparam("b_kind"),
                    k1=bindparam("b_k1"),
                    k2=bindparam("b_k2"),
                    version=bindparam("b_version"),
                    present=bindparam("b_present"),
                    body=bindparam("b_body"),
                ),
                inserts,
            )
        if updates:
            conn.execute(
                update(remote_entities)
                .where(
                    _ENT.owner == bindparam("b_owner"),
                    _ENT.kind == bindparam("b_kind"),
                    _ENT.k1 == bindparam("b_k1"),
                    _ENT.k2 == bindparam("b_k2"),
                )
                .values(
                    version=bindparam("b_version"),
                    present=bindparam("b_present"),
                    body=bindparam("b_body"),
                ),
                updates,
            )

    @staticmethod
    def _save_owner(conn: Connection, owner: str, version: int, hlc: Hlc) -> None:
        conn.execute(
            update(remote_owners)
            .where(remote_owners.c.owner == owner)
            .values(version=version, hlc_wall=hlc.wall_ms, hlc_counter=hlc.counter)
        )

    @staticmethod
    def _store_results(conn: Connection, cid: bytes, results: Iterable[OpResult]) -> None:
        # Plain "applied" answers are the default for a replay, so only the others are kept.
        rows = [
            {
                "client_id": cid,
                "seq": r.seq,
                "status": r.status.value,
                "code": r.code,
                "detail": _pack(dict(r.detail)),
            }
            for r in results
            if r.status is not OpStatus.APPLIED or r.code is not None
        ]
        if rows:
            conn.execute(insert(remote_op_results), rows)

    @staticmethod
    def _stored_results(conn: Connection, cid: bytes, seqs: list[int]) -> Iterable[OpResult]:
        if not seqs:
            return []
        t = remote_op_results.c
        stored = {
            r.seq: OpResult(r.seq, OpStatus(r.status), r.code, _unpack(r.detail))
            for r in conn.execute(
                select(remote_op_results).where(
                    t.client_id == cid, t.seq.between(seqs[0], seqs[-1])
                )
            )
        }
        return [stored.get(s) or OpResult(s, OpStatus.APPLIED) for s in seqs]


def _meta(replica: Replica, key: EntityKey) -> LineMeta | FavMeta | SettingMeta:
    kind, k1, k2 = key
    if kind == "line":
        return replica.lines[(k1, k2)]
    if kind == "fav":
        return replica.favs[k1]
    return replica.settings[k1]
