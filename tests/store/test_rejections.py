"""Bad input: each rejected with its specific error, the store's content unchanged."""

from __future__ import annotations

import hashlib
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
import zstandard

from pocketsync.bundle import (
    ChunkHashError,
    ChunkLengthError,
    ChunkRef,
    ChunkTooLargeError,
    ExpiredManifestError,
    MalformedChunkError,
    RollbackError,
    UnknownKeyError,
    WrongCustomerError,
    encode_chunk,
)
from pocketsync.errors import BundleError
from pocketsync.store import CatalogStore
from tests.store.bundles import (
    CUSTOMER,
    NOW_MS,
    OTHER_KEY,
    TRUSTED,
    Bundle,
    Catalog,
    ChunkServer,
    apply,
    delta,
    make_catalog,
    ranges,
    sign,
    snapshot,
    store_checksum,
    with_customer,
)

CAT1 = make_catalog(120)
CAT2 = make_catalog(120, seed=1, name_prefix="New ")


@pytest.fixture(params=["delta", "snapshot"])
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[CatalogStore, str]]:
    """A store at version 1, and which kind of bundle the test should attack."""
    store = CatalogStore.open(tmp_path / "data")
    apply(store, snapshot(CAT1))
    yield store, str(request.param)
    store.close()


def _good(kind: str) -> Bundle:
    if kind == "delta":
        return delta(CAT1, CAT2, catalog=(1, 2), prices=(1, 2), chunk_rows=40)
    return snapshot(CAT2, catalog_v=2, prices_v=2, chunk_rows=40)


