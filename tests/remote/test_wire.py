"""Wire encoding: round trips (hypothesis), no floats, and specific errors on bad input."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pocketsync.remote import (
    AddLine,
    AddQty,
    Envelope,
    FavAdd,
    FavMove,
    FavRemove,
    FavView,
    Hlc,
    LineView,
    MalformedPullError,
    MalformedResponseError,
    OpResult,
    OpStatus,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RemoveLine,
    SetNote,
    SetQty,
    SettingDelete,
    SettingPut,
    UnknownOperationError,
    rank_between,
    wire,
)

sku = st.text("ABCXYZ-09", min_size=1, max_size=8)
rank = st.text("bcdxyz", min_size=1, max_size=4)
ops = st.one_of(
    st.builds(AddLine, sku, st.just("pc"), st.integers(1, 99), st.text("abc é", max_size=5)),
    st.builds(AddQty, sku, st.just("kg"), st.integers(1, 99)),
    st.builds(SetQty, sku, st.just("pc"), st.integers(1, 99)),
    st.builds(RemoveLine, sku, st.just("pc")),
    st.builds(SetNote, sku, st.just("pc"), st.text("abc é", max_size=5)),
    st.builds(FavAdd, sku, rank),
    st.builds(FavRemove, sku),
    st.builds(FavMove, sku, rank),
    st.builds(
        SettingPut,
        st.just("page_size"),
        st.one_of(
            st.integers(-99, 99), st.booleans(), st.text("xy", max_size=4), st.binary(max_size=4)
        ),
    ),
    st.builds(SettingDelete, st.just("order_reference")),
)


def _no_floats(obj: object) -> None:
    assert not isinstance(obj, float)
    if isinstance(obj, dict):
        for v in obj.values():
            _no_floats(v)
    elif isinstance(obj, list):
        for v in obj:
            _no_floats(v)


@settings(max_examples=200, deadline=None)
@given(st.lists(ops, min_size=1, max_size=5), st.integers(1, 1000), st.integers(0, 10**6))
def test_push_round_trip(op_list: list[object], start: int, seen: int) -> None:
    envs = tuple(
        Envelope(start + i, Hlc(1_700_000_000_000, i), seen, o) for i, o in enumerate(op_list)
    )  # type: ignore[arg-type]
    req = PushRequest(b"\x01" * 16, envs)
    encoded = wire.encode_push_request(req)
    _no_floats(encoded)
    assert wire.decode_push_request(wire.unpack(wire.pack(encoded))) == req


def test_responses_round_trip() -> None:
    push = PushResponse(3, Hlc(5, 1), (OpResult(3, OpStatus.ADJUSTED, "pack_size", {"qty": 6}),))
    assert (
        wire.decode_push_response(wire.unpack(wire.pack(wire.encode_push_response(push)))) == push
    )
    pull = PullResponse(
        9, 4, 3, False, Hlc(5, 0), (LineView("A", "pc", 2, "n"),), (("B", "pc"),),
        (FavView("A", "n"),), ("C",), {"page_size": 20}, ("cost_centre",), ("A",),
    )  # fmt: skip
    assert (
        wire.decode_pull_response(wire.unpack(wire.pack(wire.encode_pull_response(pull)))) == pull
    )
    req = PullRequest(b"\x02" * 16, None, 4)
    assert wire.decode_pull_request(wire.unpack(wire.pack(wire.encode_pull_request(req)))) == req


def test_bad_inputs_raise_specific_errors() -> None:
    with pytest.raises(UnknownOperationError):
        wire.decode_op({"op": "nuke"})
    with pytest.raises(MalformedPullError):
        wire.decode_pull_request(
            {"v": 1, "t": "pull", "client": b"x", "cookie": None, "min_seen": None}
        )
    with pytest.raises(MalformedPullError):
        wire.decode_pull_request(
            {"v": 1, "t": "pull", "client": b"x" * 16, "cookie": -1, "min_seen": None}
        )
    good = wire.encode_push_response(PushResponse(1, Hlc(1, 0), ()))
    with pytest.raises(MalformedResponseError):
        wire.decode_push_response({**good, "results": [[1, "exploded", None, {}]]})
    with pytest.raises(MalformedResponseError):
        wire.unpack(msgpack.packb({1: 2}), MalformedResponseError)  # non-str map key


def test_rank_between_always_fits() -> None:
    lo, hi = None, None
    ranks = []
    for _ in range(50):
        r = rank_between(lo, hi)
        assert lo is None or lo < r
        assert hi is None or r < hi
        ranks.append(r)
        hi = r
    assert len(set(ranks)) == 50
