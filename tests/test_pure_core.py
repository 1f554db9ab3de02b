"""The sans-I/O rule: pure modules import no I/O library and read no clock or randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "pocketsync"

# Modules that must stay pure: fed bytes and values, returning bytes and values. The
# adapters next to them (remote.server_store / client_store, accounts.store / service ...)
# do the I/O.
PURE_REMOTE = ["errors", "hlc", "local", "messages", "ops", "rank", "replay", "rules", "settings",
               "state", "wire"]  # fmt: skip
PURE_ACCOUNTS = ["errors", "model", "passwords", "throttle", "tokens"]
PURE = sorted(
    [*(SRC / "bundle").glob("*.py")]
    + [SRC / "remote" / f"{name}.py" for name in PURE_REMOTE]
    + [SRC / "accounts" / f"{name}.py" for name in PURE_ACCOUNTS]
)

FORBIDDEN_IMPORTS = {
    "sqlite3",
    "sqlalchemy",
    "httpx",
    "starlette",
    "uvicorn",
    "socket",
    "time",
    "random",
    "secrets",
    "os",
    "pocketsync.serverdb",
}
FORBIDDEN_CALLS = {"open"}


def imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_does_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text())
    bad = {
        name
        for name in imported_modules(tree)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS)
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & FORBIDDEN_CALLS, f"{path.name} calls {sorted(calls & FORBIDDEN_CALLS)}"


def test_the_check_sees_imports() -> None:
    assert "sqlite3" in imported_modules(ast.parse("import sqlite3\nfrom os import path"))
