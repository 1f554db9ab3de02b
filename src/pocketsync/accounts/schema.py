"""Account tables on :data:`pocketsync.serverdb.metadata` (SQLAlchemy Core).

Deleted users and customers stay as scrubbed tombstones (no login, e-mail, name or
hash) so that their sessions can still be matched to a token and the device told to
wipe; ``login_key`` of a tombstone is ``deleted:<id>`` so the name can be reused.
Tokens and reset codes appear only as SHA-256 hex digests. Times are UTC ms.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from pocketsync.serverdb.metadata import metadata

__all__ = [
    "account_admin_sessions",
    "account_admins",
    "account_audit_log",
    "account_customers",
    "account_devices",
    "account_reset_tokens",
    "account_sessions",
    "account_throttle",
    "account_users",
]

account_customers = Table(
    "account_customers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("company_name", String(200), nullable=False),
    Column("account_number", String(64), nullable=False, unique=True),
    # The catalog owns price lists; no foreign key across concerns.
    Column("price_list_id", String(64), nullable=False),
    Column("account_type", String(8), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("deleted_ms", BigInteger, nullable=True),
    CheckConstraint("account_type IN ('b2b', 'b2c')", name="account_type"),
)

account_users = Table(
    "account_users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("customer_id", String(64), ForeignKey("account_customers.id"), nullable=False),
    Column("login", String(254), nullable=False),
    # NFKC + casefold of ``login``: logins are unique regardless of case.
    Column("login_key", String(300), nullable=False, unique=True),
    Column("email", String(254), nullable=True),
    Column("display_name", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("must_change_password", Boolean, nullable=False),
    # Bumped by every password change or reset; sessions carry the value they began with.
    Column("credential_epoch", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("deleted_ms", BigInteger, nullable=True),
    Index("ix_account_users_customer_id", "customer_id"),
)

account_sessions = Table(
    "account_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(64), ForeignKey("account_users.id"), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("device_id", String(200), nullable=False),
    Column("access_hash", String(64), nullable=False, unique=True),
    Column("refresh_hash", String(64), nullable=False, unique=True),
    Column("credential_epoch", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_used_ms", BigInteger, nullable=False),
    Column("access_expires_ms", BigInteger, nullable=False),
    Column("refresh_expires_ms", BigInteger, nullable=False),
    Column("ended_ms", BigInteger, nullable=True),
    Column("end_reason", String(32), nullable=True),
    CheckConstraint("channel IN ('web', 'app')", name="channel"),
    Index("ix_account_sessions_user_id", "user_id"),
)

account_devices = Table(
    "account_devices",
    metadata,
    Column("user_id", String(64), ForeignKey("account_users.id"), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("device_id", String(200), primary_key=True),
    Column("first_seen_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False),
    # Set when the account is deleted: the device's next contact is told to wipe.
    Column("wipe_requested_ms", BigInteger, nullable=True),
    Index("ix_account_devices_device_id", "device_id"),
)

account_reset_tokens = Table(
    "account_reset_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(64), ForeignKey("account_users.id"), nullable=False),
    Column("purpose", String(8), nullable=False),
    # The user's epoch at issue: any later password change voids the link.
    Column("credential_epoch", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("used_ms", BigInteger, nullable=True),
    CheckConstraint("purpose IN ('reset', 'invite')", name="purpose"),
    Index("ix_account_reset_tokens_user_id", "user_id"),
)

account_throttle = Table(
    "account_throttle",
    metadata,
    # "acct:" or "src:" (or "admin:"/"adminsrc:") + SHA-256 of the name or address.
    Column("key", String(80), primary_key=True),
    Column("consecutive", Integer, nullable=False),
    Column("last_failure_ms", BigInteger, nullable=False),
    Column("window_start_ms", BigInteger, nullable=False),
    Column("window_count", Integer, nullable=False),
)

account_admins = Table(
    "account_admins",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("login", String(254), nullable=False),
    Column("login_key", String(300), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("credential_epoch", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

account_admin_sessions = Table(
    "account_admin_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("admin_id", String(64), ForeignKey("account_admins.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("credential_epoch", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("ended_ms", BigInteger, nullable=True),
    Index("ix_account_admin_sessions_admin_id", "admin_id"),
)

account_audit_log = Table(
    "account_audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("actor_kind", String(8), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_kind", String(16), nullable=False),
    Column("target_id", String(64), nullable=False),
    # Names of changed fields and non-secret flags, as JSON. Never a password or token.
    Column("details", Text, nullable=False),
    Index("ix_account_audit_log_target_id", "target_id"),
)