def _with_bad_chunk(kind: str, bad: tuple[ChunkRef, bytes]) -> Bundle:
    """A correctly signed bundle whose chunks are good ones with ``bad`` in the middle."""
    good = _good(kind)
    chunks = [(r, good.chunks[r.address]) for r in good.manifest.chunks]
    chunks.insert(len(chunks) // 2, bad)
    first = 0 if kind == "snapshot" else 1
    return sign(ranges((first, 2), (first, 2)), chunks)


def _ref_for(table: str, rows: int, data: bytes) -> tuple[ChunkRef, bytes]:
    return ChunkRef(table, rows, len(data), hashlib.sha256(data).digest()), data


def _rejects(store: CatalogStore, bundle: Bundle, error: type[BundleError], **kw: object) -> None:
    before = store_checksum(store.folder)
    with pytest.raises(error):
        apply(store, bundle, **kw)
    assert store_checksum(store.folder) == before


def test_flipped_byte_anywhere_in_envelope(seeded: tuple[CatalogStore, str]) -> None:
    store, kind = seeded
    bundle = _good(kind)
    before = store_checksum(store.folder)
    env = bundle.envelope
    for i in range(len(env)):
        bad = bytearray(env)
        bad[i] ^= 0x01
        with pytest.raises(BundleError):
            store.apply(
                bytes(bad),
                trusted=TRUSTED,
                customer_id=CUSTOMER,
                now_ms=NOW_MS,
                fetch_chunk=ChunkServer(bundle),
            )
    assert store_checksum(store.folder) == before


def test_flipped_byte_in_chunk(seeded: tuple[CatalogStore, str]) -> None:
    store, kind = seeded
    bundle = _good(kind)
    rnd = random.Random(0)
    refs = list(bundle.manifest.chunks)
    for n in range(40):
        ref = refs[n % len(refs)]
        server = ChunkServer(bundle)
        data = bytearray(server.chunks[ref.address])
        pos = [0, len(data) - 1][n] if n < 2 else rnd.randrange(len(data))
        data[pos] ^= 1 << rnd.randrange(8)
        server.chunks[ref.address] = bytes(data)
        # Good chunks verified by earlier rounds stay cached (that is resume); start
        # each round without them so the flipped chunk is really fetched.
        shutil.rmtree(store.folder / "chunks", ignore_errors=True)
        _rejects(store, bundle, ChunkHashError, fetch_chunk=server)


def test_truncated_chunk(seeded: tuple[CatalogStore, str]) -> None:
    store, kind = seeded
    bundle = _good(kind)
    server = ChunkServer(bundle)
    last = bundle.manifest.chunks[-1]
    server.chunks[last.address] = server.chunks[last.address][:-1]
    _rejects(store, bundle, ChunkLengthError, fetch_chunk=server)


def test_unknown_key(seeded: tuple[CatalogStore, str]) -> None:
    store, kind = seeded
    good = _good(kind)
    chunks = [(r, good.chunks[r.address]) for r in good.manifest.chunks]
    first = 0 if kind == "snapshot" else 1
    _rejects(store, sign(ranges((first, 2), (first, 2)), chunks, key=OTHER_KEY), UnknownKeyError)


def test_another_customers_manifest(seeded: tuple[CatalogStore, str]) -> None:
    store, kind = seeded
    _rejects(store, with_customer(_good(kind), "cus_other"), WrongCustomerError)


def test_expired_manifest(seeded: tuple[CatalogStore, str]) -> None:
    store, kind = seeded
    bundle = _good(kind)
    _rejects(store, bundle, ExpiredManifestError, now_ms=bundle.manifest.expires_ms + 1)


def test_older_manifest_replayed_also_after_wipe(tmp_path: Path) -> None:
    store = CatalogStore.open(tmp_path)
    old = snapshot(CAT1, catalog_v=1, prices_v=1)
    apply(store, old)
    apply(store, delta(CAT1, CAT2, catalog=(1, 2), prices=(1, 2)))
    _rejects(store, old, RollbackError)
    store.wipe()
    assert store.cursors() == {}
    _rejects(store, old, RollbackError)
    store.close()
    with CatalogStore.open(tmp_path) as reopened:
        _rejects(reopened, old, RollbackError)
        apply(reopened, snapshot(CAT2, catalog_v=2, prices_v=2))  # the current one is fine
        assert reopened.cursors()["catalog"].version == 2


def _bomb(declared: bool) -> bytes:
    size = 65 * 1024 * 1024  # over the 64 MiB content limit
    if declared:
        return zstandard.ZstdCompressor(level=1).compress(b"\0" * size)
    cobj = zstandard.ZstdCompressor(level=1, write_content_size=False).compressobj()
    return cobj.compress(b"\0" * size) + cobj.flush()


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_zstd_bomb(seeded: tuple[CatalogStore, str], declared: bool) -> None:
    store, kind = seeded
    data = _bomb(declared)
    assert len(data) < 64 * 1024
    bundle = _with_bad_chunk(kind, _ref_for("products", 1, data))
    _rejects(store, bundle, ChunkTooLargeError)


def _body(upsert: object, delete: object = ()) -> dict[str, object]:
    return {"format": 1, "table": "prices", "upsert": upsert, "delete": list(delete)}  # type: ignore[call-overload]


HOSTILE = {
    # An array header claiming 2**32-1 elements with nothing behind it.
    "huge_array_length": b"\x84\xa6format\x01\xa5table\xa6prices\xa6upsert\xdd\xff\xff\xff\xff",
    "huge_string_length": b"\x84\xa6format\x01\xa5table\xdb\xff\xff\xff\xf0prices",
    "huge_map_length": b"\xdf\xff\xff\xff\xff\xa6format\x01",
    "deep_nesting": b"\x84\xa6format\x01\xa5table\xa6prices\xa6upsert"
    + b"\x91" * 100_000
    + b"\x00",
    "trailing_bytes": msgpack.packb(_body([["S"], [1], [100], ["EUR"]])) + b"\x00",
    "ext_type": msgpack.packb(_body([[msgpack.ExtType(5, b"x")], [1], [100], ["EUR"]])),
    "wrong_type": msgpack.packb(_body([["S"], ["1"], [100], ["EUR"]])),
    "ragged_columns": msgpack.packb(_body([["S", "T"], [1], [100], ["EUR"]])),
    "not_a_map": msgpack.packb([1, 2, 3]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_msgpack_in_signed_chunk(seeded: tuple[CatalogStore, str], case: str) -> None:
    store, kind = seeded
    data = zstandard.ZstdCompressor(level=3).compress(HOSTILE[case])
    bundle = _with_bad_chunk(kind, _ref_for("prices", 1, data))
    _rejects(store, bundle, MalformedChunkError)


def test_row_count_lie_in_signed_manifest(seeded: tuple[CatalogStore, str]) -> None:
    store, kind = seeded
    ref, data = encode_chunk("prices", [("S", 1, 100, "EUR")])
    bundle = _with_bad_chunk(kind, (ChunkRef("prices", 5, ref.length, ref.sha256), data))
    _rejects(store, bundle, MalformedChunkError)


def test_catalog_checksum_helper_sees_changes(tmp_path: Path) -> None:
    with CatalogStore.open(tmp_path) as store:
        empty = store_checksum(tmp_path)
        apply(store, snapshot(Catalog(), catalog_v=1, prices_v=1))
        assert store_checksum(tmp_path) != empty
