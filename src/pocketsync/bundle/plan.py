"""Deciding what a verified manifest may do to the local copy (pure).

Rules (docs/bundle-format.md, "Verification order", steps 4 to 6):

* the manifest must be for the logged-in customer and not expired;
* rollback: no role may target a version below the *floor*, the highest version this
  device ever applied for that partition (kept outside the catalog file, so a logout
  wipe does not reset it — TUF's trusted client state);
* continuity: a delta must start exactly at the local cursor. A role already at the
  target is ``current`` (re-applying a manifest is a no-op, not an error).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pocketsync.bundle.chunk import ChunkRef
from pocketsync.bundle.errors import (
    ExpiredManifestError,
    RollbackError,
    VersionGapError,
    WrongCustomerError,
)
from pocketsync.bundle.manifest import Manifest, PartitionRange
from pocketsync.bundle.tables import TABLES

__all__ = ["ApplyPlan", "RoleAction", "RoleCursor", "plan_apply"]

ActionKind = Literal["reset", "delta", "current"]


@dataclass(frozen=True, slots=True)
class RoleCursor:
    """Where the local copy of one role is: which partition, at which version."""

    partition_id: str
    version: int


@dataclass(frozen=True, slots=True)
class RoleAction:
    """What applying the manifest does to one role."""

    role: str
    partition_id: str
    kind: ActionKind
    from_version: int
    to_version: int

    @property
    def cursor(self) -> RoleCursor:
        """The role's cursor once the action is applied."""
        return RoleCursor(self.partition_id, self.to_version)


@dataclass(frozen=True, slots=True)
class ApplyPlan:
    """A manifest that passed every check, with one action per role."""

    manifest: Manifest
    actions: tuple[RoleAction, ...]

    @property
    def is_full_reset(self) -> bool:
        """Every role is replaced: build a fresh database file and swap it in."""
        return all(a.kind == "reset" for a in self.actions)

    @property
    def is_noop(self) -> bool:
        return all(a.kind == "current" for a in self.actions)

    @property
    def chunks_to_apply(self) -> tuple[ChunkRef, ...]:
        """The manifest's chunks for roles that change, in apply order."""
        live = {a.role for a in self.actions if a.kind != "current"}
        return tuple(c for c in self.manifest.chunks if TABLES[c.table].role in live)

    def action(self, role: str) -> RoleAction:
        for a in self.actions:
            if a.role == role:
                return a
        raise KeyError(role)


def plan_apply(
    manifest: Manifest,
    *,
    customer_id: str,
    cursors: Mapping[str, RoleCursor],
    floor: Mapping[str, int],
    now_ms: int,
) -> ApplyPlan:
    """Check ``manifest`` against the local state and say what applying it does.

    Args:
        manifest: a manifest whose signature was already verified (``open_manifest``).
        customer_id: the customer logged in on this device.
        cursors: the local copy's cursor per role (empty for an empty store).
        floor: highest version ever applied on this device, per partition id.
        now_ms: the current time, UTC milliseconds.

    Raises:
        WrongCustomerError: the manifest is for another customer.
        ExpiredManifestError: ``now_ms`` is past the manifest's expiry.
        RollbackError: a role targets a version below the floor.
        VersionGapError: a delta does not start at the local cursor.
    """
    if manifest.customer_id != customer_id:
        raise WrongCustomerError(
            f"manifest is for customer {manifest.customer_id!r}, not {customer_id!r}"
        )
    if now_ms > manifest.expires_ms:
        raise ExpiredManifestError(manifest.expires_ms, now_ms)
    actions = tuple(_action(p, cursors.get(p.role), floor) for p in manifest.partitions)
    return ApplyPlan(manifest, actions)


def _action(p: PartitionRange, cursor: RoleCursor | None, floor: Mapping[str, int]) -> RoleAction:
    lowest = floor.get(p.partition_id, 0)
    if p.to_version < lowest:
        raise RollbackError(p.partition_id, p.to_version, lowest)
    here = RoleCursor(p.partition_id, p.to_version)
    if cursor == here:
        return RoleAction(p.role, p.partition_id, "current", p.from_version, p.to_version)
    if p.is_reset:
        return RoleAction(p.role, p.partition_id, "reset", 0, p.to_version)
    start = RoleCursor(p.partition_id, p.from_version)
    if cursor != start:
        expected = "empty" if cursor is None else f"{cursor.partition_id}@{cursor.version}"
        raise VersionGapError(p.role, expected, f"{p.partition_id}@{p.from_version}")
    return RoleAction(p.role, p.partition_id, "delta", p.from_version, p.to_version)
