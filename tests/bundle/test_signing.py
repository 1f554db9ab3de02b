"""Signed manifests: round trip, tampering, unknown keys, hostile envelopes."""

from __future__ import annotations

import hashlib

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pocketsync.bundle import (
    ChunkRef,
    MalformedManifestError,
    Manifest,
    PartitionRange,
    SignatureError,
    SigningKey,
    TrustedKeys,
    UnknownKeyError,
    UnsupportedFormatError,
    encode_manifest,
    open_manifest,
    sign_manifest,
)
from pocketsync.bundle.signing import _DOMAIN

KEY = SigningKey.from_seed(b"k" * 32)
OTHER = SigningKey.from_seed(b"o" * 32)
TRUSTED = TrustedKeys([KEY.public_key])


def manifest(**changes: object) -> Manifest:
    fields: dict[str, object] = {
        "key_id": KEY.key_id,
        "customer_id": "cus_1",
        "created_ms": 1_000,
        "expires_ms": 2_000,
        "partitions": (
            PartitionRange("catalog", "catalog", 0, 7),
            PartitionRange("prices", "prices:A", 0, 3),
        ),
        "chunks": (ChunkRef("products", 10, 100, hashlib.sha256(b"x").digest()),),
    }
    fields.update(changes)
    return Manifest(**fields)  # type: ignore[arg-type]


versions = st.integers(min_value=0, max_value=2**63 - 1)


@given(st.text(min_size=1, max_size=40), versions, versions, versions)
def test_round_trip(customer: str, created: int, expires: int, to: int) -> None:
    m = manifest(customer_id=customer, created_ms=created, expires_ms=expires)
    m = manifest(
        customer_id=customer,
        created_ms=created,
        expires_ms=expires,
        partitions=(PartitionRange("prices", "prices:X", 0, to), m.partitions[0]),
    )
    assert open_manifest(sign_manifest(m, KEY), TRUSTED) == m


def test_flipped_byte_anywhere_is_rejected() -> None:
    envelope = sign_manifest(manifest(), KEY)
    for i in range(len(envelope)):
        bad = bytearray(envelope)
        bad[i] ^= 0x01
        with pytest.raises(
            (SignatureError, MalformedManifestError, UnknownKeyError, UnsupportedFormatError)
        ):
            open_manifest(bytes(bad), TRUSTED)


def test_truncated_envelope_is_malformed() -> None:
    envelope = sign_manifest(manifest(), KEY)
    for cut in (0, 1, len(envelope) // 2, len(envelope) - 1):
        with pytest.raises(MalformedManifestError):
            open_manifest(envelope[:cut], TRUSTED)


def test_unknown_key_is_refused() -> None:
    with pytest.raises(UnknownKeyError) as info:
        open_manifest(sign_manifest(manifest(key_id=OTHER.key_id), OTHER), TRUSTED)
    assert info.value.key_id == OTHER.key_id


def test_signature_by_another_key_under_a_trusted_id_is_refused() -> None:
    body = encode_manifest(manifest())
    envelope = msgpack.packb(
        {
            "format": 1,
            "key_id": KEY.key_id,
            "manifest": body,
            "signature": OTHER.sign(_DOMAIN + body),
        }
    )
    with pytest.raises(SignatureError):
        open_manifest(envelope, TRUSTED)


def test_signature_without_domain_prefix_is_refused() -> None:
    body = encode_manifest(manifest())
    envelope = msgpack.packb(
        {"format": 1, "key_id": KEY.key_id, "manifest": body, "signature": KEY.sign(body)}
    )
    with pytest.raises(SignatureError):
        open_manifest(envelope, TRUSTED)


def signed_body(body: object) -> bytes:
    raw = msgpack.packb(body)
    return msgpack.packb(
        {"format": 1, "key_id": KEY.key_id, "manifest": raw, "signature": KEY.sign(_DOMAIN + raw)}
    )


def good_body() -> dict[str, object]:
    return dict(msgpack.unpackb(encode_manifest(manifest())))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"customer_id": ""}, "customer_id"),
        ({"created_ms": -1}, "created_ms"),
        ({"expires_ms": 1.5}, "expires_ms"),
        ({"partitions": []}, "roles"),
        ({"partitions": [{"role": "catalog", "id": "catalog", "from": 0, "to": 1}] * 2}, "roles"),
        ({"partitions": [{"role": "x", "id": "catalog", "from": 0, "to": 1}]}, "unknown role"),
        ({"chunks": [{"table": "orders", "rows": 1, "length": 1, "sha256": b"x" * 32}]}, "table"),
        ({"chunks": [{"table": "prices", "rows": 1, "length": 1, "sha256": b"x"}]}, "sha256"),
        ({"chunks": [{"table": "prices", "rows": 1, "length": 0, "sha256": b"x" * 32}]}, "bounds"),
        ({"extra": 1}, "exactly"),
    ],
)
def test_mistyped_manifest_fields_are_malformed(change: dict[str, object], message: str) -> None:
    body = good_body()
    body.update(change)
    with pytest.raises(MalformedManifestError, match=message):
        open_manifest(signed_body(body), TRUSTED)


def test_backwards_partition_and_chunk_for_unchanged_role_are_malformed() -> None:
    backwards = manifest(
        partitions=(PartitionRange("catalog", "catalog", 5, 4), PartitionRange("prices", "p", 0, 1))
    )
    with pytest.raises(MalformedManifestError, match="backwards"):
        open_manifest(sign_manifest(backwards, KEY), TRUSTED)
    unchanged = manifest(
        partitions=(PartitionRange("catalog", "catalog", 5, 5), PartitionRange("prices", "p", 0, 1))
    )
    with pytest.raises(MalformedManifestError, match="no change"):
        open_manifest(sign_manifest(unchanged, KEY), TRUSTED)


def test_unknown_formats() -> None:
    body = good_body()
    body["format"] = 9
    with pytest.raises(UnsupportedFormatError):
        open_manifest(signed_body(body), TRUSTED)
    envelope = dict(msgpack.unpackb(sign_manifest(manifest(), KEY)))
    envelope["format"] = 2
    with pytest.raises(UnsupportedFormatError):
        open_manifest(msgpack.packb(envelope), TRUSTED)


def test_oversized_envelope_is_refused_before_parsing() -> None:
    with pytest.raises(MalformedManifestError, match="limit"):
        open_manifest(b"\x00" * (4 * 1024 * 1024 + 1), TRUSTED)


def test_manifest_naming_another_key_than_its_signer() -> None:
    trusted = TrustedKeys([KEY.public_key, OTHER.public_key])
    body = encode_manifest(manifest(key_id=OTHER.key_id))
    envelope = msgpack.packb(
        {"format": 1, "key_id": KEY.key_id, "manifest": body, "signature": KEY.sign(_DOMAIN + body)}
    )
    with pytest.raises(SignatureError, match="names key"):
        open_manifest(envelope, trusted)


def test_secrets_stay_out_of_reprs() -> None:
    assert KEY.seed().hex() not in repr(KEY)
    assert SigningKey.from_seed(KEY.seed()).public_key == KEY.public_key
    with pytest.raises(ValueError, match="32 bytes"):
        SigningKey.from_seed(b"short")
    with pytest.raises(ValueError, match="manifest names key"):
        sign_manifest(manifest(key_id=OTHER.key_id), KEY)
