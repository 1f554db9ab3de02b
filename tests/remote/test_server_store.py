"""Server store on SQLite and PostgreSQL: retries, gaps, owners, bad input, collection."""

from __future__ import annotations

import msgpack
import pytest
from sqlalchemy import Connection, Engine, select

from pocketsync.catalog import CatalogProductRules, Category, Product, Publisher
from pocketsync.clock import FixedClock
from pocketsync.remote import (
    AddLine,
    ClientOwnerMismatchError,
    Envelope,
    Hlc,
    MalformedPushError,
    OpStatus,
    PullRequest,
    PushRequest,
    RemoteStateServer,
    RemoveLine,
    SequenceGapError,
    SettingPut,
    wire,
)
from pocketsync.remote.server_schema import remote_owners
from tests.remote.harness import make_rules

A = b"\x0a" * 16
B = b"\x0b" * 16


def env(seq: int, op: object, clock: FixedClock, seen: int = 0) -> Envelope:
    return Envelope(seq, Hlc(clock.ms, seq), seen, op)  # type: ignore[arg-type]


@pytest.fixture
def server(server_engine: Engine, clock: FixedClock) -> RemoteStateServer:
    return RemoteStateServer(server_engine, clock=clock, rules=make_rules())


def test_push_pull_and_retry_applies_once(server: RemoteStateServer, clock: FixedClock) -> None:
    req = PushRequest(
        A, (env(1, AddLine("A", "pc", 2), clock), env(2, SettingPut("page_size", 9), clock))
    )
    first = server.push("u1", req)
    assert first.last_seq == 2
    assert first.results[1].status is OpStatus.REJECTED
    again = server.push("u1", req)  # the response was lost; the client retries
    assert again.results == first.results
    assert server.view("u1").lines[0].qty == 2
    pulled = server.pull("u1", PullRequest(A, None))
    assert pulled.reset
    assert pulled.last_seq == 2
    assert pulled.lines[0].qty == 2
    delta = server.pull("u1", PullRequest(A, pulled.cookie))
    assert not delta.reset
    assert delta.lines == ()


def test_catalog_rules_are_read_inside_the_push_transaction(
    server_engine: Engine, clock: FixedClock
) -> None:
    """The store hands its own connection to the rules source (no second connection, which
    on SQLite would wait for the push's write lock): the source sees the owner row that
    this very push inserted and has not committed yet."""
    with server_engine.begin() as conn:
        pub = Publisher(conn)
        pub.upsert_category(Category("root", None, "Root"))
        pub.upsert_products(
            [
                Product("P6", "Six-pack", "", "root", "pc", pack_size=6),
                Product("OLD", "Discontinued", "", "root", "pc", active=False),
            ]
        )
    calls: list[str | None] = []

    def source(conn: Connection) -> CatalogProductRules:
        owner = select(remote_owners.c.owner).where(remote_owners.c.owner == "u1")
        calls.append(conn.execute(owner).scalar())
        return CatalogProductRules(conn)

    server = RemoteStateServer(server_engine, clock=clock, rules=source)
    ops = (AddLine("P6", "pc", 4), AddLine("OLD", "pc", 1), AddLine("GONE", "pc", 2))
    answer = server.push(
        "u1", PushRequest(A, tuple(env(i, op, clock) for i, op in enumerate(ops, 1)))
    )
    assert [(r.status, r.code) for r in answer.results] == [
        (OpStatus.ADJUSTED, "pack_size"),
        (OpStatus.APPLIED_WITH_WARNING, "product_unavailable"),
        (OpStatus.APPLIED_WITH_WARNING, "product_unavailable"),
    ]
    assert calls == ["u1"]  # the uncommitted owner row of this push's transaction
    pulled = server.pull("u1", PullRequest(A, None))
    assert {(x.sku, x.qty) for x in pulled.lines} == {("P6", 6), ("OLD", 1), ("GONE", 2)}
    assert pulled.unavailable == ("GONE", "OLD")
    plain = RemoteStateServer(server_engine, clock=clock, rules=CatalogProductRules)
    assert {(x.sku, x.available) for x in plain.view("u1").lines} == {
        ("P6", True),
        ("OLD", False),
        ("GONE", False),
    }


def test_gap_is_refused_with_last_seq(server: RemoteStateServer, clock: FixedClock) -> None:
    server.push("u1", PushRequest(A, (env(1, AddLine("A", "pc", 1), clock),)))
    with pytest.raises(SequenceGapError) as info:
        server.push("u1", PushRequest(A, (env(3, AddLine("A", "pc", 1), clock),)))
    assert info.value.last_seq == 1
    assert info.value.code == "sequence_gap"
    assert server.view("u1").lines[0].qty == 1


