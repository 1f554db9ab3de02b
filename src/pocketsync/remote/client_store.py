"""The client store: outbox and local view of remote state, in one SQLite file per account.

The file lives in a data folder the app chooses, apart from the catalog database, so wiping
the catalog never touches unsent operations; it is named after a hash of the account id, so
one account's queued edits are never shown, sent or merged under another account. Every write
is one ``BEGIN IMMEDIATE ... COMMIT`` on a connection opened with ``isolation_level=None``.

Sync is sans-I/O: the SDK calls :meth:`RemoteStateClient.build_push` / ``build_pull``, moves the
bytes (see :mod:`pocketsync.remote.wire`) and hands the answers to ``apply_push_response`` /
``apply_pull_response``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgpack

from pocketsync.clock import Clock
from pocketsync.remote.errors import MalformedResponseError, WrongAccountError
from pocketsync.remote.hlc import Hlc, HybridClock
from pocketsync.remote.local import LocalState
from pocketsync.remote.messages import (
    CLIENT_ID_LEN,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from pocketsync.remote.ops import (
    AddLine,
    AddQty,
    Envelope,
    FavAdd,
    FavMove,
    FavRemove,
    Op,
    OpResult,
    RemoveLine,
    SetNote,
    SetQty,
    SettingDelete,
    SettingPut,
    SettingValue,
)
from pocketsync.remote.rank import rank_after, rank_between
from pocketsync.remote.state import LineView, RemoteView
from pocketsync.remote.wire import decode_op, encode_op

__all__ = ["RemoteStateClient", "client_file"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB)",
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, seen INTEGER NOT NULL,"
    " body BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS base_lines (sku TEXT, unit TEXT, qty INTEGER NOT NULL,"
    " note TEXT NOT NULL, PRIMARY KEY (sku, unit))",
    "CREATE TABLE IF NOT EXISTS base_favs (sku TEXT PRIMARY KEY, rank TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS base_settings (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS base_unavailable (sku TEXT PRIMARY KEY)",
)
_BASE_TABLES = ("base_lines", "base_favs", "base_settings", "base_unavailable")


def _pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def _unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False)


def client_file(folder: Path, account_id: str) -> Path:
    """The path of ``account_id``'s remote-state file in ``folder``."""
    digest = hashlib.sha256(account_id.encode()).hexdigest()[:32]
    return folder / f"remote-{digest}.sqlite3"


