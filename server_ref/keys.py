"""The bundle-signing key file: 64 hex characters (the Ed25519 seed), mode 0600."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from pocketsync.bundle import SigningKey
from pocketsync.errors import ConfigurationError

__all__ = ["load_signing_key", "write_signing_key"]


def write_signing_key(path: Path, *, overwrite: bool = False) -> SigningKey:
    """Create a new key and write it to ``path`` (mode 0600, never world-readable).

    Raises:
        ConfigurationError: ``path`` exists and ``overwrite`` is false.
    """
    key = SigningKey.from_seed(secrets.token_bytes(32))
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise ConfigurationError(
            f"{path} already exists; pass --force to replace it (apps pinned to the old key "
            "will refuse manifests signed by the new one)"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(key.seed().hex() + "\n")
    return key


def load_signing_key(path: Path) -> SigningKey:
    """Read the key written by :func:`write_signing_key`.

    Raises:
        ConfigurationError: missing, readable by others, or not 64 hex characters.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigurationError(
            f"signing key file {path} not found; create it with `pocketsync-server keygen`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read signing key file {path}: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"signing key file {path} is accessible to others; chmod 600 it")
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise ConfigurationError(f"signing key file {path} does not hold a 32-byte hex seed")
    return SigningKey.from_seed(seed)
