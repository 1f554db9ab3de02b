"""Canonical msgpack encoding and bounded decoding of untrusted bytes."""

from __future__ import annotations

from typing import Any

import msgpack

from pocketsync.errors import BundleError

__all__ = ["canonical", "pack", "unpack_untrusted"]


def canonical(value: Any) -> Any:
    """Return ``value`` with every dict's keys sorted, so equal values pack to equal bytes."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def pack(value: Any) -> bytes:
    """msgpack with the bin type for bytes (never raw strings), canonical key order."""
    return msgpack.packb(canonical(value), use_bin_type=True)


def unpack_untrusted(
    data: bytes,
    *,
    what: str,
    error: type[BundleError],
    max_str_len: int,
    max_bin_len: int,
    max_array_len: int,
    max_map_len: int = 16,
) -> Any:
    """Decode ``data`` from an untrusted peer under explicit limits.

    Trailing bytes, ext types, non-string map keys, lengths over the limits and nesting
    beyond msgpack's stack all raise ``error`` with a message naming ``what``.
    """
    try:
        return msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            max_str_len=max_str_len,
            max_bin_len=max_bin_len,
            max_array_len=max_array_len,
            max_map_len=max_map_len,
            max_ext_len=0,
        )
    except (ValueError, TypeError, OverflowError, msgpack.UnpackException) as exc:
        raise error(f"{what} is not valid msgpack: {exc}") from exc
