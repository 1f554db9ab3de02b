"""Accounts: customers, users, administrators, sessions, devices, reset links, throttle, audit.

Creates exactly the tables of ``pocketsync.accounts.schema`` (a test compares them), with
the constraint names the shared naming convention gives them.

Revision ID: 0002_accounts
Revises: 0001_catalog
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_accounts"
down_revision = "0001_catalog"
branch_labels = None
depends_on = None


def _ms(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "account_customers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("account_number", sa.String(64), nullable=False),
        sa.Column("price_list_id", sa.String(64), nullable=False),
        sa.Column("account_type", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ms("created_ms"),
        _ms("updated_ms"),
        _ms("deleted_ms", nullable=True),
        sa.CheckConstraint(
            "account_type IN ('b2b', 'b2c')", name="ck_account_customers_account_type"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_customers"),
        sa.UniqueConstraint("account_number", name="uq_account_customers_account_number"),
    )
    op.create_table(
        "account_users",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("login", sa.String(254), nullable=False),
        sa.Column("login_key", sa.String(300), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("credential_epoch", sa.Integer(), nullable=False),
        _ms("created_ms"),
        _ms("updated_ms"),
        _ms("deleted_ms", nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["account_customers.id"],
            name="fk_account_users_customer_id_account_customers",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_users"),
        sa.UniqueConstraint("login_key", name="uq_account_users_login_key"),
    )
    op.create_index("ix_account_users_customer_id", "account_users", ["customer_id"])
    op.create_table(
        "account_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("device_id", sa.String(200), nullable=False),
        sa.Column("access_hash", sa.String(64), nullable=False),
        sa.Column("refresh_hash", sa.String(64), nullable=False),
        sa.Column("credential_epoch", sa.Integer(), nullable=False),
        _ms("created_ms"),
        _ms("last_used_ms"),
        _ms("access_expires_ms"),
        _ms("refresh_expires_ms"),
        _ms("ended_ms", nullable=True),
        sa.Column("end_reason", sa.String(32), nullable=True),
        sa.CheckConstraint("channel IN ('web', 'app')", name="ck_account_sessions_channel"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["account_users.id"], name="fk_account_sessions_user_id_account_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_sessions"),
        sa.UniqueConstraint("access_hash", name="uq_account_sessions_access_hash"),
        sa.UniqueConstraint("refresh_hash", name="uq_account_sessions_refresh_hash"),
    )
    op.create_index("ix_account_sessions_user_id", "account_sessions", ["user_id"])
    op.create_table(
        "account_devices",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("device_id", sa.String(200), nullable=False),
        _ms("first_seen_ms"),
        _ms("last_seen_ms"),
        _ms("wipe_requested_ms", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["account_users.id"], name="fk_account_devices_user_id_account_users"
        ),
        sa.PrimaryKeyConstraint("user_id", "channel", "device_id", name="pk_account_devices"),
    )
    op.create_index("ix_account_devices_device_id", "account_devices", ["device_id"])
    op.create_table(
        "account_reset_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(8), nullable=False),
        sa.Column("credential_epoch", sa.Integer(), nullable=False),
        _ms("created_ms"),
        _ms("expires_ms"),
        _ms("used_ms", nullable=True),
        sa.CheckConstraint(
            "purpose IN ('reset', 'invite')", name="ck_account_reset_tokens_purpose"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["account_users.id"], name="fk_account_reset_tokens_user_id_account_users"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_account_reset_tokens"),
    )
    op.create_index("ix_account_reset_tokens_user_id", "account_reset_tokens", ["user_id"])
    op.create_table(
        "account_throttle",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        _ms("last_failure_ms"),
        _ms("window_start_ms"),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_account_throttle"),
    )
    op.create_table(
        "account_admins",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("login", sa.String(254), nullable=False),
        sa.Column("login_key", sa.String(300), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("credential_epoch", sa.Integer(), nullable=False),
        _ms("created_ms"),
        _ms("updated_ms"),
        sa.PrimaryKeyConstraint("id", name="pk_account_admins"),
        sa.UniqueConstraint("login_key", name="uq_account_admins_login_key"),
    )
    op.create_table(
        "account_admin_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("admin_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("credential_epoch", sa.Integer(), nullable=False),
        _ms("created_ms"),
        _ms("expires_ms"),
        _ms("ended_ms", nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_id"],
            ["account_admins.id"],
            name="fk_account_admin_sessions_admin_id_account_admins",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_admin_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_account_admin_sessions_token_hash"),
    )
    op.create_index("ix_account_admin_sessions_admin_id", "account_admin_sessions", ["admin_id"])
    op.create_table(
        "account_audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        _ms("at_ms"),
        sa.Column("actor_kind", sa.String(8), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_account_audit_log"),
    )
    op.create_index("ix_account_audit_log_target_id", "account_audit_log", ["target_id"])


def downgrade() -> None:
    for index, table in (
        ("ix_account_audit_log_target_id", "account_audit_log"),
        ("ix_account_admin_sessions_admin_id", "account_admin_sessions"),
        ("ix_account_reset_tokens_user_id", "account_reset_tokens"),
        ("ix_account_devices_device_id", "account_devices"),
        ("ix_account_sessions_user_id", "account_sessions"),
        ("ix_account_users_customer_id", "account_users"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "account_audit_log",
        "account_admin_sessions",
        "account_admins",
        "account_throttle",
        "account_reset_tokens",
        "account_devices",
        "account_sessions",
        "account_users",
        "account_customers",
    ):
        op.drop_table(table)
