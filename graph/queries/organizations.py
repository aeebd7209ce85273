"""The organization pages, counts and hybrid search of the GraphQL API, composed from constant fragments.

Filters never put user text into Cypher: each filter is a constant ``WHERE`` fragment that reads its values
from a ``$parameter``; a builder only chooses which constant fragments to join. Private needs appear in no
fragment: the full-text index covers names and descriptions, the vector filters use capability embeddings,
so a need can never make an organization match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, LiteralString

from graph.queries.api import NESTED_LISTS, ORGANIZATION_FIELDS, organization_fields
from graph.query import Query

_FILTERS: dict[str, LiteralString] = {
    "roles": "o.role IN $roles",
    "clusters": "EXISTS { (o)-[:MEMBER_OF]->(fc:Cluster) WHERE fc.id IN $clusters }",
    "regions": "EXISTS { (o)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..]->(fr:Region) WHERE fr.id IN $regions }",
    "sectors": "any(s IN coalesce(o.sectors, []) WHERE s IN $sectors)",
    "capabilities": "EXISTS { (o)-[:OFFERS]->(fk:Capability) WHERE fk.id IN $capabilities }",
    "sizes": "o.size_class IN $sizes",
    "text_hits": "o IN text_hits",
}
"""One constant fragment per filter; the key is also the name of the parameter the fragment reads."""

_TEXT_HITS: LiteralString = (
    "CALL () { CALL db.index.fulltext.queryNodes('organization_text', $lucene) YIELD node "
    "RETURN collect(node) AS text_hits } "
)
_ALL: LiteralString = "MATCH (o:Organization) WHERE "
_ALL_SCORE: LiteralString = "WITH o, null AS score "
_BY_TEXT: LiteralString = (
    "CALL db.index.fulltext.queryNodes('organization_text', $lucene) YIELD node AS o, score WHERE "
)
_BY_VECTOR: LiteralString = (
    "CALL db.index.vector.queryNodes('organization_capability_embedding', $candidates, $vector) "
    "YIELD node AS o, score WHERE "
)


@dataclass(frozen=True)
class OrganizationFilter:
    """The organization filters the API offers; every set field narrows the result (they combine with AND)."""

    roles: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    text: str | None = None
    similar_to: tuple[float, ...] | None = None
    """A 384-d vector; the caller embeds the text (graph/ never loads the model)."""


@dataclass(frozen=True)
class Order:
    """Sort key of an organization page: ``name``, ``id`` or ``relevance`` (text / vector score)."""

    field: str = "name"
    descending: bool = False


_SORT_KEYS: dict[str, LiteralString] = {"name": "o.name", "id": "o.id", "relevance": "score"}
_AFTER: dict[tuple[str, bool], LiteralString] = {
    ("name", False): "o.name >= $after_key AND (o.name > $after_key OR o.id > $after_id)",
    ("name", True): "o.name <= $after_key AND (o.name < $after_key OR o.id > $after_id)",
    ("id", False): "o.id > $after_id",
    ("id", True): "o.id < $after_id",
    ("relevance", True): "(score < $after_key OR (score = $after_key AND o.id > $after_id))",
}
"""Keyset conditions: the page starts after the last row's (sort key, id), whatever was inserted before it.
The range on the sort key (``>=`` / ``<=``) lets Neo4j seek the name index and read it in order."""
_FIRST_PAGE: dict[str, LiteralString] = {"name": "o.name IS NOT NULL", "id": "o.id IS NOT NULL"}
"""Without a cursor, a predicate on the sort key still lets the planner read its index in order (every
organization has both)."""
_ORDER_BY: dict[tuple[str, bool], LiteralString] = {
    ("name", False): "ORDER BY o.name, o.id ",
    ("name", True): "ORDER BY o.name DESC, o.id ",
    ("id", False): "ORDER BY o.id ",
    ("id", True): "ORDER BY o.id DESC ",
    ("relevance", True): "ORDER BY score DESC, o.id ",
}

_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')


def lucene_query(text: str) -> str:
    """A full-text query from free text: every Lucene operator escaped (the words AND, OR, NOT lower-cased,
    which the analyzer does anyway), terms joined with OR (any may match, more matches score higher).
    Returns "" for text with no terms."""
    terms = [_SPECIAL.sub(r"\\\1", term) for term in text.split()]
    terms = [term.lower() if term in ("AND", "OR", "NOT") else term for term in terms]
    return " OR ".join(term for term in terms if any(ch.isalnum() for ch in term))


def _where(flt: OrganizationFilter, params: dict[str, Any], text_is_filter: bool) -> list[LiteralString]:
    """The filter fragments ``flt`` needs, with their values added to ``params``."""
    fragments: list[LiteralString] = []
    for key in ("roles", "clusters", "regions", "sectors", "capabilities", "sizes"):
        values = getattr(flt, key)
        if values:
            fragments.append(_FILTERS[key])
            params[key] = list(values)
    if text_is_filter:
        fragments.append(_FILTERS["text_hits"])
    return fragments


def _source(flt: OrganizationFilter, params: dict[str, Any], candidates: int) -> tuple[LiteralString, bool]:
    """Where the rows come from (all organizations, full-text hits or vector neighbours), and whether the
    text then still has to be applied as a filter (when both text and ``similar_to`` are given).

    A full-text filter keeps every organization that matches (a count is the count of matches); a vector
    search keeps its ``candidates`` nearest. Either costs a search in the complexity limit
    (``api.graphql.costs``): a word most organizations hold makes a text filter read all of them."""
    if flt.text is not None:
        params["lucene"] = lucene_query(flt.text)
    if flt.similar_to is not None:
        params["vector"] = list(flt.similar_to)
        params["candidates"] = candidates
        if flt.text is not None:
            return _TEXT_HITS + _BY_VECTOR, True
        return _BY_VECTOR, False
    if flt.text is not None:
        return _BY_TEXT, False
    return _ALL, False


def _conditions(fragments: list[LiteralString]) -> LiteralString:
    return " AND ".join(fragments) if fragments else "true"


_MEMBERS: LiteralString = "MATCH (:Cluster {id: cluster_id})<-[:MEMBER_OF]-(o:Organization) WHERE "
_MEMBERS_BY_VECTOR: LiteralString = (
    "MATCH (:Cluster {id: cluster_id})<-[:MEMBER_OF]-(o:Organization) "
    "WHERE o.capability_embedding IS NOT NULL "
    "WITH o, vector.similarity.cosine(o.capability_embedding, $vector) AS score WHERE "
)
"""A cluster's members scored as the vector index scores (its cosine, normalized to [0, 1]), every one."""
_IN_CLUSTER: LiteralString = "EXISTS { (o)-[:MEMBER_OF]->(:Cluster {id: cluster_id}) }"
_PER_CLUSTER: LiteralString = "UNWIND $cluster_ids AS cluster_id CALL (cluster_id) { "


