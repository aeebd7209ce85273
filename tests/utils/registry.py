"""Test-data helpers for ingest: write records as registry files in any format, encoding and compression."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any


def _store(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def write_csv(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    columns: list[str] | None = None,
) -> Path:
    """Rows as CSV (``.gz`` suffix: compressed); ``encoding="utf-8-sig"`` writes a BOM."""
    header = columns or list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in header])
    return _store(path, buffer.getvalue().encode(encoding))


def write_json(path: Path, rows: list[dict[str, Any]]) -> Path:
    return _store(path, json.dumps(rows, ensure_ascii=False, indent=1).encode())


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    return _store(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())


def org(id: str, name: str, role: str = "firm", **extra: Any) -> dict[str, Any]:
    """An organization row with the required columns."""
    return {"id": id, "name": name, "role": role, **extra}
