"""A snapshot on disk: the one ``tune`` trained on, kept for the server that starts next.

Reading the collaboration snapshot through the driver is most of a server's first learned suggestion at
100,000 organizations (about 13 s of its 20). ``tune`` has just read the same graph, so it writes what it
read to ``<cache_dir>/snapshot.npz`` with the graph's stamp (``graph/queries/snapshot.py``'s ``VERSION``:
counts, the last ingest run, the last answer). :func:`matching.snapshot.read` takes the file instead of the
graph only while the graph's stamp, address, database and embedder are the ones the file was read at: an
ingest, an upsert or an answer changes the stamp, and the next read goes to the graph. Only ``tune`` writes
one (never a read in the middle of ``eval``'s hidden-link run, whose graph is briefly not the users' graph).

The file holds what the snapshot holds, nothing more: organizations' ids, roles, countries and own
descriptions, projects, links, answered suggestions and the text vectors; no need text. Strings are one UTF-8
buffer and offsets each (no pickle: the file is data, never code).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from matching.dataset import GraphData
from matching.history import TextVectors
from matching.links import Links
from schema.settings import Settings

FORMAT = 1
TEXT_FIELDS: tuple[str, ...] = ("org_ids", "org_role", "org_country", "org_text")
TEXT_FIELDS += ("project_ids", "project_part", "project_text")
ARRAY_FIELDS = ("project_start", "part_org", "part_project")


def path_for(settings: Settings) -> Path:
    """Where the kept snapshot is: one per cache folder, the last ``tune``'s (a file per graph would pile up
    a few hundred MB for every scratch graph a benchmark or a test suite tunes)."""
    return settings.cache_dir / "snapshot.npz"


def header_for(settings: Settings, version: dict[str, Any]) -> dict[str, Any]:
    """What a file must have been read at to stand for the graph now."""
    return {
        "format": FORMAT,
        "uri": settings.neo4j_uri,
        "database": settings.neo4j_database,
        "embedder": settings.embedder,
        "version": version,
    }


def write(
    path: Path,
    header: dict[str, Any],
    data: GraphData,
    vectors: TextVectors,
    answers: dict[str, np.ndarray],
) -> Path:
    """Write the snapshot's arrays and ``header`` to ``path`` (whole or not at all: a temp file, renamed)."""
    arrays: dict[str, np.ndarray] = {"header": _text_bytes(json.dumps(header, sort_keys=True))}
    for name in TEXT_FIELDS:
        arrays[f"{name}.utf8"], arrays[f"{name}.ends"] = _pack(getattr(data, name))
    arrays |= {name: getattr(data, name) for name in ARRAY_FIELDS}
    links = data.links
    arrays |= {"link_a": links.a, "link_b": links.b, "link_since": links.since}
    arrays |= {"vectors_projects": vectors.projects, "vectors_organizations": vectors.organizations}
    arrays |= {f"answers_{key}": value for key, value in answers.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
    np.savez(partial, **arrays)  # type: ignore[arg-type]
    partial.replace(path)
    return path


def read(
    path: Path, header: dict[str, Any] | None = None
) -> tuple[dict[str, Any], GraphData, TextVectors, dict[str, np.ndarray]]:
    """The header, data, vectors and answers of the file at ``path``. ``header``: the one it must have
    (KeyError when it has another, or lacks an array)."""
    with np.load(path, allow_pickle=False) as arrays:
        found = _header(arrays)
        if header is not None and found != _normal(header):
            raise KeyError("the snapshot file was read from another graph, stamp or embedder")
        texts = {name: _unpack(arrays[f"{name}.utf8"], arrays[f"{name}.ends"]) for name in TEXT_FIELDS}
        n_orgs = len(texts["org_ids"])
        links = Links(arrays["link_a"], arrays["link_b"], arrays["link_since"], n_orgs)
        data = GraphData(**texts, **{name: arrays[name] for name in ARRAY_FIELDS}, links=links)
        vectors = TextVectors(arrays["vectors_projects"], arrays["vectors_organizations"])
        answers = {key: arrays[f"answers_{key}"] for key in ("seeker", "partner", "accepted", "at")}
    return found, data, vectors, answers


def read_header(path: Path) -> dict[str, Any]:
    """The header alone (an ``.npz`` is read array by array: the vectors stay on disk)."""
    with np.load(path, allow_pickle=False) as arrays:
        return _header(arrays)


def kept_header(path: Path) -> dict[str, Any] | None:
    """The header of the file at ``path``; None when there is no readable file."""
    try:
        return read_header(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def holds(path: Path, header: dict[str, Any]) -> bool:
    """Whether the file at ``path`` was written with ``header`` (a readable file only)."""
    return kept_header(path) == _normal(header)


def _header(arrays: Any) -> dict[str, Any]:
    return dict(json.loads(bytes(arrays["header"]).decode("utf-8")))


def _normal(header: dict[str, Any]) -> dict[str, Any]:
    """``header`` as it reads back from a file (JSON's types)."""
    return dict(json.loads(json.dumps(header, sort_keys=True)))


def _text_bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _pack(strings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    encoded = [str(s).encode("utf-8") for s in strings]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def _unpack(buffer: np.ndarray, ends: np.ndarray) -> np.ndarray:
    raw = buffer.tobytes()
    starts = np.concatenate([[0], ends[:-1]]) if len(ends) else ends
    return np.array([raw[a:b].decode("utf-8") for a, b in zip(starts, ends, strict=True)], dtype=object)
