"""One error tree: every error class the library defines hangs off PocketSyncError."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import pocketsync
from pocketsync.errors import PocketSyncError

MODULES = [
    m.name
    for m in pkgutil.walk_packages(pocketsync.__path__, "pocketsync.")
    if m.name.endswith(".errors")
]


def error_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            is_error = isinstance(value, type) and issubclass(value, BaseException)
            if is_error and value.__module__ == name:
                found[f"{name}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_concern_has_an_errors_module() -> None:
    concerns = {m.split(".")[1] for m in MODULES}
    assert {"accounts", "bundle", "catalog", "client", "remote", "store"} <= concerns


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__qualname__)
def test_error_is_in_the_tree_with_a_code_and_a_status(cls: type[BaseException]) -> None:
    assert issubclass(cls, PocketSyncError), f"{cls} is outside the PocketSyncError tree"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code)
    assert 400 <= cls.status_hint <= 599
