"""The cart, favourites and settings methods of :class:`~pocketsync.client.PocketSyncClient`.

Reads show the last pull plus queued edits; every edit is queued in the logged-in
account's outbox (:class:`pocketsync.remote.RemoteStateClient`) and works offline, so the
methods only check the account is there, fill in a line's unit from the catalog and turn a
refused value into :class:`InvalidEditError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from pocketsync.client.errors import InvalidEditError, NotLoggedInError
from pocketsync.clock import Clock
from pocketsync.remote import FavView, LineView, RemoteStateClient, RemoteView, SettingValue
from pocketsync.store import CatalogStore

__all__ = ["RemoteStateEdits"]

T = TypeVar("T")


def _edit(action: Callable[[], T]) -> T:
    try:
        return action()
    except ValueError as exc:
        raise InvalidEditError(str(exc)) from exc


class RemoteStateEdits:
    """Mixed into ``PocketSyncClient``, which sets the attributes below."""

    folder: Path
    _clock: Clock
    _random_bytes: Callable[[int], bytes]
    _store: CatalogStore
    _remote: RemoteStateClient | None

    def _open_remote(self, user_id: str) -> RemoteStateClient:
        return RemoteStateClient.open(
            self.folder / "remote", user_id, self._clock, self._random_bytes
        )

    def _close_remote(self) -> None:
        """Close the account's outbox; what it holds stays on disk for that account."""
        if self._remote is not None:
            self._remote.close()
            self._remote = None

    def _state(self) -> RemoteStateClient:
        if self._remote is None:
            raise NotLoggedInError("nobody is logged in on this device")
        return self._remote

    # -- cart, favourites, settings (local, queued) ----------------------------------------

    def view(self) -> RemoteView:
        """Cart, favourites and settings as shown: the last pull plus queued edits."""
        return self._state().view()

    def cart(self) -> tuple[LineView, ...]:
        return self._state().view().lines

    def favourites(self) -> tuple[FavView, ...]:
        return self._state().view().favourites

    def settings(self) -> Mapping[str, SettingValue]:
        return self._state().view().settings

    def _unit(self, sku: str, unit: str | None) -> str:
        if unit is not None:
            return unit
        found = self._store.product(sku) if self._store.cursors() else None
        return found.unit if found is not None else "piece"

    def cart_add(self, sku: str, qty: int = 1, *, unit: str | None = None, note: str = "") -> None:
        """Add ``qty`` to the cart line of ``sku`` (unit: the product's, from the catalog).

        Works offline: the edit is queued. Raises InvalidEditError, NotLoggedInError.
        """
        state, unit = self._state(), self._unit(sku, unit)
        _edit(lambda: state.add_line(sku, unit, qty, note))

    def cart_set(self, sku: str, qty: int, *, unit: str | None = None) -> None:
        """Set the quantity of a line (0 removes it). Queued like :meth:`cart_add`."""
        state, unit = self._state(), self._unit(sku, unit)
        if qty == 0:
            _edit(lambda: state.remove_line(sku, unit))
        else:
            _edit(lambda: state.set_qty(sku, unit, qty))

    def cart_remove(self, sku: str, *, unit: str | None = None) -> None:
        """Remove a line (what this device shows of it). Queued."""
        state, unit = self._state(), self._unit(sku, unit)
        _edit(lambda: state.remove_line(sku, unit))

    def fav_add(self, sku: str) -> None:
        """Add a favourite at the end of the list. Queued."""
        state = self._state()
        _edit(lambda: state.fav_add(sku))

    def fav_remove(self, sku: str) -> None:
        """Remove a favourite. Queued."""
        state = self._state()
        _edit(lambda: state.fav_remove(sku))

    def fav_move(self, sku: str, index: int) -> None:
        """Move a favourite to position ``index``. Queued."""
        state = self._state()
        _edit(lambda: state.fav_move(sku, index))

    def setting_put(self, key: str, value: SettingValue) -> None:
        """Set a setting (the server checks the registry at sync). Queued."""
        state = self._state()
        _edit(lambda: state.setting_put(key, value))

    def setting_delete(self, key: str) -> None:
        """Delete a setting (back to the app's default). Queued."""
        state = self._state()
        _edit(lambda: state.setting_delete(key))
