"""The evaluation's view of a registry: organizations, projects and who took part in what, as numpy arrays.

The benchmark works on dense integer indices so that every step (links, features, rankings) is vectorised;
:class:`GraphData` is built once from the rows that ``graph/queries/evaluation.py`` reads from the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from matching.links import Links

NO_DATE = np.datetime64("NaT", "D")


def to_day(value: Any) -> np.datetime64:
    """A date (``datetime.date``, Neo4j ``Date`` or ISO text) as numpy days; missing dates become NaT."""
    if value is None or value == "":
        return NO_DATE
    return np.datetime64(str(value)[:10], "D")


@dataclass(frozen=True)
class GraphData:
    """Organizations, projects and participations, indexed 0..n-1.

    ``part_org[k]`` took part in ``part_project[k]``; project texts are the titles and topics that tell what
    an organization works on (the only self-description a participation registry has).
    """

    org_ids: np.ndarray  # str, one per organization
    org_role: np.ndarray  # str: firm, university, ...
    org_country: np.ndarray  # str ('' when unknown)
    org_text: np.ndarray  # str: the organization's own description ('' when none)
    project_ids: np.ndarray  # str
    project_start: np.ndarray  # datetime64[D], NaT when unknown
    project_part: np.ndarray  # str: programme part ('' when unknown)
    project_text: np.ndarray  # str: title and topic ('' when the registry has none)
    part_org: np.ndarray  # int64
    part_project: np.ndarray  # int64
    links: Links  # the collaborations of the graph, dated where the graph has dates

    @property
    def n_orgs(self) -> int:
        return len(self.org_ids)

    @property
    def n_projects(self) -> int:
        return len(self.project_ids)

    @property
    def project_size(self) -> np.ndarray:
        """Participants per project."""
        return np.bincount(self.part_project, minlength=self.n_projects)

    @classmethod
    def from_rows(
        cls,
        organizations: Iterable[Mapping[str, Any]],
        projects: Iterable[Mapping[str, Any]],
        participations: Iterable[Mapping[str, Any]],
        collaborations: Iterable[Mapping[str, Any]],
    ) -> GraphData:
        """Index the rows of ``graph/queries/snapshot.py``: organizations ``{id, role, country, text}``,
        projects ``{id, start, part, texts}``, participations ``{org, project}``, collaborations
        ``{a, b, since}``; a participation's ``project`` and a collaboration's ``b`` and ``since`` may be
        lists (one row per organization, as the snapshot reads them). Rows naming an unknown organization or
        project are dropped."""
        orgs = sorted(organizations, key=lambda r: str(r["id"]))
        projs = sorted(projects, key=lambda r: str(r["id"]))
        org_index = {str(r["id"]): i for i, r in enumerate(orgs)}
        project_index = {str(r["id"]): i for i, r in enumerate(projs)}
        part_org, part_project, _ = _pairs(participations, "org", "project", None, org_index, project_index)
        pairs = np.unique(np.column_stack([part_org, part_project]), axis=0).reshape(-1, 2)
        link_a, link_b, since = _pairs(collaborations, "a", "b", "since", org_index, org_index)
        return cls(
            org_ids=np.array([str(r["id"]) for r in orgs], dtype=object),
            org_role=np.array([r.get("role") or "" for r in orgs], dtype=object),
            org_country=np.array([r.get("country") or "" for r in orgs], dtype=object),
            org_text=np.array([r.get("text") or "" for r in orgs], dtype=object),
            project_ids=np.array([str(r["id"]) for r in projs], dtype=object),
            project_start=np.array([to_day(r.get("start")) for r in projs], dtype="datetime64[D]"),
            project_part=np.array([r.get("part") or "" for r in projs], dtype=object),
            project_text=np.array([". ".join(r.get("texts") or []) for r in projs], dtype=object),
            part_org=pairs[:, 0],
            part_project=pairs[:, 1],
            links=Links.undirected(
                link_a,
                link_b,
                np.array([_day_text(d) for d in since], dtype="datetime64[D]"),
                len(orgs),
            ),
        )


def _day_text(value: Any) -> str:
    """A date as ISO day text for numpy to parse in one pass (as :func:`to_day` reads it)."""
    return "NaT" if value is None or (isinstance(value, str) and not value) else str(value)[:10]


def _pairs(
    rows: Iterable[Mapping[str, Any]],
    left: str,
    right: str,
    dated: str | None,
    left_index: dict[str, int],
    right_index: dict[str, int],
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """The (left, right) index pairs of ``rows`` whose two ends are known, and their ``dated`` values; a
    row's ``right`` (and ``dated``) may be a list, for one row per left end."""
    lefts: list[int] = []
    rights: list[int] = []
    values: list[Any] = []
    for row in rows:
        i = left_index.get(str(row[left]), -1)
        many = row[right]
        if isinstance(many, list):
            lefts.extend([i] * len(many))
            rights.extend(right_index.get(str(j), -1) for j in many)
            values.extend(row[dated] if dated else [None] * len(many))
        else:
            lefts.append(i)
            rights.append(right_index.get(str(many), -1))
            values.append(row.get(dated) if dated else None)
    a, b = np.array(lefts, dtype=np.int64), np.array(rights, dtype=np.int64)
    keep = (a >= 0) & (b >= 0)
    return a[keep], b[keep], [v for v, k in zip(values, keep, strict=True) if k]
