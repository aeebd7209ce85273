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
        """Index the rows of ``graph/queries/evaluation.py``: organizations ``{id, role, country, text}``,
        projects ``{id, start, part, texts}``, participations ``{org, project}``, collaborations
        ``{a, b, since}``. Rows naming an unknown organization or project are dropped."""
        orgs = sorted(organizations, key=lambda r: str(r["id"]))
        projs = sorted(projects, key=lambda r: str(r["id"]))
        org_index = {str(r["id"]): i for i, r in enumerate(orgs)}
        project_index = {str(r["id"]): i for i, r in enumerate(projs)}
        pairs = {
            (org_index[str(r["org"])], project_index[str(r["project"])])
            for r in participations
            if str(r["org"]) in org_index and str(r["project"]) in project_index
        }
        pair_array = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        links = [
            (org_index[str(r["a"])], org_index[str(r["b"])], to_day(r.get("since")))
            for r in collaborations
            if str(r["a"]) in org_index and str(r["b"]) in org_index
        ]
        return cls(
            org_ids=np.array([str(r["id"]) for r in orgs], dtype=object),
            org_role=np.array([r.get("role") or "" for r in orgs], dtype=object),
            org_country=np.array([r.get("country") or "" for r in orgs], dtype=object),
            org_text=np.array([r.get("text") or "" for r in orgs], dtype=object),
            project_ids=np.array([str(r["id"]) for r in projs], dtype=object),
            project_start=np.array([to_day(r.get("start")) for r in projs], dtype="datetime64[D]"),
            project_part=np.array([r.get("part") or "" for r in projs], dtype=object),
            project_text=np.array([". ".join(r.get("texts") or []) for r in projs], dtype=object),
            part_org=pair_array[:, 0],
            part_project=pair_array[:, 1],
            links=Links.undirected(
                np.array([a for a, _, _ in links], dtype=np.int64),
                np.array([b for _, b, _ in links], dtype=np.int64),
                np.array([d for _, _, d in links], dtype="datetime64[D]"),
                len(orgs),
            ),
        )
