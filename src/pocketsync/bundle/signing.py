"""Ed25519 signing of manifests, and the pinned key set a client trusts.

The signature covers a domain-separation prefix plus the canonical manifest bytes, so a
signing key can never be used to produce something that verifies as another message.
Randomness is the caller's: :meth:`SigningKey.from_seed` takes 32 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from pocketsync.bundle._wire import pack, unpack_untrusted
from pocketsync.bundle.errors import (
    MalformedManifestError,
    SignatureError,
    UnknownKeyError,
    UnsupportedFormatError,
)
from pocketsync.bundle.limits import DEFAULT_LIMITS, Limits
from pocketsync.bundle.manifest import Manifest, decode_manifest, encode_manifest

__all__ = ["SigningKey", "TrustedKeys", "key_id_for", "open_manifest", "sign_manifest"]

_DOMAIN = b"pocketsync/manifest/v1\x00"
ENVELOPE_FORMAT = 1


def key_id_for(public_key: bytes) -> str:
    """The key id a manifest names: hex of the first 8 bytes of SHA-256(raw public key)."""
    return hashlib.sha256(public_key).digest()[:8].hex()


class SigningKey:
    """The server's Ed25519 bundle-signing key. Its repr never shows the secret."""

    __slots__ = ("_key", "_public")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self._public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key for a 32-byte seed (from the caller's random source or a key file).

        Raises:
            ValueError: ``seed`` is not 32 bytes.
        """
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def seed(self) -> bytes:
        """The 32-byte private seed, for writing to a key file (never log it)."""
        return self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    @property
    def public_key(self) -> bytes:
        """The 32-byte raw public key that apps pin."""
        return self._public

    @property
    def key_id(self) -> str:
        return key_id_for(self._public)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r})"


class TrustedKeys:
    """The public keys a client accepts manifests from, by key id."""

    __slots__ = ("_keys",)

    def __init__(self, public_keys: Iterable[bytes]) -> None:
        keys: dict[str, Ed25519PublicKey] = {}
        for raw in public_keys:
            if len(raw) != 32:
                raise ValueError("an Ed25519 public key is 32 bytes")
            keys[key_id_for(raw)] = Ed25519PublicKey.from_public_bytes(raw)
        if not keys:
            raise ValueError("at least one trusted public key is required")
        self._keys = keys

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def verify(self, key_id: str, signature: bytes, message: bytes) -> None:
        """Check ``signature`` over ``message`` by the key ``key_id``.

        Raises:
            UnknownKeyError: ``key_id`` is not pinned.
            SignatureError: the signature does not verify.
        """
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKeyError(key_id)
        try:
            key.verify(signature, message)
        except InvalidSignature as exc:
            raise SignatureError(f"manifest signature does not verify with key {key_id}") from exc

    def __repr__(self) -> str:
        return f"TrustedKeys({sorted(self._keys)})"


def sign_manifest(manifest: Manifest, key: SigningKey) -> bytes:
    """The signed envelope for ``manifest`` (the bytes the server sends).

    Raises:
        ValueError: ``manifest.key_id`` is not ``key``'s id.
    """
    if manifest.key_id != key.key_id:
        raise ValueError(f"manifest names key {manifest.key_id}, signing key is {key.key_id}")
    body = encode_manifest(manifest)
    signature = key.sign(_DOMAIN + body)
    return pack(
        {"format": ENVELOPE_FORMAT, "key_id": key.key_id, "manifest": body, "signature": signature}
    )


def open_manifest(
    envelope: bytes, trusted: TrustedKeys, limits: Limits = DEFAULT_LIMITS
) -> Manifest:
    """Check the envelope's signature with the pinned keys, then parse the manifest.

    Nothing inside the manifest is parsed before its signature verified.

    Raises:
        MalformedManifestError: too large, not msgpack, or fields missing or mistyped.
        UnsupportedFormatError: an envelope or manifest format other than 1.
        UnknownKeyError: signed by a key that is not pinned.
        SignatureError: the signature does not verify, or the manifest names another key.
    """
    if len(envelope) > limits.max_envelope_bytes:
        raise MalformedManifestError(
            f"manifest envelope is {len(envelope)} bytes, limit {limits.max_envelope_bytes}"
        )
    outer: Any = unpack_untrusted(
        envelope,
        what="manifest envelope",
        error=MalformedManifestError,
        max_str_len=64,
        max_bin_len=limits.max_envelope_bytes,
        max_array_len=0,
    )
    if not isinstance(outer, dict) or set(outer) != {"format", "key_id", "manifest", "signature"}:
        raise MalformedManifestError(
            "envelope must be a map with format, key_id, manifest, signature"
        )
    if outer["format"] != ENVELOPE_FORMAT:
        raise UnsupportedFormatError(f"envelope format {outer['format']!r} is not supported")
    key_id, body, signature = outer["key_id"], outer["manifest"], outer["signature"]
    if type(key_id) is not str or type(body) is not bytes or type(signature) is not bytes:
        raise MalformedManifestError("envelope fields have the wrong types")
    trusted.verify(key_id, signature, _DOMAIN + body)
    manifest = decode_manifest(body, limits)
    if manifest.key_id != key_id:
        raise SignatureError(
            f"manifest names key {manifest.key_id}, envelope was signed by {key_id}"
        )
    return manifest