class RemoteStateClient:
    """One account's outbox and local view on this device. Not thread-safe; use from one thread."""

    def __init__(
        self, conn: sqlite3.Connection, clock: Clock, random_bytes: Callable[[int], bytes]
    ) -> None:
        self._conn = conn
        self._random_bytes = random_bytes
        meta = self._meta()
        self.account_id: str = meta["account_id"]
        self._hlc = HybridClock(clock, Hlc(*meta["hlc"]))

    @classmethod
    def open(
        cls, folder: Path, account_id: str, clock: Clock, random_bytes: Callable[[int], bytes]
    ) -> RemoteStateClient:
        """Open (or create) ``account_id``'s store in ``folder``.

        A new store gets a fresh random client id. Queued operations kept from an offline
        logout of the same account are there again.

        Raises:
            WrongAccountError: the file found belongs to another account.
        """
        folder.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(client_file(folder, account_id), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA secure_delete=ON")  # wiped view rows do not linger in free pages
        conn.execute("BEGIN IMMEDIATE")
        try:
            # DDL inside the transaction: a failed first open leaves no half-made schema.
            for statement in _SCHEMA:
                conn.execute(statement)
            found = conn.execute("SELECT value FROM meta WHERE key='account_id'").fetchone()
            if found is None:
                cid = random_bytes(CLIENT_ID_LEN)
                initial = {
                    "account_id": account_id, "client_id": cid, "next_seq": 1, "acked": 0,
                    "cookie": None, "seen": 0, "hlc": [0, 0],
                }  # fmt: skip
                conn.executemany(
                    "INSERT INTO meta VALUES (?, ?)", [(k, _pack(v)) for k, v in initial.items()]
                )
            elif _unpack(found[0]) != account_id:
                raise WrongAccountError("this remote-state file belongs to another account")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            conn.close()
            raise
        return cls(conn, clock, random_bytes)

    # -- plumbing --------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _meta(self) -> dict[str, Any]:
        return {k: _unpack(v) for k, v in self._conn.execute("SELECT key, value FROM meta")}

    def _set(self, conn: sqlite3.Connection, **values: Any) -> None:
        conn.executemany(
            "UPDATE meta SET value=? WHERE key=?", [(_pack(v), k) for k, v in values.items()]
        )

    @property
    def client_id(self) -> bytes:
        """This install's random id for this account."""
        cid: bytes = self._meta()["client_id"]
        return cid

    @property
    def cookie(self) -> int | None:
        """The server version of the last applied pull (None: nothing pulled since login)."""
        value: int | None = self._meta()["cookie"]
        return value

    def close(self) -> None:
        """Close the store (the outbox stays on disk)."""
        self._conn.close()

    # -- local edits --------------------------------------------------------------------------

    def _queue(self, op: Op) -> Envelope:
        with self._tx() as conn:
            meta = self._meta()
            env = Envelope(meta["next_seq"], self._hlc.now(), meta["seen"], op)
            conn.execute(
                "INSERT INTO outbox VALUES (?, ?, ?)", (env.seq, env.seen, _pack(encode_op(env)))
            )
            self._set(conn, next_seq=env.seq + 1, hlc=[env.hlc.wall_ms, env.hlc.counter])
        return env

    def add_line(self, sku: str, unit: str, qty: int, note: str = "") -> Envelope:
        """Queue :class:`AddLine`; the view shows it at once. Raises ``ValueError`` on bad input."""
        return self._queue(AddLine(sku, unit, qty, note))

    def add_qty(self, sku: str, unit: str, delta: int) -> Envelope:
        """Queue :class:`AddQty`."""
        return self._queue(AddQty(sku, unit, delta))

    def set_qty(self, sku: str, unit: str, qty: int) -> Envelope:
        """Queue :class:`SetQty`."""
        return self._queue(SetQty(sku, unit, qty))

    def remove_line(self, sku: str, unit: str) -> Envelope:
        """Queue :class:`RemoveLine` (removes what this device shows, nothing newer)."""
        return self._queue(RemoveLine(sku, unit))

    def set_note(self, sku: str, unit: str, note: str) -> Envelope:
        """Queue :class:`SetNote`."""
        return self._queue(SetNote(sku, unit, note))

    def fav_add(self, sku: str) -> Envelope:
        """Queue :class:`FavAdd` at the end of the favourites list."""
        favs = self.view().favourites
        return self._queue(FavAdd(sku, rank_after(favs[-1].rank if favs else None)))

    def fav_remove(self, sku: str) -> Envelope:
        """Queue :class:`FavRemove`."""
        return self._queue(FavRemove(sku))

    def fav_move(self, sku: str, index: int) -> Envelope:
        """Queue :class:`FavMove` placing ``sku`` at position ``index`` of the shown list."""
        others = [f for f in self.view().favourites if f.sku != sku]
        index = max(0, min(index, len(others)))
        lo = others[index - 1].rank if index > 0 else None
        hi = others[index].rank if index < len(others) else None
        if lo is not None and hi is not None and lo >= hi:
            hi = None  # equal ranks (two devices picked the same): order falls back to sku
        return self._queue(FavMove(sku, rank_between(lo, hi)))

    def setting_put(self, key: str, value: SettingValue) -> Envelope:
        """Queue :class:`SettingPut` (the server checks the registry)."""
        return self._queue(SettingPut(key, value))

    def setting_delete(self, key: str) -> Envelope:
        """Queue :class:`SettingDelete`."""
        return self._queue(SettingDelete(key))

    # -- reading --------------------------------------------------------------------------------

    def queued(self) -> tuple[Envelope, ...]:
        """Every operation still in the outbox (sent-but-unpulled ones included), in order."""
        rows = self._conn.execute("SELECT body FROM outbox ORDER BY seq")
        return tuple(decode_op(_unpack(r[0])) for r in rows)

    def pending(self) -> tuple[Envelope, ...]:
        """Operations the server has not acknowledged yet."""
        acked = self._meta()["acked"]
        return tuple(e for e in self.queued() if e.seq > acked)

    def server_view(self) -> RemoteView:
        """The last pulled server state, without local operations."""
        c = self._conn
        state = LocalState(
            {
                (s, u): (q, n)
                for s, u, q, n in c.execute("SELECT sku, unit, qty, note FROM base_lines")
            },
            dict(c.execute("SELECT sku, rank FROM base_favs").fetchall()),
            {k: _unpack(v) for k, v in c.execute("SELECT key, value FROM base_settings")},
        )
        return state.view(self._unavailable())

    def _unavailable(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT sku FROM base_unavailable")}

    def view(self) -> RemoteView:
        """What the app shows: the pulled state with every queued operation applied on top."""
        base = self.server_view()
        state = LocalState.of(base).apply_all(e.op for e in self.queued())
        return state.view(self._unavailable())

    # -- sync -----------------------------------------------------------------------------------

    def build_push(self, max_ops: int = 1_000) -> PushRequest | None:
        """The next push (up to ``max_ops`` unacknowledged operations), or None if none."""
        ops = self.pending()[:max_ops]
        return PushRequest(self.client_id, ops) if ops else None

    def apply_push_response(self, response: PushResponse) -> tuple[OpResult, ...]:
        """Record the server's high-water mark; return the per-operation results.

        Acknowledged operations stay applied to the view until a pull brings the server state
        that contains them. Responses arriving late or twice are harmless.

        Raises:
            MalformedResponseError: the server acknowledges sequence numbers never issued here.
        """
        with self._tx() as conn:
            meta = self._meta()
            if response.last_seq >= meta["next_seq"]:
                raise MalformedResponseError(
                    "server acknowledged operations this client never sent"
                )
            hlc = self._hlc.observe(response.server_hlc)
            self._set(
                conn, acked=max(meta["acked"], response.last_seq), hlc=[hlc.wall_ms, hlc.counter]
            )
        return response.results

    def handle_sequence_gap(self, last_seq: int) -> None:
        """React to the server's ``sequence_gap`` answer (it holds ``last_seq`` for us).

        If the operations after ``last_seq`` are still queued they are simply sent again.
        Otherwise the server lost part of this client's history (a restored backup, or a
        client record forgotten after long silence): the store takes a new client id and
        renumbers its queued operations from 1 so they are replayed as new.
        """
        with self._tx() as conn:
            have = conn.execute("SELECT 1 FROM outbox WHERE seq=?", (last_seq + 1,)).fetchone()
            meta = self._meta()
            if have is not None or last_seq + 1 == meta["next_seq"]:
                conn.execute("DELETE FROM outbox WHERE seq<=?", (last_seq,))
                self._set(conn, acked=last_seq)
                return
            envs = [
                decode_op(_unpack(r[0]))
                for r in conn.execute("SELECT body FROM outbox ORDER BY seq")
            ]
            acked = meta["acked"]
            renumbered = [
                Envelope(i, e.hlc, e.seen, e.op)
                for i, e in enumerate((e for e in envs if e.seq > acked), 1)
            ]
            conn.execute("DELETE FROM outbox")
            conn.executemany(
                "INSERT INTO outbox VALUES (?, ?, ?)",
                [(e.seq, e.seen, _pack(encode_op(e))) for e in renumbered],
            )
            self._set(
                conn,
                client_id=self._random_bytes(CLIENT_ID_LEN),
                next_seq=len(renumbered) + 1,
                acked=0,
                cookie=None,
            )

    def build_pull(self) -> PullRequest:
        """The next pull: since the current cookie, with the oldest context still queued."""
        row = self._conn.execute(
            "SELECT min(seen) FROM outbox WHERE seq > ?", (self._meta()["acked"],)
        ).fetchone()
        return PullRequest(self.client_id, self.cookie, row[0])

    def apply_pull_response(self, response: PullResponse) -> bool:
        """Apply a pull: update the server state, drop acknowledged operations (rebase).

        Returns False (and changes nothing) when the response answers an older pull than the
        current state (a late or duplicated delivery).
        """
        with self._tx() as conn:
            meta = self._meta()
            if response.base_cookie != meta["cookie"]:
                return False
            if response.last_seq >= meta["next_seq"]:
                raise MalformedResponseError(
                    "server acknowledged operations this client never sent"
                )
            if response.reset:
                for table in _BASE_TABLES:
                    conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            conn.executemany(
                "DELETE FROM base_lines WHERE sku=? AND unit=?", response.lines_removed
            )
            conn.executemany(
                "DELETE FROM base_favs WHERE sku=?", [(s,) for s in response.favourites_removed]
            )
            conn.executemany(
                "DELETE FROM base_settings WHERE key=?", [(k,) for k in response.settings_removed]
            )
            conn.executemany(
                "INSERT OR REPLACE INTO base_lines VALUES (?, ?, ?, ?)",
                [_line_row(x) for x in response.lines],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO base_favs VALUES (?, ?)",
                [(f.sku, f.rank) for f in response.favourites],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO base_settings VALUES (?, ?)",
                [(k, _pack(v)) for k, v in response.settings.items()],
            )
            conn.execute("DELETE FROM base_unavailable")
            conn.executemany(
                "INSERT INTO base_unavailable VALUES (?)", [(s,) for s in response.unavailable]
            )
            conn.execute("DELETE FROM outbox WHERE seq<=?", (response.last_seq,))
            hlc = self._hlc.observe(response.server_hlc)
            self._set(
                conn,
                cookie=response.cookie,
                seen=max(meta["seen"], response.cookie),
                acked=max(meta["acked"], response.last_seq),
                hlc=[hlc.wall_ms, hlc.counter],
            )
        return True

    # -- logout ---------------------------------------------------------------------------------

    def logout(self) -> int:
        """End this account's session on the device and close the store.

        Call it after a successful push when online. The pulled view is wiped; operations the
        server has not acknowledged stay queued for this account's next login here (and only
        there). Returns how many stayed queued.
        """
        with self._tx() as conn:
            for table in _BASE_TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            acked = self._meta()["acked"]
            conn.execute("DELETE FROM outbox WHERE seq<=?", (acked,))
            self._set(conn, cookie=None)
            left: int = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.close()
        return left


def _line_row(line: LineView) -> tuple[str, str, int, str]:
    return (line.sku, line.unit, line.qty, line.note)
