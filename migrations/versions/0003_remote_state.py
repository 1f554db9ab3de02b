"""Remote state: cart, favourites and settings (issue 3).

Revision ID: 0003_remote_state
Revises: 0002_accounts

Creates exactly the tables of ``pocketsync.remote.server_schema``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_remote_state"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remote_owners",
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("hlc_wall", sa.BigInteger(), nullable=False),
        sa.Column("hlc_counter", sa.Integer(), nullable=False),
        sa.Column("collected", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name="pk_remote_owners"),
    )
    op.create_table(
        "remote_clients",
        sa.Column("client_id", sa.LargeBinary(16), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("floor", sa.BigInteger(), nullable=False),
        sa.Column("last_contact_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["remote_owners.owner"],
            name="fk_remote_clients_owner_remote_owners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name="pk_remote_clients"),
    )
    op.create_index("ix_remote_clients_owner", "remote_clients", ["owner"])
    op.create_table(
        "remote_entities",
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("k1", sa.String(64), nullable=False),
        sa.Column("k2", sa.String(16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["remote_owners.owner"],
            name="fk_remote_entities_owner_remote_owners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner", "kind", "k1", "k2", name="pk_remote_entities"),
    )
    op.create_index("ix_remote_entities_owner_version", "remote_entities", ["owner", "version"])
    op.create_table(
        "remote_op_results",
        sa.Column("client_id", sa.LargeBinary(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("code", sa.String(40), nullable=True),
        sa.Column("detail", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["remote_clients.client_id"],
            name="fk_remote_op_results_client_id_remote_clients",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", "seq", name="pk_remote_op_results"),
    )


def downgrade() -> None:
    op.drop_table("remote_op_results")
    op.drop_index("ix_remote_entities_owner_version", table_name="remote_entities")
    op.drop_table("remote_entities")
    op.drop_index("ix_remote_clients_owner", table_name="remote_clients")
    op.drop_table("remote_clients")
    op.drop_table("remote_owners")
