"""Server-side replay: apply one client's operations to an owner's state, in sequence order.

:class:`Replica` is pure (no I/O): the server store loads it, calls :meth:`Replica.apply` per
operation inside one database transaction, and writes back :attr:`Replica.dirty`. The merge
rules (``docs/merge.md``) live here:

* cart line = add-wins map entry with reset-remove; qty = winning ``set_qty`` (highest stamp;
  0 once a removal observed it) + every quantity add that no ``set_qty`` (winning or losing)
  and no ``remove_line`` had observed: a set replaces the quantity it observed;
  ``remove_line`` removes only the contributions it had observed; notes are last-writer-wins
  among the notes written after every removal of the line;
* favourites = add-wins observed-remove set with a last-writer-wins rank;
* settings = last-writer-wins register per key, deletion included.

The result depends only on the operations, their stamps and what each had observed, not on
the order in which clients' pushes arrive: an operation can only be observed by operations
that arrive after it, so each one settles what it observed when it arrives, and stamps settle
the rest. Only the catalog corrections (minimum quantity, pack size) are computed from the
state at arrival.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pocketsync.clock import Clock
from pocketsync.remote.hlc import ZERO_STAMP, Hlc, HybridClock, Stamp
from pocketsync.remote.ops import (
    AddLine,
    AddQty,
    Envelope,
    FavAdd,
    FavMove,
    FavRemove,
    OpResult,
    OpStatus,
    RemoveLine,
    SetNote,
    SetQty,
    SettingDelete,
    SettingPut,
)
from pocketsync.remote.rules import ProductRule, normalize_qty
from pocketsync.remote.settings import SettingsRegistry
from pocketsync.remote.state import (
    FavMeta,
    FavView,
    LineMeta,
    LineView,
    RemoteView,
    SettingMeta,
    observed,
)

__all__ = ["DEFAULT_MAX_DRIFT_MS", "EntityKey", "Replica", "sellable"]

DEFAULT_MAX_DRIFT_MS = 60_000

EntityKey = tuple[str, str, str]  # (kind, k1, k2): ("line", sku, unit), ("fav", sku, ""), ...


def sellable(sku: str, rules: Mapping[str, ProductRule]) -> ProductRule | None:
    """The rule of ``sku`` if the catalog knows it and sells it, else None (unavailable)."""
    rule = rules.get(sku)
    return rule if rule is not None and rule.active else None


class _Outcome:
    """Accumulates what happened to one operation; :meth:`result` picks the status."""

    __slots__ = ("changed", "code", "detail", "rejected", "superseded")

    def __init__(self) -> None:
        self.changed = False
        self.superseded = False
        self.rejected = False
        self.code: str | None = None
        self.detail: dict[str, int | str] = {}


class Replica:
    """One owner's mergeable state, held in memory while a push is replayed.

    ``horizon`` is the collection horizon: every active client has observed all versions up to
    it, so contributions at or below it are folded (bounded metadata) and tombstones at or
    below it may be dropped.
    """

    __slots__ = (
        "_clock",
        "_wall",
        "dirty",
        "favs",
        "horizon",
        "lines",
        "loaded",
        "max_drift_ms",
        "registry",
        "settings",
        "version",
    )

    def __init__(
        self,
        *,
        clock: Clock,
        registry: SettingsRegistry,
        version: int = 0,
        hlc: Hlc | None = None,
        horizon: int = 0,
        max_drift_ms: int = DEFAULT_MAX_DRIFT_MS,
    ) -> None:
        self._wall = clock
        self._clock = HybridClock(clock, hlc)
        self.registry = registry
        self.version = version
        self.horizon = horizon
        self.max_drift_ms = max_drift_ms
        self.lines: dict[tuple[str, str], LineMeta] = {}
        self.favs: dict[str, FavMeta] = {}
        self.settings: dict[str, SettingMeta] = {}
        self.dirty: set[EntityKey] = set()
        self.loaded: set[EntityKey] = set()  # keys that exist in storage (the store sets it)

    @property
    def hlc(self) -> Hlc:
        """The server HLC: at or above every stamp stored in this state."""
        return self._clock.last

    def tick(self) -> Hlc:
        """Advance the server HLC to now (responses carry it so clients can observe it)."""
        return self._clock.now()

    # -- replay ---------------------------------------------------------------------------

    def apply(self, env: Envelope, pusher: bytes, rules: Mapping[str, ProductRule]) -> OpResult:
        """Apply one operation from client ``pusher``; return its result.

        ``rules`` must hold the rules of every sku the operation names that the catalog knows.
        Never raises for a well-formed envelope: problems become a ``rejected`` result.
        """
        out = _Outcome()
        # Cap clocks that run ahead of the server's: a phone with a clock set to next year
        # must not win every last-writer-wins decision until then.
        # The bound is the server's wall clock, not its HLC, so accepted stamps cannot ratchet
        # the limit forward.
        if env.hlc.wall_ms > self._wall.now_ms() + self.max_drift_ms:
            stamp = Stamp(self._clock.now(), pusher)
            out.code, out.detail["clock_ms"] = "clock_capped", env.hlc.wall_ms
        else:
            self._clock.observe(env.hlc)
            stamp = Stamp(env.hlc, pusher)
        seen = min(env.seen, self.version)  # a context from the future observed only the present
        v = self.version + 1
        op = env.op
        if isinstance(op, AddLine | AddQty | SetQty | RemoveLine | SetNote):
            key = (op.sku, op.unit)
            line = self.lines.get(key) or LineMeta()
            self._line_op(line, op, v, seen, pusher, stamp, out)
            if out.changed:
                self._normalize(line, op.sku, v, pusher, sellable(op.sku, rules), out)
                self.lines[key] = line
                self._fold_line(line)
                self._touch(("line", op.sku, op.unit), line, v)
        elif isinstance(op, FavAdd | FavRemove | FavMove):
            fav = self.favs.get(op.sku) or FavMeta()
            self._fav_op(fav, op, v, seen, pusher, stamp, out)
            if out.changed:
                if isinstance(op, FavAdd) and sellable(op.sku, rules) is None:
                    out.code = out.code or "product_unavailable"
                self.favs[op.sku] = fav
                self._fold_fav(fav)
                self._touch(("fav", op.sku, ""), fav, v)
        else:
            self._setting_op(op, v, stamp, out)
        return self._result(env.seq, out)

    def _touch(self, key: EntityKey, meta: LineMeta | FavMeta | SettingMeta, v: int) -> None:
        meta.version = v
        self.version = v
        self.dirty.add(key)

    @staticmethod
    def _result(seq: int, out: _Outcome) -> OpResult:
        # A superseded operation may still have changed the state (a losing set takes the adds
        # it had observed with it); the device is told that a later decision holds.
        if out.rejected:
            status = OpStatus.REJECTED
        elif out.superseded:
            status = OpStatus.SUPERSEDED
        elif out.code in ("pack_size", "min_order_qty", "min_qty"):
            status = OpStatus.ADJUSTED
        elif out.code is not None:
            status = OpStatus.APPLIED_WITH_WARNING
        else:
            status = OpStatus.APPLIED
        return OpResult(seq, status, out.code, out.detail)

    def _line_op(
        self,
        line: LineMeta,
        op: AddLine | AddQty | SetQty | RemoveLine | SetNote,
        v: int,
        seen: int,
        pusher: bytes,
        stamp: Stamp,
        out: _Outcome,
    ) -> None:
        # Every rule below depends only on which operations exist, their stamps and what each
        # had observed, never on which arrived first: an operation can only be observed by
        # operations that arrive after it, so each one settles what it observed on arrival
        # and later arrivals settle the rest.
        if isinstance(op, AddLine | AddQty):
            # Add wins over a remove: an absent line holds no quantity contribution, so it
            # comes back with only the new one (no removal can have observed it yet).
            line.present = True
            line.adds.append((v, pusher, op.qty if isinstance(op, AddLine) else op.delta))
            out.changed = True
            if isinstance(op, AddLine) and op.note:
                self._write_note(line, op.note, v, seen, pusher, stamp)
        elif isinstance(op, SetQty):
            self._set_qty(line, op.qty, v, seen, pusher, stamp, out)
        elif isinstance(op, SetNote):
            present = line.present
            if not self._write_note(line, op.note, v, seen, pusher, stamp):
                out.superseded = True
                out.code = "older_than_current" if stamp < line.note_stamp else "removed"
            else:
                out.changed = True  # on an absent line the note waits, unseen, for a re-add
            if not present:
                out.superseded, out.code = True, "absent"
        else:
            self._remove_line(line, v, seen, pusher, out)

    @staticmethod
    def _set_qty(
        line: LineMeta, qty: int, v: int, seen: int, pusher: bytes, stamp: Stamp, out: _Outcome
    ) -> None:
        # A set replaces the quantity it observed: the adds it had observed stop counting
        # whether or not the set wins (it decided about them; a later set overrides that
        # decision, it does not undo it).
        kept = [a for a in line.adds if not observed(a[0], a[1], seen, pusher)]
        if len(kept) != len(line.adds):
            line.adds = kept
            out.changed = True
        if stamp < line.base_stamp:  # a later set holds (even if a removal has cleared it)
            out.superseded = True
            out.code = "older_than_current" if line.present else "absent"
            if line.present and line.base == 0 and not line.adds:
                line.present = False  # the adds it took were all the line held
            if line.present:
                out.detail["qty"] = line.qty
            return
        line.present = True
        line.base, line.base_version, line.base_client, line.base_stamp = qty, v, pusher, stamp
        out.changed = True
        if kept:
            out.code = "concurrent_adds_kept"
            out.detail["requested"] = qty

    @staticmethod
    def _write_note(
        line: LineMeta, note: str, v: int, seen: int, pusher: bytes, stamp: Stamp
    ) -> bool:
        """Last writer wins, among notes written after every removal of the line."""
        if stamp < line.note_stamp or not all(
            observed(rv, rc, seen, pusher) for rv, rc in line.removes
        ):
            return False
        line.note, line.note_version, line.note_client, line.note_stamp = note, v, pusher, stamp
        return True

    @staticmethod
    def _remove_line(line: LineMeta, v: int, seen: int, pusher: bytes, out: _Outcome) -> None:
        # Recorded even on an absent line: a note written without having seen this removal
        # must not count, whenever it arrives.
        out.changed = True
        if line.base != 0 and observed(line.base_version, line.base_client, seen, pusher):
            line.base, line.base_version, line.base_client = 0, 0, b""  # base_stamp stays
        line.adds = [a for a in line.adds if not observed(a[0], a[1], seen, pusher)]
        line.note, line.note_version, line.note_client, line.note_stamp = "", 0, b"", ZERO_STAMP
        line.removes = [r for r in line.removes if r[1] != pusher] + [(v, pusher)]
        if not line.present:
            out.superseded, out.code = True, "absent"
        elif line.base == 0 and not line.adds:
            line.present = False  # a tombstone until every active client has pulled past it
        else:
            out.code = "concurrent_edit_kept"

    @staticmethod
    def _normalize(
        line: LineMeta, sku: str, v: int, pusher: bytes, rule: ProductRule | None, out: _Outcome
    ) -> None:
        if not line.present:
            return
        qty = line.qty
        target = normalize_qty(qty, rule)
        if target != qty:
            # The correction is recorded as an add by the same client: it merges like one.
            line.adds.append((v, pusher, target - qty))
            if out.superseded:
                return
            if rule is None or qty < 1:
                out.code = "min_qty"
            elif qty < rule.min_order_qty:
                out.code = "min_order_qty"
            else:
                out.code = "pack_size"
            out.detail.update(requested=qty, qty=target)
        elif rule is None:
            out.code = out.code or "product_unavailable"

    def _fold_line(self, line: LineMeta) -> None:
        # Every active client has observed contributions and removals at or below the
        # horizon, so any operation still to come observes them: the adds are merged into one
        # (or into a winning set they all preceded) and the removals need no record.
        line.removes = [r for r in line.removes if r[0] > self.horizon]
        old = [a for a in line.adds if a[0] <= self.horizon]
        into_base = line.base != 0 and line.base_version <= self.horizon
        if len(old) < 2 and not (old and into_base):
            return
        line.adds = [a for a in line.adds if a[0] > self.horizon]
        total = sum(a[2] for a in old)
        if into_base:
            # Any set still to come observed them: it would replace them with the base.
            line.base += total
            line.base_version = max(line.base_version, *(a[0] for a in old))
            line.base_client = b""
        else:
            line.adds.insert(0, (max(a[0] for a in old), b"", total))

    def _fav_op(
        self,
        fav: FavMeta,
        op: FavAdd | FavRemove | FavMove,
        v: int,
        seen: int,
        pusher: bytes,
        stamp: Stamp,
        out: _Outcome,
    ) -> None:
        if isinstance(op, FavAdd):
            if not fav.present:
                fav.present, fav.dots, fav.rank, fav.rank_stamp = True, [], op.rank, stamp
            # One dot per client suffices for presence: the newest add of a client subsumes
            # its older ones (a remove that saw the newest saw them all).
            fav.dots = [d for d in fav.dots if d[1] != pusher] + [(v, pusher)]
            out.changed = True
        elif not fav.present:
            out.superseded, out.code = True, "absent"
        elif isinstance(op, FavMove):
            if stamp < fav.rank_stamp:
                out.superseded, out.code = True, "older_than_current"
                return
            fav.rank, fav.rank_stamp = op.rank, stamp
            out.changed = True
        else:
            fav.dots = [d for d in fav.dots if not observed(d[0], d[1], seen, pusher)]
            out.changed = True
            if fav.dots:
                out.code = "concurrent_add_kept"
            else:
                fav.present = False

    def _fold_fav(self, fav: FavMeta) -> None:
        old = [d for d in fav.dots if d[0] <= self.horizon]
        if len(old) > 1:
            fav.dots = [(max(d[0] for d in old), b"")] + [
                d for d in fav.dots if d[0] > self.horizon
            ]

    def _setting_op(
        self, op: SettingPut | SettingDelete, v: int, stamp: Stamp, out: _Outcome
    ) -> None:
        value = op.value if isinstance(op, SettingPut) else None
        problem = self.registry.problem(op.key, value)
        if problem is not None:
            out.rejected = True
            out.code, out.detail["reason"] = problem
            return
        meta = self.settings.get(op.key) or SettingMeta()
        if stamp < meta.stamp:
            out.superseded, out.code = True, "older_than_current"
            return
        meta.present, meta.value, meta.stamp = value is not None, value, stamp
        self.settings[op.key] = meta
        out.changed = True
        self._touch(("set", op.key, ""), meta, v)

    # -- views and collection ---------------------------------------------------------------

    def skus(self) -> set[str]:
        """Every sku present in the cart or the favourites."""
        return {k[0] for k, m in self.lines.items() if m.present} | {
            k for k, m in self.favs.items() if m.present
        }

    def view(self, rules: Mapping[str, ProductRule]) -> RemoteView:
        """The state as clients see it; availability from ``rules`` (unknown = unavailable)."""
        lines = tuple(
            LineView(k[0], k[1], m.qty, m.note, sellable(k[0], rules) is not None)
            for k, m in sorted(self.lines.items())
            if m.present
        )
        favs = sorted((m.rank, k) for k, m in self.favs.items() if m.present)
        return RemoteView(
            lines,
            tuple(FavView(sku, rank, sellable(sku, rules) is not None) for rank, sku in favs),
            {k: m.value for k, m in sorted(self.settings.items()) if m.value is not None},
        )

    def collect(self) -> int:
        """Drop tombstones at or below the horizon; return the highest version dropped (0 if none).

        A pull whose cookie is below that version must get a reset: it may have missed a
        removal that no longer leaves a trace.
        """
        top = 0
        tables: tuple[dict[tuple[str, str], LineMeta], dict[str, FavMeta], dict[str, SettingMeta]]
        tables = (self.lines, self.favs, self.settings)
        for table in tables:
            gone = [(k, m.version) for k, m in table.items() if not m.present]
            for k, version in gone:
                if version <= self.horizon:
                    del table[k]  # type: ignore[arg-type]
                    top = max(top, version)
        return top


def lookup_skus(envs: Collection[Envelope]) -> set[str]:
    """The skus a batch of operations names (to look their rules up in one call)."""
    return {e.op.sku for e in envs if not isinstance(e.op, SettingPut | SettingDelete)}
