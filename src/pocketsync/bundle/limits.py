"""Hard limits applied while decoding untrusted bundle bytes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits"]

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds on what a decoder accepts.

    They bound memory by chunk size, whatever a peer claims: a chunk is refused before
    decompression if its compressed size or declared content size is over the limit.
    """

    max_envelope_bytes: int = 4 * MiB
    max_chunk_bytes: int = 32 * MiB
    max_chunk_content_bytes: int = 64 * MiB
    max_window_bytes: int = 8 * MiB
    max_rows_per_chunk: int = 1_000_000


DEFAULT_LIMITS = Limits()
