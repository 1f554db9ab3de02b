"""One unit test per merge rule, on the pure replica (docs/merge.md has the same examples)."""

from __future__ import annotations

from pocketsync.clock import FixedClock
from pocketsync.remote import (
    AddLine,
    AddQty,
    FavAdd,
    FavMove,
    FavRemove,
    Hlc,
    OpStatus,
    ProductRule,
    RemoveLine,
    SetNote,
    SetQty,
    SettingDelete,
    SettingPut,
)
from pocketsync.remote.replay import Replica
from tests.remote.harness import Device, make_rules, new_replica


def _qty(r: Replica, sku: str = "A") -> int | None:
    line = r.lines.get((sku, "pc"))
    return line.qty if line is not None and line.present else None


def setup() -> tuple[Replica, Device, Device, FixedClock]:
    clock = FixedClock()
    r = new_replica(clock)
    return r, Device(r, clock), Device(r, clock), clock


def test_adds_commute_and_sum() -> None:
    r, web, phone, _ = setup()
    web.op(AddLine("A", "pc", 2))
    phone.op(AddQty("A", "pc", 3), seen=0)
    assert _qty(r) == 5


def test_later_set_wins_even_if_it_arrives_first() -> None:
    r, web, phone, clock = setup()
    web.op(AddLine("A", "pc", 1))
    base = r.version
    offline_hlc = Hlc(clock.ms + 1, 0)  # phone acted first (09:00) ...
    clock.advance(100)
    web.op(SetQty("A", "pc", 3))  # ... web acted later (10:00) and arrived first
    res = phone.op(SetQty("A", "pc", 5), seen=base, hlc=offline_hlc)
    assert res.status is OpStatus.SUPERSEDED
    assert res.code == "older_than_current"
    assert _qty(r) == 3


def test_set_keeps_concurrent_adds() -> None:
    r, web, phone, _ = setup()
    web.op(AddLine("A", "pc", 1))
    base = r.version
    phone.op(AddQty("A", "pc", 2), seen=base)
    res = web.op(SetQty("A", "pc", 3), seen=base)  # web had not seen the +2
    assert _qty(r) == 5
    assert res.status is OpStatus.APPLIED_WITH_WARNING
    assert res.code == "concurrent_adds_kept"


def test_set_absorbs_observed_adds() -> None:
    r, web, phone, _ = setup()
    web.op(AddLine("A", "pc", 1))
    phone.op(AddQty("A", "pc", 2))
    web.op(SetQty("A", "pc", 3))
    assert _qty(r) == 3


def test_remove_observed_everything_sticks() -> None:
    r, web, phone, _ = setup()
    web.op(AddLine("A", "pc", 4))
    phone.op(AddQty("A", "pc", 1))
    res = phone.op(RemoveLine("A", "pc"))
    assert res.status is OpStatus.APPLIED
    assert _qty(r) is None


def test_remove_keeps_concurrent_add_only() -> None:
    r, web, phone, _ = setup()
    web.op(AddLine("A", "pc", 10))
    seen = r.version
    web.op(AddQty("A", "pc", 2))
    res = phone.op(RemoveLine("A", "pc"), seen=seen)
    assert _qty(r) == 2
    assert res.code == "concurrent_edit_kept"


def test_remove_keeps_concurrent_set() -> None:
    r, web, phone, _ = setup()
    web.op(AddLine("A", "pc", 10))
    seen = r.version
    web.op(SetQty("A", "pc", 12))
    phone.op(RemoveLine("A", "pc"), seen=seen)
    assert _qty(r) == 12


def test_add_after_remove_recreates_with_new_contribution() -> None:
    r, web, phone, _ = setup()
    web.op(AddLine("A", "pc", 10, "cut"))
    seen = r.version
    web.op(RemoveLine("A", "pc"))
    phone.op(AddQty("A", "pc", 2), seen=seen)
    assert _qty(r) == 2
    assert r.lines[("A", "pc")].note == ""


def test_note_last_writer_wins_and_does_not_create() -> None:
    r, web, phone, clock = setup()
    assert web.op(SetNote("A", "pc", "x")).status is OpStatus.SUPERSEDED
    web.op(AddLine("A", "pc", 1))
    old = Hlc(clock.ms - 50, 0)
    web.op(SetNote("A", "pc", "new"))
    assert phone.op(SetNote("A", "pc", "old"), hlc=old).status is OpStatus.SUPERSEDED
    assert r.lines[("A", "pc")].note == "new"


