"""DataLoaders: every nested field is batched into one query per request, whatever the page size.

A loader is made per request (its cache must not outlive the caller's permissions). Each batch function runs
one named query from ``graph/queries/api.py`` over all the ids asked for in the same tick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from graph.db import AsyncGraph
from graph.queries import api as q
from graph.queries import organizations as orgs
from graph.query import Query


def _by_id(
    graph: AsyncGraph, query: Query, column: str, missing: Any, **params: Any
) -> Callable[[Sequence[str]], Awaitable[list[Any]]]:
    """A batch function: one run of ``query`` over the ids, ``column`` of each row, ``missing`` where none."""

    async def load(ids: Sequence[str]) -> list[Any]:
        rows = await graph.run(query, ids=list(ids), **params)
        found = {row["id"]: row[column] for row in rows}
        return [found.get(key, missing) for key in ids]

    return load


class Loaders:
    """The DataLoaders of one request; ``viewer`` and ``manager`` decide which needs are readable."""

    def __init__(self, graph: AsyncGraph, *, viewer: str | None, manager: bool, candidates: int) -> None:
        self.organization = DataLoader(_by_id(graph, q.ORGANIZATIONS_BY_ID, "organization", None))
        self.cluster = DataLoader(_by_id(graph, q.CLUSTERS_BY_ID, "cluster", None))
        self.region = DataLoader(_by_id(graph, q.REGIONS_BY_ID, "region", None))
        self.clusters_of = DataLoader(_by_id(graph, q.CLUSTERS_OF, "clusters", []))
        self.region_of = DataLoader(_by_id(graph, q.REGION_OF, "region_id", None))
        self.capabilities_of = DataLoader(_by_id(graph, q.CAPABILITIES_OF, "capabilities", []))
        self.projects_of = DataLoader(self._limited(graph, q.PROJECTS_OF, "projects"))
        self.sources_of = DataLoader(_by_id(graph, q.SOURCES_OF, "sources", []))
        self.manager_of = DataLoader(_by_id(graph, q.MANAGER_OF, "organization", None))
        self.member_count = DataLoader(_by_id(graph, q.MEMBER_COUNT, "members", 0))
        self.needs_of = DataLoader(self._needs(graph, viewer, manager))
        self.collaborators_of = DataLoader(self._limited(graph, q.COLLABORATORS_OF, "collaborations"))
        self.members = DataLoader(self._per_cluster(graph, candidates, count=False))
        self.member_total = DataLoader(self._per_cluster(graph, candidates, count=True))

    @staticmethod
    def _needs(graph: AsyncGraph, viewer: str | None, manager: bool) -> Callable[..., Awaitable[list[Any]]]:
        async def load(ids: Sequence[str]) -> list[str | None]:
            rows = await graph.run(q.NEEDS_OF, ids=list(ids), viewer=viewer, manager=manager)
            readable = {
                row["id"]: row["needs"] for row in rows if row["privileged"] or row["visibility"] == "public"
            }
            return [readable.get(key) for key in ids]

        return load

    @staticmethod
    def _limited(graph: AsyncGraph, query: Query, column: str) -> Callable[..., Awaitable[list[Any]]]:
        """A list field with a ``limit`` (collaborators, projects): keys are ``(organization id, limit)``;
        one run of ``query`` per distinct limit (normally one), ``column`` of each row."""

        async def load(keys: Sequence[tuple[str, int]]) -> list[list[dict[str, Any]]]:
            by_limit: dict[int, list[str]] = defaultdict(list)
            for org_id, limit in keys:
                by_limit[limit].append(org_id)
            found: dict[tuple[str, int], list[dict[str, Any]]] = {}
            for limit, ids in by_limit.items():
                for row in await graph.run(query, ids=ids, limit=limit):
                    found[(row["id"], limit)] = row[column]
            return [found.get(key, []) for key in keys]

        return load

    @staticmethod
    def _per_cluster(
        graph: AsyncGraph, candidates: int, *, count: bool
    ) -> Callable[..., Awaitable[list[Any]]]:
        """Members pages (or their counts) of many clusters: keys are ``(cluster id, MembersPage)``; one query
        per distinct page request (normally one for all clusters of a response)."""

        async def load(keys: Sequence[tuple[str, MembersPage]]) -> list[Any]:
            by_page: dict[MembersPage, list[str]] = defaultdict(list)
            for cluster_id, page in keys:
                by_page[page].append(cluster_id)
            found: dict[tuple[str, MembersPage], Any] = {}
            for page, cluster_ids in by_page.items():
                if count:
                    query, params = orgs.organizations_count(
                        page.filter, candidates=candidates, per_cluster=True
                    )
                    for row in await graph.run(query, cluster_ids=cluster_ids, **params):
                        found[(row["cluster_id"], page)] = row["total"]
                    continue
                query, params = orgs.organizations_page(
                    page.filter,
                    page.order,
                    limit=page.limit,
                    after=page.after,
                    candidates=candidates,
                    per_cluster=True,
                    nested=page.selection.nested,
                    properties=page.selection.properties,
                )
                (result,) = await graph.run(query, cluster_ids=cluster_ids, **params)
                for row in result["rows"]:
                    found.setdefault((row["cluster_id"], page), []).append(row)
            return [found.get(key, 0 if count else []) for key in keys]

        return load


@dataclass(frozen=True)
class NodeSelection:
    """What a page's ``edges { node { … } }`` selects, as the page query needs it: the nested lists to
    inline (``graph.queries.api.NESTED_LISTS``) and the organization properties to read."""

    nested: tuple[str, ...]
    properties: frozenset[str]


@dataclass(frozen=True)
class MembersPage:
    """What a ``Cluster.members`` call asks for, apart from the cluster (hashable: a DataLoader key)."""

    filter: orgs.OrganizationFilter
    order: orgs.Order
    limit: int
    after: tuple[Any, str] | None
    selection: NodeSelection
