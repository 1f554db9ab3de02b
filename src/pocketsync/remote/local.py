"""Optimistic local application of queued operations (pure; the client store uses it).

The client shows ``server state + its queued operations``. This module applies an operation
to plain dicts the way the server would when nothing concurrent happened; the server's answer
(the next pull) replaces the guess. Pack sizes and availability are the server's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pocketsync.remote.ops import (
    AddLine,
    AddQty,
    FavAdd,
    FavMove,
    FavRemove,
    Op,
    RemoveLine,
    SetNote,
    SetQty,
    SettingPut,
    SettingValue,
)
from pocketsync.remote.state import FavView, LineView, RemoteView

__all__ = ["LocalState"]


@dataclass(slots=True)
class LocalState:
    """Mutable working copy of a view: lines (sku, unit) -> (qty, note), favs sku -> rank."""

    lines: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    favs: dict[str, str] = field(default_factory=dict)
    settings: dict[str, SettingValue] = field(default_factory=dict)

    def apply(self, op: Op) -> None:
        """Apply ``op`` as if no other device had acted meanwhile."""
        if isinstance(op, AddLine | AddQty | SetQty | RemoveLine | SetNote):
            key = (op.sku, op.unit)
            qty, note = self.lines.get(key, (0, ""))
            if isinstance(op, AddLine):
                self.lines[key] = (qty + op.qty, op.note or note)
            elif isinstance(op, AddQty):
                self.lines[key] = (max(qty + op.delta, 1), note)
            elif isinstance(op, SetQty):
                self.lines[key] = (op.qty, note)
            elif isinstance(op, RemoveLine):
                self.lines.pop(key, None)
            elif key in self.lines:
                self.lines[key] = (qty, op.note)
        elif isinstance(op, FavAdd):
            self.favs.setdefault(op.sku, op.rank)
        elif isinstance(op, FavRemove):
            self.favs.pop(op.sku, None)
        elif isinstance(op, FavMove):
            if op.sku in self.favs:
                self.favs[op.sku] = op.rank
        elif isinstance(op, SettingPut):
            self.settings[op.key] = op.value
        else:
            self.settings.pop(op.key, None)

    def apply_all(self, ops: Iterable[Op]) -> LocalState:
        """Apply ``ops`` in order; return self."""
        for op in ops:
            self.apply(op)
        return self

    def view(self, unavailable: Iterable[str] = ()) -> RemoteView:
        """Freeze into a :class:`RemoteView`, flagging skus in ``unavailable``."""
        gone = set(unavailable)
        return RemoteView(
            tuple(
                LineView(sku, unit, qty, note, sku not in gone)
                for (sku, unit), (qty, note) in sorted(self.lines.items())
            ),
            tuple(
                FavView(sku, rank, sku not in gone)
                for rank, sku in sorted((r, s) for s, r in self.favs.items())
            ),
            dict(sorted(self.settings.items())),
        )

    @classmethod
    def of(cls, view: RemoteView) -> LocalState:
        """A working copy of ``view``."""
        settings: Mapping[str, SettingValue] = view.settings
        return cls(
            {(x.sku, x.unit): (x.qty, x.note) for x in view.lines},
            {f.sku: f.rank for f in view.favourites},
            dict(settings),
        )
