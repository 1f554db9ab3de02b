"""Chunk codec: round trips, and every kind of hostile chunk refused with its own error."""

from __future__ import annotations

import hashlib
import json

import msgpack
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from pocketsync.bundle import (
    TABLES,
    ChunkHashError,
    ChunkLengthError,
    ChunkRef,
    ChunkTooLargeError,
    Limits,
    MalformedChunkError,
    UnsupportedFormatError,
    decode_chunk,
    encode_chunk,
)

text = st.text(max_size=20)
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
price_rows = st.lists(st.tuples(text, ints, ints, text), max_size=30)
product_rows = st.lists(
    st.tuples(
        text, text, text, text, text, ints, ints, st.none() | text, st.none() | text,
        st.booleans(), st.just(json.dumps({"colour": "red"})),
    ),
    max_size=10,
)  # fmt: skip


def ref_for(data: bytes, table: str, rows: int) -> ChunkRef:
    return ChunkRef(table, rows, len(data), hashlib.sha256(data).digest())


@given(price_rows, st.lists(st.tuples(text, ints), max_size=10))
def test_prices_round_trip(
    upserts: list[tuple[object, ...]], deletes: list[tuple[object, ...]]
) -> None:
    ref, data = encode_chunk("prices", upserts, deletes)
    chunk = decode_chunk(data, ref)
    assert list(chunk.upsert_rows()) == upserts
    assert list(chunk.delete_keys()) == deletes
    assert chunk.rows == ref.rows == len(upserts) + len(deletes)


@given(product_rows)
def test_products_round_trip(rows: list[tuple[object, ...]]) -> None:
    ref, data = encode_chunk("products", rows)
    assert list(decode_chunk(data, ref).upsert_rows()) == rows


def test_encoding_is_deterministic() -> None:
    rows = [("a", 1, 100, "EUR"), ("b", 5, 90, "EUR")]
    assert encode_chunk("prices", rows) == encode_chunk("prices", list(rows))


def test_flipped_byte_anywhere_is_a_hash_error() -> None:
    ref, data = encode_chunk("prices", [("a", 1, 100, "EUR")] * 50)
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x01
        with pytest.raises(ChunkHashError):
            decode_chunk(bytes(bad), ref)


def test_truncated_and_padded_chunks_are_length_errors() -> None:
    ref, data = encode_chunk("prices", [("a", 1, 100, "EUR")])
    with pytest.raises(ChunkLengthError):
        decode_chunk(data[:-1], ref)
    with pytest.raises(ChunkLengthError):
        decode_chunk(data + b"\0", ref)


def signed_raw(body: bytes, *, declare: bool = True) -> tuple[ChunkRef, bytes]:
    """A chunk whose hash and length match its ref, whatever is inside: the signer lied."""
    data = zstandard.ZstdCompressor(write_content_size=declare).compress(body)
    return ref_for(data, "prices", 1), data


def test_bomb_with_declared_size_is_refused_before_decompressing() -> None:
    ref, data = signed_raw(b"\0" * (200 * 1024 * 1024))
    assert len(data) < 20_000
    with pytest.raises(ChunkTooLargeError, match="declares"):
        decode_chunk(data, ref)


def test_frame_without_declared_size_is_refused() -> None:
    stream = zstandard.ZstdCompressor().compressobj()  # streamed: no content size in the header
    data = stream.compress(b"\0" * 10_000_000) + stream.flush()
    assert zstandard.get_frame_parameters(data).content_size == zstandard.CONTENTSIZE_UNKNOWN
    ref = ref_for(data, "prices", 1)
    with pytest.raises(ChunkTooLargeError, match="does not declare"):
        decode_chunk(data, ref)


def test_window_over_limit_is_refused() -> None:
    ref, data = signed_raw(b"\0" * 1_000_000)
    with pytest.raises(ChunkTooLargeError, match="window"):
        decode_chunk(data, ref, Limits(max_window_bytes=64 * 1024))


def test_trailing_bytes_after_frame_are_refused() -> None:
    ref0, data = encode_chunk("prices", [("a", 1, 100, "EUR")])
    data += b"\x00\x01"
    with pytest.raises(MalformedChunkError):
        decode_chunk(data, ref_for(data, "prices", 1))
    assert ref0.length + 2 == len(data)


def test_not_zstd_at_all() -> None:
    data = b"definitely not zstd"
    with pytest.raises(MalformedChunkError, match="zstd"):
        decode_chunk(data, ref_for(data, "prices", 1))


@pytest.mark.parametrize(
    "body",
    [
        b"\xdd\xff\xff\xff\xff",  # array32 claiming 4 billion entries
        b"\xdf\xff\xff\xff\xff",  # map32 claiming 4 billion entries
        b"\x91" * 100_000 + b"\xc0",  # 100,000 levels of nesting
        msgpack.packb({"format": 1, "table": "prices", "upsert": [], "delete": []}) + b"\xc0",
        msgpack.packb({1: 2}),  # non-string map key
        msgpack.packb(msgpack.ExtType(5, b"x")),
        msgpack.packb({"format": 1, "table": "prices", "upsert": [], "delete": []})[:-3],
    ],
    ids=["huge-array", "huge-map", "deep-nesting", "trailing", "int-key", "ext", "truncated"],
)
def test_hostile_msgpack_is_malformed(body: bytes) -> None:
    ref, data = signed_raw(body)
    with pytest.raises(MalformedChunkError, match="msgpack"):
        decode_chunk(data, ref)


def chunk_body(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "format": 1,
        "table": "prices",
        "upsert": [["a"], [1], [100], ["EUR"]],
        "delete": [],
    }
    body.update(overrides)
    return msgpack.packb(body)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"table": "products"}, "manifest says"),
        ({"upsert": [["a"], [1], [100]]}, "columns"),
        ({"upsert": [["a"], [1, 2], [100], ["EUR"]]}, "not a list of"),
        ({"upsert": [["a"], [True], [100], ["EUR"]]}, "type int"),
        ({"upsert": [["a"], [1], [1.5], ["EUR"]]}, "type int"),
        ({"upsert": [[None], [1], [100], ["EUR"]]}, "type str"),
        ({"upsert": [["a"], [1], [2**64 - 1], ["EUR"]]}, "out of range"),
        ({"upsert": [["a", "b"], [1, 2], [100, 1], ["EUR", "EUR"]]}, "rows"),
        ({"upsert": "nope"}, "list of columns"),
    ],
)
def test_wrong_shape_is_malformed(overrides: dict[str, object], message: str) -> None:
    ref, data = signed_raw(chunk_body(**overrides))
    with pytest.raises(MalformedChunkError, match=message):
        decode_chunk(data, ref)


def test_unknown_chunk_format() -> None:
    ref, data = signed_raw(chunk_body(format=2))
    with pytest.raises(UnsupportedFormatError):
        decode_chunk(data, ref)


def test_rows_of_the_wrong_width_cannot_be_encoded() -> None:
    with pytest.raises(MalformedChunkError, match="values"):
        encode_chunk("prices", [("a", 1, 100)])
    with pytest.raises(MalformedChunkError, match="unknown table"):
        encode_chunk("orders", [])


def test_every_table_has_its_key_among_its_columns() -> None:
    for spec in TABLES.values():
        assert set(spec.key) <= set(spec.column_names)
