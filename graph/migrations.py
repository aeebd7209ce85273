"""Versioned, idempotent schema migrations kept as Cypher files under ``schema/migrations/``.

A file ``NNNN_name.cypher`` holds statements separated by ``;``. Applied versions are recorded as
``(:Migration {version, name, checksum, applied_at})``; a second run applies nothing, and a file changed after
it was applied is refused (add a new migration instead).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib.resources import files

from graph.db import Graph
from graph.queries import admin
from graph.query import Query
from schema.errors import MigrationError

log = logging.getLogger(__name__)

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    checksum: str


def _statements(text: str) -> tuple[str, ...]:
    lines = [line for line in text.splitlines() if not line.strip().startswith("//")]
    return tuple(part.strip() for part in "\n".join(lines).split(";") if part.strip())


def available() -> list[Migration]:
    """The migration files shipped in ``schema/migrations``, in version order."""
    found = []
    for entry in files("schema").joinpath("migrations").iterdir():
        match = _FILE.match(entry.name)
        if not match:
            continue
        text = entry.read_text(encoding="utf-8")
        found.append(
            Migration(
                version=int(match.group(1)),
                name=match.group(2),
                statements=_statements(text),
                checksum=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return found


def applied(graph: Graph) -> dict[int, dict[str, object]]:
    """Applied migrations by version."""
    return {row["version"]: row for row in graph.run(admin.APPLIED_MIGRATIONS)}


def pending(graph: Graph) -> list[Migration]:
    """Migrations not applied yet; raises if an applied file has changed since."""
    done = applied(graph)
    todo = []
    for migration in available():
        record = done.get(migration.version)
        if record is None:
            todo.append(migration)
        elif record["checksum"] != migration.checksum:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} was changed after it was applied; "
                "add a new migration file instead of editing an applied one"
            )
    return todo


def migrate(graph: Graph, *, await_seconds: int = 300, until: int | None = None) -> list[Migration]:
    """Apply pending migrations in order (those up to version ``until`` when given: a graph as an older
    release left it, for the tests), record each, and wait until every index is online."""
    todo = [m for m in pending(graph) if until is None or m.version <= until]
    for migration in todo:
        label = f"{migration.version:04d}_{migration.name}"
        log.info("Applying migration %s (%d statements)", label, len(migration.statements))
        for number, statement in enumerate(migration.statements, start=1):
            try:
                graph.run_autocommit(Query(f"migration.{label}.{number}", statement))  # type: ignore[arg-type]
            except Exception as e:
                raise MigrationError(f"migration {label}, statement {number} failed: {e}") from e
        graph.run(
            admin.RECORD_MIGRATION,
            version=migration.version,
            name=migration.name,
            checksum=migration.checksum,
        )
    graph.run_autocommit(admin.AWAIT_INDEXES, seconds=await_seconds)
    return todo
