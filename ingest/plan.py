"""Planning a run: each file's format, encoding, mapping and kind, and the order files load in.

Files load in dependency order (clusters, organizations, memberships, collaborations, projects,
participations), whatever the order they were given in, so every link finds its ends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest import readers
from ingest.kinds import detect_kind
from ingest.mapping import IDENTITY, Mapping
from schema.errors import FileError, IngestError, echo
from schema.models import RecordKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    fmt: readers.FileFormat
    kind: RecordKind
    mapping: Mapping
    allowed: frozenset[str]
    ignored: list[str]
    source: str
    hash: str


def plan(
    paths: Iterable[Path | str],
    *,
    mapping: Mapping | Path | str | None = None,
    kind: RecordKind | str | None = None,
    source: str | None = None,
) -> list[PlannedFile]:
    """Detect format, kind and mapping of every file, and order the files by dependency.

    ``mapping`` is a mapping (file) for every file, or a folder holding ``NAME.mapping.yaml`` for each file
    ``NAME.csv`` (``.json``, ``.jsonl``, ``.gz``...). Without it, a file uses ``NAME.mapping.yaml`` beside
    it when there is one, else canonical column names.
    """
    folder = Path(mapping) if mapping is not None and not isinstance(mapping, Mapping) else None
    if folder is not None and folder.is_dir():
        given = None
    else:
        given = mapping if isinstance(mapping, Mapping) else Mapping.load(folder) if folder else None
        folder = None
    forced = RecordKind(kind) if kind else None
    planned = []
    for raw in paths:
        path = Path(raw)
        chosen = given or named_mapping(path, folder or path.parent) or IDENTITY
        fmt = readers.detect(path)
        columns = readers.columns(path, fmt)
        where = "the header" if fmt.format == "csv" else "its keys"
        clash = chosen.clash(columns)
        if clash:
            raise FileError(str(path), where, clash)
        absent = chosen.absent_template_columns(columns)
        if absent:
            raise FileError(str(path), where, absent)
        file_kind = forced or chosen.kind or _detect_kind(chosen, columns, path, folder)
        allowed = frozenset(file_kind.model.model_fields)
        used = {c for c, t in chosen.targets(columns).items() if t in allowed}
        ignored = [c for c in columns if c not in used and c not in chosen.ignore]
        ignored = [c for c in ignored if c not in chosen.template_columns()]
        if ignored:
            shown = _some(ignored)
            log.warning("%s: columns %s feed no %s field and are ignored", path, shown, file_kind.value)
        planned.append(
            PlannedFile(
                path=path,
                fmt=fmt,
                kind=file_kind,
                mapping=chosen,
                allowed=allowed,
                ignored=ignored,
                source=source or _default_source(path),
                hash=readers.file_hash(path),
            )
        )
    planned.sort(key=lambda f: f.kind.order)
    return planned


def _detect_kind(chosen: Mapping, columns: list[str], path: Path, folder: Path | None) -> RecordKind:
    """The kind the mapped columns show; where a ``--mapping`` folder held no mapping for the file, a file
    that shows no kind says so, as that mapping is likely what it lacks."""
    try:
        return detect_kind(chosen.fields(columns), str(path))
    except IngestError as e:
        if folder is None or chosen is not IDENTITY:
            raise
        names = " or ".join(named.name for named in _named_paths(path, folder))
        raise IngestError(f"{e}; the --mapping folder {folder} holds no {names}") from None


def _some(columns: list[str], shown: int = 10) -> str:
    """The first ``shown`` column names, each cut as errors cut a value, and how many more: a header of
    200,000 columns would make a warning of 3 MB (``--json`` lists every ignored column)."""
    names = ", ".join(echo(column) for column in columns[:shown])
    return f"{names} and {len(columns) - shown:,} more" if len(columns) > shown else names


def read_paths(paths: list[Path], mapping: Mapping | Path | str | None) -> list[Path]:
    """Every file that planning ``paths`` with ``mapping`` may read (see :func:`plan`), named before any is
    opened: the files and the mappings they would use."""
    if isinstance(mapping, Mapping):
        return [*paths, Path(mapping.origin)]
    folder = Path(mapping) if mapping is not None else None
    if folder is not None and not folder.is_dir():
        return [*paths, folder]
    return [*paths, *(named for path in paths for named in _named_paths(path, folder or path.parent))]


def named_mapping(path: Path, folder: Path) -> Mapping | None:
    """The mapping of ``research.csv.gz`` in ``folder``: ``research.mapping.yaml`` (or ``.yml``), if any."""
    for candidate in _named_paths(path, folder):
        if candidate.is_file():
            return Mapping.load(candidate)
    return None


def _named_paths(path: Path, folder: Path) -> list[Path]:
    stem = path.name.split(".")[0]
    return [folder / (stem + suffix) for suffix in (".mapping.yaml", ".mapping.yml")]


def _default_source(path: Path) -> str:
    """Without ``--source``, a file's source is its name without suffixes:
    ``members.csv.gz`` -> ``members``."""
    return path.name.split(".")[0]
