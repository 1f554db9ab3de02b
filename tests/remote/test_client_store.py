"""Client store: per-account files, logout online/offline, restore, gap recovery."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from pocketsync.clock import FixedClock
from pocketsync.remote import RemoteStateServer, RemoteView, client_file
from tests.remote.harness import make_rules, open_client, pull, push, sync


def test_offline_logout_keeps_outbox_for_same_account_only(
    tmp_path: Path, server_engine: Engine, clock: FixedClock
) -> None:
    server = RemoteStateServer(server_engine, clock=clock, rules=make_rules())
    phone = open_client(tmp_path, "u1", clock, 1)
    phone.add_line("A", "pc", 3)
    phone.setting_put("page_size", 50)
    assert phone.logout() == 2  # offline: nothing was sent
    other = open_client(tmp_path, "u2", clock, 2)
    assert other.view() == RemoteView()
    assert other.build_push() is None
    sync(other, server, "u2")
    other.close()
    back = open_client(tmp_path, "u1", clock, 3)
    assert [x.qty for x in back.view().lines] == [3]
    sync(back, server, "u1")
    assert back.view() == server.view("u1")
    assert server.view("u1").settings == {"page_size": 50}
    assert server.view("u2") == RemoteView()
    back.close()


def test_online_logout_then_login_elsewhere_restores(
    tmp_path: Path, server_engine: Engine, clock: FixedClock
) -> None:
    server = RemoteStateServer(server_engine, clock=clock, rules=make_rules())
    phone = open_client(tmp_path / "p", "u1", clock, 1)
    phone.add_line("A", "pc", 3)
    phone.fav_add("B")
    push(phone, server, "u1")
    assert phone.logout() == 0
    other = open_client(tmp_path / "q", "u1", clock, 2)
    pull(other, server, "u1")
    assert other.view() == server.view("u1")
    assert len(other.view().lines) == 1
    other.close()


def test_client_id_is_random_per_account_and_files_are_separate(
    tmp_path: Path, clock: FixedClock
) -> None:
    a = open_client(tmp_path, "u1", clock, 1)
    b = open_client(tmp_path, "u2", clock, 2)
    assert a.client_id != b.client_id
    assert client_file(tmp_path, "u1") != client_file(tmp_path, "u2")
    a.close()
    b.close()


def test_forgotten_client_rotates_and_replays(
    tmp_path: Path, server_engine: Engine, clock: FixedClock
) -> None:
    server = RemoteStateServer(server_engine, clock=clock, rules=make_rules())
    phone = open_client(tmp_path, "u1", clock, 1)
    phone.add_line("A", "pc", 1)
    sync(phone, server, "u1")
    old = phone.client_id
    phone.add_line("A", "pc", 1)
    phone.handle_sequence_gap(0)  # the server says it has nothing from us (record forgotten)
    assert phone.client_id != old
    assert [e.seq for e in phone.pending()] == [1]
    sync(phone, server, "u1")
    assert server.view("u1").lines[0].qty == 2
    assert phone.view() == server.view("u1")
    phone.close()