def test_client_of_another_owner_is_refused(server: RemoteStateServer, clock: FixedClock) -> None:
    server.push("u1", PushRequest(A, (env(1, AddLine("A", "pc", 1), clock),)))
    with pytest.raises(ClientOwnerMismatchError):
        server.push("u2", PushRequest(A, (env(2, AddLine("B", "pc", 1), clock),)))
    with pytest.raises(ClientOwnerMismatchError):
        server.pull("u2", PullRequest(A, None))
    assert server.view("u2").lines == ()
    assert len(server.view("u1").lines) == 1


def test_malformed_push_leaves_state_unchanged(
    server: RemoteStateServer, clock: FixedClock
) -> None:
    server.push("u1", PushRequest(A, (env(1, AddLine("A", "pc", 1), clock),)))
    before = server.view("u1")
    good = wire.encode_push_request(PushRequest(A, (env(2, AddLine("B", "pc", 1), clock),)))
    bad_ops = [
        {**good["ops"][0], "qty": 1.5},
        {**good["ops"][0], "qty": 0},
        {**good["ops"][0], "extra": 1},
        {k: v for k, v in good["ops"][0].items() if k != "seen"},
        {**good["ops"][0], "op": "drop_table"},
        {**good["ops"][0], "hlc": [1]},
    ]
    for bad in bad_ops:
        with pytest.raises(MalformedPushError):
            server.push(
                "u1", wire.decode_push_request(wire.unpack(wire.pack({**good, "ops": [bad]})))
            )
    for blob in (b"\xc1", msgpack.packb([1, 2]), wire.pack({**good, "v": 2})):
        with pytest.raises(MalformedPushError):
            wire.decode_push_request(wire.unpack(blob))
    assert server.view("u1") == before


def test_delete_owner_removes_everything(
    server: RemoteStateServer, server_engine: Engine, clock: FixedClock
) -> None:
    server.push("u1", PushRequest(A, (env(1, AddLine("A", "pc", 1), clock),)))
    server.push("u2", PushRequest(B, (env(1, AddLine("A", "pc", 1), clock),)))
    with server_engine.begin() as conn:
        server.delete_owner(conn, "u1")
    assert server.view("u1").lines == ()
    assert server.stats("u1").entities == 0
    assert server.stats("u1").clients == 0
    assert len(server.view("u2").lines) == 1


def test_tombstones_collected_once_everyone_pulled(
    server: RemoteStateServer, clock: FixedClock
) -> None:
    server.push("u1", PushRequest(A, (env(1, AddLine("A", "pc", 1), clock),)))
    b_cookie = server.pull("u1", PullRequest(B, None)).cookie
    a_cookie = server.pull("u1", PullRequest(A, None)).cookie
    server.push("u1", PushRequest(A, (env(2, RemoveLine("A", "pc"), clock, a_cookie),)))
    assert server.stats("u1").tombstones == 1  # B has not pulled past the removal
    delta = server.pull("u1", PullRequest(B, b_cookie))
    assert delta.lines_removed == (("A", "pc"),)
    server.pull("u1", PullRequest(A, a_cookie))
    server.push("u1", PushRequest(A, (env(3, AddLine("B", "pc", 1), clock, delta.cookie),)))
    assert server.stats("u1").tombstones == 0
    # A stale cookie from before the collected removal gets a reset, not a wrong delta.
    assert server.pull("u1", PullRequest(B, b_cookie)).reset


def test_silent_client_expires_and_stops_holding_collection(
    server_engine: Engine, clock: FixedClock
) -> None:
    from pocketsync.remote import RetentionPolicy

    server = RemoteStateServer(
        server_engine, clock=clock, rules=make_rules(),
        retention=RetentionPolicy(client_expiry_ms=1_000, client_forget_ms=10_000),
    )  # fmt: skip
    server.push("u1", PushRequest(A, (env(1, AddLine("A", "pc", 1), clock),)))
    server.pull("u1", PullRequest(B, None))  # B registers, then goes silent
    clock.advance(5_000)
    c = server.pull("u1", PullRequest(A, None)).cookie
    server.push("u1", PushRequest(A, (env(2, RemoveLine("A", "pc"), clock, c),)))
    server.pull("u1", PullRequest(A, c + 1))
    server.push("u1", PushRequest(A, (env(3, AddLine("B", "pc", 1), clock, c + 1),)))
    assert server.stats("u1").tombstones == 0
    clock.advance(20_000)
    server.pull("u1", PullRequest(A, None))
    assert server.stats("u1").clients == 1  # B forgotten
