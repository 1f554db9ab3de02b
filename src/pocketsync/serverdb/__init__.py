"""The server database: one SQLAlchemy ``MetaData`` and an engine factory.

Every server-side table (catalog, remote state, accounts) is declared on
:data:`metadata`, so alembic sees one schema. :func:`create_server_engine` returns an
engine that works the same on SQLite and PostgreSQL.
"""

from pocketsync.serverdb.engine import create_server_engine
from pocketsync.serverdb.metadata import metadata

__all__ = ["create_server_engine", "metadata"]
