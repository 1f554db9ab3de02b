"""The pure policy modules import no database, HTTP, clock or random source (architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pocketsync.accounts

PURE = ["errors.py", "model.py", "passwords.py", "throttle.py", "tokens.py"]
FORBIDDEN = {
    "sqlite3",
    "sqlalchemy",
    "httpx",
    "starlette",
    "time",
    "datetime",
    "random",
    "secrets",
    "os",
}
ROOT = Path(pocketsync.accounts.__file__).parent


@pytest.mark.parametrize("name", PURE)
def test_pure_module_imports(name: str) -> None:
    tree = ast.parse((ROOT / name).read_text("utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN


def test_public_names_unique_and_importable() -> None:
    # The order is ruff's RUF022 (constants, classes, functions), checked by `make lint`.
    names = pocketsync.accounts.__all__
    assert len(names) == len(set(names))
    for n in names:
        assert hasattr(pocketsync.accounts, n)


def test_every_error_has_code_and_status() -> None:
    from pocketsync.accounts import errors
    from pocketsync.errors import AccountError

    classes = [getattr(errors, n) for n in errors.__all__ if n != "AccountError"]
    codes = [c.code for c in classes]
    assert len(set(codes)) == len(codes)
    for cls in classes:
        assert issubclass(cls, AccountError)
        assert cls.code != AccountError.code
        assert cls.code.islower()
        assert cls.status_hint in (400, 401, 403, 404, 409, 429)
