"""The demo region (Upper Austria, invented organizations): three overlapping registries and their links.

``companies.csv`` (the company register, canonical columns), ``members.jsonl`` (the clusters' member lists:
the same firms under other ids and spellings, plus brokers, cluster organizations and public bodies) and
``research.csv`` (cp1252, German column names, loaded through ``research.mapping.yaml``), with
``clusters.csv``, ``memberships.csv`` (one row names a firm that exists nowhere) and ``collaborations.csv``.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).parent
FILES = (
    "clusters.csv",
    "companies.csv",
    "members.jsonl",
    "research.csv",
    "memberships.csv",
    "collaborations.csv",
)


def paths() -> list[Path]:
    """The demo files, in load order (``ingest.load`` orders them anyway)."""
    return [FOLDER / name for name in FILES]
