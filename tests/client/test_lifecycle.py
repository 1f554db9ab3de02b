"""The whole client lifecycle against a real server process on loopback."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

from sqlalchemy import create_engine

from client_ref.airplane import AirplaneModeTransport
from pocketsync.catalog import Publisher
from pocketsync.client import ServerUnreachableError, SyncProgress
from tests.client.live import (
    ALL_ROWS,
    BUSY_CATEGORY,
    EXPECTED_COUNTS,
    NAMED,
    PASSWORD,
    SINGLY,
    USER,
    Live,
    table_counts,
)


def _summary(view: object) -> tuple[object, ...]:
    lines = tuple((x.sku, x.unit, x.qty) for x in view.lines)  # type: ignore[attr-defined]
    favs = tuple(sorted(f.sku for f in view.favourites))  # type: ignore[attr-defined]
    return lines, favs, tuple(sorted(view.settings.items()))  # type: ignore[attr-defined]


def test_whole_lifecycle(live: Live, tmp_path: Path) -> None:
    net_a, net_b = AirplaneModeTransport(), AirplaneModeTransport()
    a = live.client(tmp_path / "a", transport=net_a)
    b = live.client(tmp_path / "b", transport=net_b)

    # login and initial sync with progress
    account = a.login(USER, PASSWORD)
    assert account.customer_id == "cus-demo-1"
    reports: list[SyncProgress] = []
    first = a.sync(progress=reports.append)
    assert first.catalog.kind == "full_reset"
    assert first.catalog.rows_upserted == ALL_ROWS
    assert table_counts(tmp_path / "a") == EXPECTED_COUNTS
    phases = [r.phase for r in reports]
    assert phases[0] == "manifest"
    assert phases[-1] == "done"
    assert {"download", "apply", "index"} <= set(phases)
    downloads = [r.bytes_done for r in reports if r.phase == "download"]
    assert downloads == sorted(downloads)
    assert downloads[-1] == reports[-1].bytes_total
    assert any(r.seconds_left is not None for r in reports)
    session_file = tmp_path / "a" / "session.json"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    assert PASSWORD not in session_file.read_text()

    # catalog queries
    assert a.category_tree()
    assert a.search(NAMED.name)[0].sku == NAMED.sku
    price = a.price_at(NAMED.sku, 10)
    assert price is not None
    assert price.min_qty == 10
    items, _next = a.products_in_category(BUSY_CATEGORY, limit=5)
    assert len(items) == 5

    b.login(USER, PASSWORD)
    b.sync()

    # offline edits on both phones, then reconnect and merge
    net_a.offline = net_b.offline = True
    a.cart_add(SINGLY[0].sku, 5)
    a.fav_add(SINGLY[1].sku)
    a.setting_put("default_delivery_address", "Dock 4")
    b.cart_add(SINGLY[0].sku, 3)
    b.fav_add(SINGLY[2].sku)
    try:
        a.sync()
        raise AssertionError("sync must fail offline")
    except ServerUnreachableError:
        pass
    status = a.status()
    assert status.online is False
    assert status.pending_operations == 3
    assert status.logged_in
    net_a.offline = net_b.offline = False
    a.sync()
    b.sync()
    a.sync()
    assert _summary(a.view()) == _summary(b.view())
    assert [(x.sku, x.qty) for x in a.cart()] == [(SINGLY[0].sku, 8)]
    assert a.status().pending_operations == 0

    # a delta: the server publishes a renamed product
    engine = create_engine(live.server_url_db())
    with engine.begin() as conn:
        Publisher(conn).upsert_products([dataclasses.replace(NAMED, name="Renamed widget")])
    engine.dispose()
    delta = a.sync_catalog()
    assert delta.kind == "delta"
    assert delta.rows_upserted == 1
    assert a.search("renamed widget")[0].sku == NAMED.sku
    assert a.sync_catalog().kind == "noop"

    # restart: still logged in, answers at once
    a.close()
    a = live.client(tmp_path / "a")
    assert a.status().logged_in
    assert a.product(NAMED.sku) is not None

    # logout: flush, wipe
    a.cart_add(SINGLY[3].sku, 1)
    report = a.logout()
    assert report.flushed
    assert report.kept_operations == 0
    assert report.catalog_files_left == ()
    assert not list((tmp_path / "a").rglob("catalog.db*"))
    assert not session_file.exists()
    assert a.status().account is None

    # login on the other phone (after its own logout): everything restored
    expected = _summary(b.view())
    b.logout()
    b.login(USER, PASSWORD)
    b.sync()
    assert _summary(b.view()) != expected  # it now has phone A's last line
    assert (SINGLY[3].sku, SINGLY[3].unit, 1) in _summary(b.view())[0]
    assert table_counts(tmp_path / "b") == EXPECTED_COUNTS
    a.close()
    b.close()
