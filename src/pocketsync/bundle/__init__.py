"""Bundle format v1: signed manifests and compressed columnar chunks (pure, no I/O).

See docs/bundle-format.md. The server encodes chunks and signs a manifest; the client
opens the manifest with its pinned keys, plans the apply against its cursors and
rollback floor, and decodes each chunk only after its length and hash matched.
"""

from pocketsync.bundle.chunk import (
    ChunkData,
    ChunkRef,
    decode_chunk,
    encode_chunk,
    verify_chunk_bytes,
)
from pocketsync.bundle.errors import (
    ChunkHashError,
    ChunkLengthError,
    ChunkTooLargeError,
    ExpiredManifestError,
    MalformedChunkError,
    MalformedManifestError,
    RollbackError,
    SignatureError,
    UnknownKeyError,
    UnsupportedFormatError,
    VersionGapError,
    WrongCustomerError,
)
from pocketsync.bundle.limits import DEFAULT_LIMITS, Limits
from pocketsync.bundle.manifest import Manifest, PartitionRange, decode_manifest, encode_manifest
from pocketsync.bundle.plan import ApplyPlan, RoleAction, RoleCursor, plan_apply
from pocketsync.bundle.signing import (
    SigningKey,
    TrustedKeys,
    key_id_for,
    open_manifest,
    sign_manifest,
)
from pocketsync.bundle.tables import ROLES, TABLES, Column, TableSpec, tables_of_role

__all__ = [
    "DEFAULT_LIMITS",
    "ROLES",
    "TABLES",
    "ApplyPlan",
    "ChunkData",
    "ChunkHashError",
    "ChunkLengthError",
    "ChunkRef",
    "ChunkTooLargeError",
    "Column",
    "ExpiredManifestError",
    "Limits",
    "MalformedChunkError",
    "MalformedManifestError",
    "Manifest",
    "PartitionRange",
    "RoleAction",
    "RoleCursor",
    "RollbackError",
    "SignatureError",
    "SigningKey",
    "TableSpec",
    "TrustedKeys",
    "UnknownKeyError",
    "UnsupportedFormatError",
    "VersionGapError",
    "WrongCustomerError",
    "decode_chunk",
    "decode_manifest",
    "encode_chunk",
    "encode_manifest",
    "key_id_for",
    "open_manifest",
    "plan_apply",
    "sign_manifest",
    "tables_of_role",
    "verify_chunk_bytes",
]