def _scoped(head: LiteralString, fragments: list[LiteralString], per_cluster: bool) -> LiteralString:
    """Per cluster (``$cluster_ids``, one page or count each): all organizations become the cluster's
    members, a vector source every member scored by its own cosine (the nearest of all organizations would
    leave out the members beyond them), and a full-text source keeps its rows that are members."""
    if not per_cluster:
        return head
    if head == _ALL:
        return _MEMBERS
    if head == _BY_VECTOR:
        return _MEMBERS_BY_VECTOR
    if head == _TEXT_HITS + _BY_VECTOR:
        return _TEXT_HITS + _MEMBERS_BY_VECTOR
    fragments.append(_IN_CLUSTER)
    return head


def _page_row(
    sort_key: LiteralString, nested: tuple[str, ...], properties: frozenset[str] | None, per_cluster: bool
) -> LiteralString:
    """The map of one page row: the organization (its ``properties``), its score and sort key, and the
    ``nested`` lists."""
    row: LiteralString = "{organization: " + organization_fields(properties) + ", score: score, sort_key: "
    row += sort_key
    if per_cluster:
        row += ", cluster_id: cluster_id"
    for name, fragment in NESTED_LISTS.items():
        if name in nested:
            row += ", " + name + ": " + fragment
    return row + "}"


