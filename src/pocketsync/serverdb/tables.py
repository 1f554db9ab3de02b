"""Import every module that declares server tables, so ``metadata`` is complete.

Alembic's ``env.py`` and the migration check import this module.
"""

from __future__ import annotations

import importlib

from pocketsync.serverdb.metadata import metadata

__all__ = ["metadata"]

# Each concern declares its tables in its own module; list them here.
_TABLE_MODULES = (
    "pocketsync.catalog.schema",
    "pocketsync.accounts.schema",
    "pocketsync.remote.server_schema",
)

for _name in _TABLE_MODULES:
    importlib.import_module(_name)
