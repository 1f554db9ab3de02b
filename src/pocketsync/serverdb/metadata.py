"""The single ``MetaData`` every server table is declared on."""

from __future__ import annotations

from sqlalchemy import MetaData

__all__ = ["metadata"]

# A naming convention makes constraint names stable across SQLite and PostgreSQL,
# which alembic needs to alter or drop them later.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
