"""The public API of the package root is deliberate: a change to it must change this test."""

from __future__ import annotations

import subprocess
import sys

import pocketsync

EXPECTED = [
    "AccountError",
    "AccountService",
    "AdminService",
    "BundleError",
    "CatalogError",
    "CatalogServer",
    "CatalogStore",
    "Category",
    "Clock",
    "ConfigurationError",
    "FixedClock",
    "PocketSyncClient",
    "PocketSyncError",
    "PriceBreak",
    "PriceList",
    "Principal",
    "Product",
    "Publisher",
    "RemoteStateClient",
    "RemoteStateError",
    "RemoteStateServer",
    "SigningKey",
    "StoreError",
    "SystemClock",
    "TransportError",
    "TrustedKeys",
    "create_server_engine",
]

SUBPACKAGES = ["accounts", "bundle", "catalog", "client", "remote", "serverdb", "store"]


def test_root_all_is_locked_and_sorted() -> None:
    assert pocketsync.__all__ == EXPECTED


def test_every_exported_name_resolves_to_its_definition() -> None:
    for name in pocketsync.__all__:
        value = getattr(pocketsync, name)
        assert getattr(value, "__name__", name) == name


def test_subpackage_all_lists_resolve() -> None:
    # Their order is ruff's RUF022 (constants, classes, functions), checked by `make lint`.
    import importlib

    for sub in SUBPACKAGES:
        module = importlib.import_module(f"pocketsync.{sub}")
        for name in module.__all__:
            assert hasattr(module, name), f"pocketsync.{sub} lists {name} but lacks it"


def test_error_families_share_one_root() -> None:
    for name in EXPECTED:
        value = getattr(pocketsync, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, pocketsync.PocketSyncError)


def test_importing_the_root_or_the_client_side_loads_no_server_stack() -> None:
    code = (
        "import sys, pocketsync, pocketsync.bundle, pocketsync.store; "
        "print(sorted(m for m in ('sqlalchemy', 'argon2', 'starlette') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute_is_an_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError, match="no attribute"):
        _ = pocketsync.DoesNotExist  # type: ignore[attr-defined]