def test_pack_size_and_minimum_adjust_with_notice() -> None:
    clock = FixedClock()
    r = new_replica(clock)
    rules = make_rules()
    rules.put(ProductRule("P", pack_size=6, min_order_qty=12))
    from pocketsync.remote import Envelope

    res = r.apply(Envelope(1, Hlc(clock.ms), 0, AddLine("P", "pc", 5)), b"x" * 16, rules.rules)
    assert res.status is OpStatus.ADJUSTED
    assert res.code == "min_order_qty"
    assert res.detail == {"requested": 5, "qty": 12}
    assert r.lines[("P", "pc")].qty == 12
    res = r.apply(Envelope(2, Hlc(clock.ms), 1, AddQty("P", "pc", 1)), b"x" * 16, rules.rules)
    assert res.code == "pack_size"
    assert r.lines[("P", "pc")].qty == 18


def test_unknown_or_inactive_product_stays_flagged() -> None:
    r, web, _, _ = setup()
    res = web.op(AddLine("GONE", "pc", 2))
    assert res.status is OpStatus.APPLIED_WITH_WARNING
    assert res.code == "product_unavailable"
    view = r.view(make_rules().rules)
    assert [(x.sku, x.qty, x.available) for x in view.lines] == [("GONE", 2, False)]


def test_negative_add_never_drops_below_one() -> None:
    r, web, _, _ = setup()
    web.op(AddLine("A", "pc", 2))
    res = web.op(AddQty("A", "pc", -5))
    assert _qty(r) == 1
    assert res.status is OpStatus.ADJUSTED
    assert res.code == "min_qty"


def test_favourites_add_wins_over_concurrent_remove() -> None:
    r, web, phone, _ = setup()
    web.op(FavAdd("A", "n"))
    seen = r.version
    phone.op(FavAdd("A", "t"))  # re-add elsewhere, not seen by the web
    res = web.op(FavRemove("A"), seen=seen)
    assert r.favs["A"].present
    assert res.code == "concurrent_add_kept"
    web.op(FavRemove("A"))
    assert not r.favs["A"].present


def test_favourite_move_is_lww_and_does_not_readd() -> None:
    r, web, phone, clock = setup()
    web.op(FavAdd("A", "n"))
    old = Hlc(clock.ms - 10, 0)
    web.op(FavMove("A", "c"))
    assert phone.op(FavMove("A", "x"), hlc=old).status is OpStatus.SUPERSEDED
    assert r.favs["A"].rank == "c"
    web.op(FavRemove("A"))
    assert web.op(FavMove("A", "d")).status is OpStatus.SUPERSEDED
    assert not r.favs["A"].present


def test_settings_lww_and_delete_tombstone_wins_over_older_put() -> None:
    r, web, phone, clock = setup()
    old = Hlc(clock.ms + 1, 0)
    clock.advance(10)
    web.op(SettingDelete("page_size"))
    assert phone.op(SettingPut("page_size", 50), hlc=old).status is OpStatus.SUPERSEDED
    assert r.view(make_rules().rules).settings == {}
    web.op(SettingPut("page_size", 20))
    assert r.view(make_rules().rules).settings == {"page_size": 20}


def test_settings_registry_rejects_unknown_and_bad_values() -> None:
    r, web, _, _ = setup()
    res = web.op(SettingPut("no_such_key", 1))
    assert res.status is OpStatus.REJECTED
    assert res.code == "unknown_setting"
    res = web.op(SettingPut("page_size", True))
    assert res.status is OpStatus.REJECTED
    assert res.code == "invalid_setting_value"
    res = web.op(SettingPut("default_category_view", "carousel"))
    assert res.status is OpStatus.REJECTED
    assert r.view(make_rules().rules).settings == {}


def test_clock_running_ahead_is_capped() -> None:
    r, web, phone, clock = setup()
    web.op(AddLine("A", "pc", 1))
    future = Hlc(clock.ms + 365 * 86_400_000, 0)
    res = phone.op(SetQty("A", "pc", 9), hlc=future)
    assert res.status is OpStatus.APPLIED_WITH_WARNING
    assert res.code == "clock_capped"
    clock.advance(1000)
    web.op(SetQty("A", "pc", 4))  # a later honest decision still wins
    assert _qty(r) == 4


def test_seen_from_the_future_is_clamped() -> None:
    r, web, phone, _ = setup()
    web.op(AddLine("A", "pc", 1))
    phone.op(AddQty("A", "pc", 1))
    web.op(RemoveLine("A", "pc"), seen=10**9)
    assert _qty(r) is None


def test_folding_keeps_qty_and_bounds_contributions() -> None:
    clock = FixedClock()
    r = new_replica(clock)
    dev = Device(r, clock)
    for _ in range(500):
        dev.op(AddQty("A", "pc", 1))
        r.horizon = r.version
    line = r.lines[("A", "pc")]
    assert line.qty == 500
    assert len(line.adds) <= 2
