"""The manifest: what a bundle contains and whom it is for, as canonical msgpack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pocketsync.bundle._wire import pack, unpack_untrusted
from pocketsync.bundle.chunk import ChunkRef
from pocketsync.bundle.errors import MalformedManifestError, UnsupportedFormatError
from pocketsync.bundle.limits import Limits
from pocketsync.bundle.tables import ROLES, TABLES

__all__ = ["MANIFEST_FORMAT", "Manifest", "PartitionRange", "decode_manifest", "encode_manifest"]

MANIFEST_FORMAT = 1
_MAX_ID_LEN = 256
_MAX_VERSION = 2**63 - 1


@dataclass(frozen=True, slots=True)
class PartitionRange:
    """One role's move: partition ``partition_id`` from ``from_version`` to ``to_version``.

    ``from_version == 0`` means a reset: the role's tables are replaced by the chunks.
    """

    role: str
    partition_id: str
    from_version: int
    to_version: int

    @property
    def is_reset(self) -> bool:
        return self.from_version == 0


@dataclass(frozen=True, slots=True)
class Manifest:
    """A bundle's signed description; see docs/bundle-format.md."""

    key_id: str
    customer_id: str
    created_ms: int
    expires_ms: int
    partitions: tuple[PartitionRange, ...]
    chunks: tuple[ChunkRef, ...]

    def partition(self, role: str) -> PartitionRange:
        """The range for ``role``; every valid manifest has exactly one per role."""
        for p in self.partitions:
            if p.role == role:
                return p
        raise KeyError(role)


def encode_manifest(manifest: Manifest) -> bytes:
    """Canonical msgpack bytes of ``manifest`` (the bytes that get signed)."""
    return pack(
        {
            "format": MANIFEST_FORMAT,
            "key_id": manifest.key_id,
            "customer_id": manifest.customer_id,
            "created_ms": manifest.created_ms,
            "expires_ms": manifest.expires_ms,
            "partitions": [
                {"role": p.role, "id": p.partition_id, "from": p.from_version, "to": p.to_version}
                for p in manifest.partitions
            ],
            "chunks": [
                {"table": c.table, "rows": c.rows, "length": c.length, "sha256": c.sha256}
                for c in manifest.chunks
            ],
        }
    )


def decode_manifest(data: bytes, limits: Limits) -> Manifest:
    """Parse and validate manifest bytes (after the signature over them was checked).

    Raises:
        MalformedManifestError: not msgpack, a missing, extra or mistyped field, a role
            missing or repeated, a chunk for an unknown table or a role that has no change.
        UnsupportedFormatError: a manifest format other than 1.
    """
    body = unpack_untrusted(
        data,
        what="manifest",
        error=MalformedManifestError,
        max_str_len=_MAX_ID_LEN,
        max_bin_len=32,
        max_array_len=limits.max_envelope_bytes // 32,
    )
    fields = {"format", "key_id", "customer_id", "created_ms", "expires_ms", "partitions", "chunks"}
    if not isinstance(body, dict) or set(body) != fields:
        raise MalformedManifestError(f"manifest must be a map with exactly {sorted(fields)}")
    if body["format"] != MANIFEST_FORMAT:
        raise UnsupportedFormatError(f"manifest format {body['format']!r} is not supported")
    manifest = Manifest(
        key_id=_str(body["key_id"], "key_id"),
        customer_id=_str(body["customer_id"], "customer_id"),
        created_ms=_int(body["created_ms"], "created_ms"),
        expires_ms=_int(body["expires_ms"], "expires_ms"),
        partitions=tuple(_partition(p) for p in _list(body["partitions"], "partitions")),
        chunks=tuple(_chunk(c, limits) for c in _list(body["chunks"], "chunks")),
    )
    _check_roles(manifest)
    return manifest


def _check_roles(manifest: Manifest) -> None:
    roles = [p.role for p in manifest.partitions]
    if sorted(roles) != sorted(ROLES):
        raise MalformedManifestError(
            f"manifest must name each of the roles {list(ROLES)} once, got {roles}"
        )
    for p in manifest.partitions:
        if p.from_version > p.to_version:
            raise MalformedManifestError(
                f"role {p.role!r} goes backwards ({p.from_version} → {p.to_version})"
            )
    unchanged = {
        p.role for p in manifest.partitions if not p.is_reset and p.from_version == p.to_version
    }
    for c in manifest.chunks:
        if TABLES[c.table].role in unchanged:
            raise MalformedManifestError(f"chunk for table {c.table!r} whose role has no change")


def _partition(value: Any) -> PartitionRange:
    if not isinstance(value, dict) or set(value) != {"role", "id", "from", "to"}:
        raise MalformedManifestError("a partition must be a map with role, id, from and to")
    role = _str(value["role"], "partition role")
    if role not in ROLES:
        raise MalformedManifestError(f"unknown role {role!r}")
    return PartitionRange(
        role,
        _str(value["id"], "partition id"),
        _int(value["from"], "from"),
        _int(value["to"], "to"),
    )


def _chunk(value: Any, limits: Limits) -> ChunkRef:
    if not isinstance(value, dict) or set(value) != {"table", "rows", "length", "sha256"}:
        raise MalformedManifestError(
            "a chunk entry must be a map with table, rows, length and sha256"
        )
    table = _str(value["table"], "chunk table")
    if table not in TABLES:
        raise MalformedManifestError(f"chunk for unknown table {table!r}")
    rows, length = _int(value["rows"], "chunk rows"), _int(value["length"], "chunk length")
    if rows > limits.max_rows_per_chunk or not 0 < length <= limits.max_chunk_bytes:
        raise MalformedManifestError(f"chunk of {rows} rows and {length} bytes is out of bounds")
    digest = value["sha256"]
    if type(digest) is not bytes or len(digest) != 32:
        raise MalformedManifestError("chunk sha256 must be 32 bytes")
    return ChunkRef(table, rows, length, digest)


def _str(value: Any, name: str) -> str:
    if type(value) is not str or not value:
        raise MalformedManifestError(f"{name} must be a non-empty string")
    return value


def _int(value: Any, name: str) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_VERSION:
        raise MalformedManifestError(f"{name} must be a non-negative 64-bit integer")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedManifestError(f"{name} must be a list")
    return value
