"""The import rules of ``docs/architecture.md``, read from the source (``ast``; nothing is imported).

schema < graph < ingest, matching < api: nothing imports a package above it, ingest and matching do not
import each other, only graph/ imports the neo4j driver, and no product module imports bench/ or tests/.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("schema", "graph", "ingest", "matching", "api")
ALLOWED: dict[str, frozenset[str]] = {
    "schema": frozenset(),
    "graph": frozenset({"schema"}),
    "ingest": frozenset({"schema", "graph"}),
    "matching": frozenset({"schema", "graph"}),
    "api": frozenset({"schema", "graph", "ingest", "matching"}),
}
"""The project packages each package may import (besides itself)."""
DRIVER = "neo4j"
"""The Neo4j driver: only graph/ talks to it."""
NEVER = frozenset({"bench", "tests"})


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, top-level module)`` of every absolute import in ``path``, those inside functions included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _violations(package: str, modules: list[Path]) -> list[str]:
    """Each import in ``modules`` (of ``package``) that breaks a rule, as ``file:line imports name``."""
    allowed = ALLOWED[package] | {package}
    found = []
    for path in modules:
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
        for line, top in _imports(path):
            where = f"{name}:{line} imports {top}"
            if top in PACKAGES and top not in allowed:
                found.append(where)
            elif top == DRIVER and package != "graph":
                found.append(where + " (only graph/ talks to Neo4j)")
            elif top in NEVER:
                found.append(where)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_layers(package: str) -> None:
    modules = _modules(package)
    assert modules, f"{package}/ holds no module"
    assert _violations(package, modules) == []


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    """Imports are seen anywhere in a module (inside a function too), in both spellings."""
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nimport api.app\n\ndef f():\n"
        "    from ingest.readers import read\n    import neo4j.exceptions\n"
    )
    assert _violations("matching", [module]) == [
        "m.py:2 imports api",
        "m.py:5 imports ingest",
        "m.py:6 imports neo4j (only graph/ talks to Neo4j)",
    ]
    assert _violations("api", [module]) == ["m.py:6 imports neo4j (only graph/ talks to Neo4j)"]


def test_only_graph_imports_the_driver() -> None:
    users = {
        path.relative_to(ROOT).parts[0]
        for package in PACKAGES
        for path in _modules(package)
        if any(top == DRIVER for _, top in _imports(path))
    }
    assert users == {"graph"}


def _module_graph(package: str) -> dict[str, set[str]]:
    """Which modules of ``package`` each of its modules imports (``from x import y`` counts ``x.y`` when
    that is a module)."""
    names = {}
    for path in _modules(package):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                graph[name] |= {alias.name for alias in node.names if alias.name in names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    graph[name] |= {sub} if sub in names else {node.module} & names.keys()
        graph[name].discard(name)
    return graph


def test_api_modules_import_one_way() -> None:
    """No module of api/ imports one that imports it back (as ``api/graphql/pages.py`` and ``types.py``
    once did): each can be read, and tested, without the ones after it."""
    graph = _module_graph("api")
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            assert state.get(other) != 1, " -> ".join([*path, name, other])
            if other not in state:
                visit(other, [*path, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
