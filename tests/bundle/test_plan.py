"""Apply planning: binding, expiry, rollback floor and version continuity."""

from __future__ import annotations

import pytest

from pocketsync.bundle import (
    ChunkRef,
    ExpiredManifestError,
    Manifest,
    PartitionRange,
    RoleCursor,
    RollbackError,
    VersionGapError,
    WrongCustomerError,
    plan_apply,
)

CHUNKS = (
    ChunkRef("products", 1, 1, b"p" * 32),
    ChunkRef("prices", 1, 1, b"q" * 32),
)


def manifest(
    catalog: tuple[int, int], prices: tuple[int, int], price_list: str = "prices:A"
) -> Manifest:
    return Manifest(
        key_id="k",
        customer_id="cus_1",
        created_ms=0,
        expires_ms=1_000,
        partitions=(
            PartitionRange("catalog", "catalog", *catalog),
            PartitionRange("prices", price_list, *prices),
        ),
        chunks=CHUNKS,
    )


def plan(
    m: Manifest,
    cursors: dict[str, RoleCursor] | None = None,
    floor: dict[str, int] | None = None,
    now: int = 500,
):  # type: ignore[no-untyped-def]
    return plan_apply(m, customer_id="cus_1", cursors=cursors or {}, floor=floor or {}, now_ms=now)


def test_initial_sync_is_a_full_reset() -> None:
    p = plan(manifest((0, 7), (0, 3)))
    assert p.is_full_reset
    assert not p.is_noop
    assert p.chunks_to_apply == CHUNKS
    assert p.action("catalog").cursor == RoleCursor("catalog", 7)


def test_delta_from_the_cursor() -> None:
    cursors = {"catalog": RoleCursor("catalog", 5), "prices": RoleCursor("prices:A", 3)}
    p = plan(manifest((5, 7), (3, 4)), cursors)
    assert [a.kind for a in p.actions] == ["delta", "delta"]
    assert not p.is_full_reset


def test_reapplying_the_same_manifest_is_a_noop() -> None:
    cursors = {"catalog": RoleCursor("catalog", 7), "prices": RoleCursor("prices:A", 4)}
    p = plan(manifest((5, 7), (3, 4)), cursors, {"catalog": 7, "prices:A": 4})
    assert p.is_noop
    assert p.chunks_to_apply == ()


def test_half_applied_roles_only_apply_the_rest() -> None:
    cursors = {"catalog": RoleCursor("catalog", 7), "prices": RoleCursor("prices:A", 3)}
    p = plan(manifest((5, 7), (3, 4)), cursors)
    assert p.chunks_to_apply == (CHUNKS[1],)


def test_moved_price_list_resets_only_prices() -> None:
    cursors = {"catalog": RoleCursor("catalog", 5), "prices": RoleCursor("prices:A", 3)}
    p = plan(manifest((5, 7), (0, 9), "prices:B"), cursors)
    assert [a.kind for a in p.actions] == ["delta", "reset"]


def test_gap_out_of_order_and_wrong_partition_deltas() -> None:
    cursors = {"catalog": RoleCursor("catalog", 4), "prices": RoleCursor("prices:A", 3)}
    with pytest.raises(VersionGapError, match="catalog@4"):
        plan(manifest((5, 7), (3, 4)), cursors)
    with pytest.raises(VersionGapError, match="empty"):
        plan(manifest((5, 7), (3, 4)), {})
    with pytest.raises(VersionGapError):
        plan(manifest((4, 7), (3, 4), "prices:B"), cursors)


def test_rollback_below_the_floor_is_refused_even_after_a_wipe() -> None:
    with pytest.raises(RollbackError) as info:
        plan(manifest((0, 6), (0, 3)), {}, {"catalog": 7})
    assert (info.value.partition_id, info.value.target, info.value.floor) == ("catalog", 6, 7)
    # a snapshot at the floor itself is fine (login again at the same version)
    assert plan(manifest((0, 7), (0, 3)), {}, {"catalog": 7}).is_full_reset


def test_other_customer_and_expiry() -> None:
    m = manifest((0, 1), (0, 1))
    with pytest.raises(WrongCustomerError):
        plan_apply(m, customer_id="cus_2", cursors={}, floor={}, now_ms=0)
    with pytest.raises(ExpiredManifestError):
        plan(m, now=1_001)
    assert plan(m, now=1_000).is_full_reset
