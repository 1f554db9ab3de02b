"""Helpers for catalog tests: a signing key, decoding bundles, applying them to a view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pocketsync.bundle import (
    TABLES,
    ChunkData,
    Manifest,
    RoleCursor,
    SigningKey,
    TrustedKeys,
    decode_chunk,
    open_manifest,
)
from pocketsync.catalog import CatalogServer

KEY = SigningKey.from_seed(bytes(range(32)))
TRUSTED = TrustedKeys([KEY.public_key])

View = dict[str, set[tuple[Any, ...]]]


def open_bundle(server: CatalogServer, envelope: bytes) -> tuple[Manifest, list[ChunkData]]:
    """Verify the envelope and fetch and decode every chunk it names."""
    manifest = open_manifest(envelope, TRUSTED)
    chunks = []
    for ref in manifest.chunks:
        data = server.chunk(ref.address)
        assert data is not None, f"chunk {ref.address} is not served"
        chunks.append(decode_chunk(data, ref))
    return manifest, chunks


def apply_bundle(
    view: Mapping[str, set[tuple[Any, ...]]], manifest: Manifest, chunks: list[ChunkData]
) -> View:
    """What a client holding ``view`` holds after applying the bundle (resets included)."""
    by_key: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = {}
    for table, spec in TABLES.items():
        reset = manifest.partition(spec.role).is_reset
        rows = set() if reset else view.get(table, set())
        by_key[table] = {tuple(r[i] for i in spec.key_indexes): r for r in rows}
    for chunk in chunks:
        rows_by_key = by_key[chunk.table]
        for key in chunk.delete_keys():
            rows_by_key.pop(key, None)
        spec = TABLES[chunk.table]
        for row in chunk.upsert_rows():
            rows_by_key[tuple(row[i] for i in spec.key_indexes)] = row
    return {table: set(rows.values()) for table, rows in by_key.items()}


def cursors_of(manifest: Manifest) -> dict[str, RoleCursor]:
    """The client's cursors after applying ``manifest``."""
    return {p.role: RoleCursor(p.partition_id, p.to_version) for p in manifest.partitions}


def sync(
    server: CatalogServer,
    view: View,
    cursors: dict[str, RoleCursor] | None,
    price_list: str,
    customer: str = "cus_1",
) -> tuple[View, dict[str, RoleCursor], Manifest]:
    """One client sync: manifest, chunks, apply. Returns the new view, cursors, manifest."""
    manifest, chunks = open_bundle(server, server.manifest_for(customer, price_list, cursors))
    return apply_bundle(view, manifest, chunks), cursors_of(manifest), manifest
