"""Why a bundle, manifest or chunk was rejected.

Every class here derives from :class:`pocketsync.errors.BundleError`. When one is raised
during an apply, the local store is exactly as it was before.
"""

from __future__ import annotations

from pocketsync.errors import BundleError

__all__ = [
    "ChunkHashError",
    "ChunkLengthError",
    "ChunkTooLargeError",
    "ExpiredManifestError",
    "MalformedChunkError",
    "MalformedManifestError",
    "RollbackError",
    "SignatureError",
    "UnknownKeyError",
    "UnsupportedFormatError",
    "VersionGapError",
    "WrongCustomerError",
]


class MalformedManifestError(BundleError):
    """The manifest or its envelope is not well-formed (bad msgpack, missing or mistyped field)."""

    code = "malformed_manifest"


class UnsupportedFormatError(BundleError):
    """The envelope, manifest or chunk declares a format version this code does not know."""

    code = "unsupported_format"


class UnknownKeyError(BundleError):
    """The manifest was signed with a key id that is not pinned on this client."""

    code = "unknown_key"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"manifest signed with unknown key id {key_id!r}")
        self.key_id = key_id


class SignatureError(BundleError):
    """The manifest's Ed25519 signature does not verify with the named key."""

    code = "bad_signature"


class WrongCustomerError(BundleError):
    """The manifest is bound to another customer than the one logged in."""

    code = "wrong_customer"


class ExpiredManifestError(BundleError):
    """The manifest's expiry time has passed (freeze protection)."""

    code = "manifest_expired"

    def __init__(self, expires_ms: int, now_ms: int) -> None:
        super().__init__(f"manifest expired at {expires_ms} ms UTC; it is now {now_ms} ms UTC")
        self.expires_ms = expires_ms
        self.now_ms = now_ms


class RollbackError(BundleError):
    """The manifest would move a partition back below a version this device already applied."""

    code = "rollback"

    def __init__(self, partition_id: str, target: int, floor: int) -> None:
        super().__init__(
            f"partition {partition_id!r}: manifest targets version {target}, "
            f"but version {floor} was already applied on this device"
        )
        self.partition_id = partition_id
        self.target = target
        self.floor = floor


class VersionGapError(BundleError):
    """A delta does not start where the local copy is (out of order or for another state)."""

    code = "version_gap"

    def __init__(self, role: str, expected: str, got: str) -> None:
        super().__init__(f"role {role!r}: local copy is at {expected}, delta starts at {got}")
        self.role = role
        self.expected = expected
        self.got = got


class ChunkLengthError(BundleError):
    """A chunk's byte length differs from the length the signed manifest declares."""

    code = "chunk_length_mismatch"


class ChunkHashError(BundleError):
    """A chunk's SHA-256 differs from the hash the signed manifest declares."""

    code = "chunk_hash_mismatch"


class ChunkTooLargeError(BundleError):
    """A chunk would decompress beyond the hard limits (or does not declare its size)."""

    code = "chunk_too_large"


class MalformedChunkError(BundleError):
    """A chunk decompressed but its content is not a valid v1 chunk for the declared table."""

    code = "malformed_chunk"
