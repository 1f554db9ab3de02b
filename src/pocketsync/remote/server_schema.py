"""Server tables of the remote-state concern (prefix ``remote_``), on the shared metadata.

``remote_owners`` holds one row per account: its version counter (the pull cookie), its HLC
and how far tombstones have been collected; pushes lock this row, so pushes for one owner
run one at a time. ``remote_entities`` holds one row per cart line, favourite and setting,
with the merge metadata as msgpack in ``body``. ``remote_clients`` holds each client's
high-water mark and collection floor; ``remote_op_results`` the answers to non-plain results
of recent pushes, so a retried push gets the original answers.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from pocketsync.serverdb.metadata import metadata

__all__ = ["remote_clients", "remote_entities", "remote_op_results", "remote_owners"]

OWNER_LEN = 128

remote_owners = Table(
    "remote_owners",
    metadata,
    Column("owner", String(OWNER_LEN), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("hlc_wall", BigInteger, nullable=False),
    Column("hlc_counter", Integer, nullable=False),
    Column("collected", BigInteger, nullable=False),
)

remote_clients = Table(
    "remote_clients",
    metadata,
    Column("client_id", LargeBinary(16), primary_key=True),
    Column(
        "owner",
        String(OWNER_LEN),
        ForeignKey("remote_owners.owner", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("last_seq", BigInteger, nullable=False),
    Column("floor", BigInteger, nullable=False),
    Column("last_contact_ms", BigInteger, nullable=False),
)

remote_entities = Table(
    "remote_entities",
    metadata,
    Column(
        "owner",
        String(OWNER_LEN),
        ForeignKey("remote_owners.owner", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(4), primary_key=True),
    Column("k1", String(64), primary_key=True),
    Column("k2", String(16), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("present", Boolean, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Index("ix_remote_entities_owner_version", "owner", "version"),
)

remote_op_results = Table(
    "remote_op_results",
    metadata,
    Column(
        "client_id",
        LargeBinary(16),
        ForeignKey("remote_clients.client_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", BigInteger, primary_key=True),
    Column("status", String(24), nullable=False),
    Column("code", String(40), nullable=True),
    Column("detail", LargeBinary, nullable=False),
)