def organizations_page(
    flt: OrganizationFilter,
    order: Order,
    *,
    limit: int,
    after: tuple[Any, str] | None,
    candidates: int,
    per_cluster: bool = False,
    nested: tuple[str, ...] = (),
    properties: frozenset[str] | None = None,
) -> tuple[Query, dict[str, Any]]:
    """One page of organizations matching ``flt`` in ``order``, starting after the keyset ``after``
    (``(sort key, id)`` of the previous page's last row).

    The result is ONE record whose ``rows`` lists the page in order, each row a map of ``organization``,
    ``score``, ``sort_key`` and the lists of :data:`NESTED_LISTS` named in ``nested``: one record instead of
    one per row saves the driver most of its per-message work, and the nested lists save a query each. The
    organization maps carry ``properties`` (see :func:`organization_fields`): what is not asked for is
    neither read, sent nor decoded.

    ``per_cluster``: one such page of members for each cluster in ``$cluster_ids`` (the caller binds it), all
    in one query; rows also carry ``cluster_id``. So ``Cluster.members`` costs one query, not one per cluster.
    """
    params: dict[str, Any] = {"limit": limit}
    head, text_is_filter = _source(flt, params, candidates)
    fragments = _where(flt, params, text_is_filter)
    head = _scoped(head, fragments, per_cluster)
    key = (order.field, order.descending)
    if after is not None:
        fragments.append(_AFTER[key])
        params["after_key"], params["after_id"] = after
    elif order.field in _FIRST_PAGE:
        fragments.append(_FIRST_PAGE[order.field])
    tail: LiteralString = _ALL_SCORE if head in (_ALL, _MEMBERS) else "WITH o, score "
    body = head + _conditions(fragments) + " " + tail + _ORDER_BY[key] + "LIMIT $limit "
    if per_cluster:
        inner = _SORT_KEYS[order.field] + " AS sort_key } "
        text = _PER_CLUSTER + body + "RETURN o, score, " + inner + "RETURN collect("
        text += _page_row("sort_key", nested, properties, per_cluster=True) + ") AS rows"
        return Query("api.cluster_members_page", text), params
    row = _page_row(_SORT_KEYS[order.field], nested, properties, per_cluster=False)
    text = body + "RETURN collect(" + row + ") AS rows"
    return Query("api.organizations_page", text), params


def organizations_count(
    flt: OrganizationFilter, *, candidates: int, per_cluster: bool = False
) -> tuple[Query, dict[str, Any]]:
    """How many organizations match ``flt`` (the connection's ``totalCount``); ``per_cluster`` as in
    :func:`organizations_page`, with rows ``cluster_id``, ``total``."""
    params: dict[str, Any] = {}
    head, text_is_filter = _source(flt, params, candidates)
    fragments = _where(flt, params, text_is_filter)
    head = _scoped(head, fragments, per_cluster)
    body = head + _conditions(fragments) + " RETURN count(o) AS total"
    if per_cluster:
        text = _PER_CLUSTER + body + " } RETURN cluster_id, total"
        return Query("api.cluster_members_count", text), params
    return Query("api.organizations_count", body), params


def valid_order(order: Order) -> bool:
    """Whether ``order`` is one the page builder supports (relevance sorts best first only)."""
    return (order.field, order.descending) in _ORDER_BY


_HYBRID: LiteralString = (
    "CALL () { "
    "CALL db.index.fulltext.queryNodes('organization_text', $lucene, {limit: $candidates}) YIELD node, score "
    "WITH collect({node: node, score: score}) AS hits, max(score) AS top "
    "UNWIND hits AS hit RETURN hit.node AS o, hit.score / top AS text_score, 0.0 AS vector_score "
    "UNION ALL "
    "CALL db.index.vector.queryNodes('organization_capability_embedding', $candidates, $vector) "
    "YIELD node, score RETURN node AS o, 0.0 AS text_score, score AS vector_score "
    "} "
    "WITH o, max(text_score) AS text_score, max(vector_score) AS vector_score WHERE "
)


def hybrid_search(
    flt: OrganizationFilter,
    *,
    text: str,
    vector: list[float],
    limit: int,
    candidates: int,
    text_weight: float,
) -> tuple[Query, dict[str, Any]]:
    """Organizations ranked by ``text_weight`` × full-text score (normalized to the best hit) + the rest ×
    cosine similarity of the capability embedding, over the union of both candidate lists, then filtered by
    ``flt`` (whose own ``text`` / ``similar_to`` are ignored here). Rows: ``organization``, ``score``,
    ``text_score``, ``vector_score``."""
    params: dict[str, Any] = {
        "lucene": lucene_query(text),
        "vector": vector,
        "candidates": candidates,
        "limit": limit,
        "text_weight": text_weight,
    }
    fragments = _where(replace(flt, text=None, similar_to=None), params, False)
    query = (
        _HYBRID + _conditions(fragments) + " WITH o, text_score, vector_score, "
        "$text_weight * text_score + (1 - $text_weight) * vector_score AS score "
        "ORDER BY score DESC, o.id LIMIT $limit RETURN "
        + ORGANIZATION_FIELDS
        + " AS organization, score, text_score, vector_score"
    )
    return Query("api.hybrid_search", query), params
