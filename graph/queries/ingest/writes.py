"""The ingest writes: one batched ``UNWIND $rows AS row ... MERGE`` (or ``CREATE``, for rows the run knows to
be new) per kind of record.

Every write takes ``$prov`` (``source``, ``file_hash``, ``ingest_run``, ``ingested_at``) and stamps it on each
node and relationship it writes. Rows are prepared by ``ingest.writer``: ids already resolved to the node
they belong to, labels taken from ``schema.graph_model.Role``, capability and region ids precomputed. What
they write is read back by ``graph.queries.ingest.known`` (keys, content hashes, link keys).
"""

from __future__ import annotations

from typing import LiteralString, cast

from graph.queries.matching.embeddings import FORGET_UNFIT_NEEDS
from graph.query import Query
from schema import properties
from schema.graph_model import ROLE_LABELS, Label

ORGANIZATION_PROPERTIES = properties.STORED
"""Properties an organization record sets. A record folded into a node first created by another record
("merged") only fills those the node lacks; the node's own record overwrites them."""


PROVENANCE: tuple[str, ...] = ("source", "file_hash", "ingest_run", "ingested_at")
"""The provenance every write stamps from ``$prov`` (made by ``ingest.writer.Writer.provenance``)."""


def _created(*pairs: str) -> LiteralString:
    """The property map of a CREATE pattern: ``name: value`` pairs (fixed code, never user text) and the
    provenance. Named properties in the pattern, not ``SET n += $map``, which makes the planner buffer the
    whole batch behind an Eager operator."""
    return cast(LiteralString, "{" + ", ".join([*pairs, *(f"{k}: $prov.{k}" for k in PROVENANCE)]) + "}")


def _fill_missing(var: str, props: tuple[str, ...]) -> LiteralString:
    """``SET n.p = coalesce(n.p, row.props.p), ...`` for a fixed tuple of property names (never user text)."""
    return cast(LiteralString, ", ".join(f"{var}.{p} = coalesce({var}.{p}, row.props.{p})" for p in props))


_ROLE_LABELS = cast(LiteralString, ":".join(ROLE_LABELS.values()))

MERGE_REGIONS = Query(
    "ingest.merge_regions",
    """
    UNWIND $rows AS row
    MERGE (r:Region {id: row.id})
      ON CREATE SET r.name = row.name, r.level = row.level, r += $prov
    WITH r, row WHERE row.parent IS NOT NULL
    MATCH (p:Region {id: row.parent})
    MERGE (r)-[e:PART_OF]->(p)
      ON CREATE SET e += $prov
    """,
    write=True,
)

MERGE_CAPABILITIES = Query(
    "ingest.merge_capabilities",
    """
    UNWIND $rows AS row
    MERGE (c:Capability {id: row.id})
      ON CREATE SET c.name = row.name, c += $prov
    """,
    write=True,
)

# Organization rows come in two forms. A row that creates its node (the run knows the id is new) is CREATEd
# with its label, properties and edges; any other row (an update, or a record folded into a node first
# created from another record) is MERGEd: ``row.primary`` rows are the node's own record (their values win,
# stale role labels and edges of that record are removed), others only fill properties the node lacks.
_ORGANIZATION_EDGES: LiteralString = """
    CALL (o, row) {
      UNWIND row.offers AS cid
      MATCH (c:Capability {id: cid})
      MERGE (o)-[r:OFFERS]->(c)
      SET r.record = row.record, r += $prov
    }
    CALL (o, row) {
      UNWIND row.needs AS cid
      MATCH (c:Capability {id: cid})
      MERGE (o)-[r:NEEDS]->(c)
      SET r.record = row.record, r.visibility = row.needs_visibility, r += $prov
    }
    CALL (o, row) {
      UNWIND row.clusters AS kid
      MATCH (k:Cluster {id: kid})
      MERGE (o)-[r:MEMBER_OF]->(k)
      SET r += $prov
    }
"""

_NEW_ORGANIZATION = _created(
    "id: row.id",
    *(f"{p}: row.props.{p}" for p in ORGANIZATION_PROPERTIES),
    "location: CASE WHEN row.props.lat IS NULL THEN null "
    "ELSE point({latitude: row.props.lat, longitude: row.props.lon}) END",
    "source_ids: [row.record]",
    "sources: [$prov.source]",
    "record_hashes: [row.hash_entry]",
)

CREATE_ORGANIZATIONS = Query(
    "ingest.create_organizations",
    cast(
        LiteralString,
        """
    UNWIND $rows AS row
    CREATE (o:Organization:$(row.label) """
        + _NEW_ORGANIZATION
        + """)
    WITH o, row,
         COLLECT { MATCH (g:Region {id: row.region}) RETURN g } AS regions,
         COLLECT { MATCH (c:Capability) WHERE c.id IN row.offers RETURN c } AS offers,
         COLLECT { MATCH (c:Capability) WHERE c.id IN row.needs RETURN c } AS needs,
         COLLECT { MATCH (k:Cluster) WHERE k.id IN row.clusters RETURN k } AS clusters
    FOREACH (g IN regions | CREATE (o)-[:LOCATED_IN """
        + _created()
        + """]->(g))
    FOREACH (c IN offers | CREATE (o)-[:OFFERS """
        + _created("record: row.record")
        + """]->(c))
    FOREACH (c IN needs | CREATE (o)-[:NEEDS """
        + _created("record: row.record", "visibility: row.needs_visibility")
        + """]->(c))
    FOREACH (k IN clusters | CREATE (o)-[:MEMBER_OF """
        + _created()
        + """]->(k))
    RETURN count(*) AS written
    """,
    ),
    write=True,
    side_by_side=True,
)
"""Rows the run knows to be new nodes: created with every property, label and edge in one pass, the nodes
they point to looked up first (``COLLECT``) and the edges created after (``FOREACH``)."""

UPSERT_ORGANIZATIONS = Query(
    "ingest.upsert_organizations",
    cast(
        LiteralString,
        """
    UNWIND $rows AS row
    MERGE (o:Organization {id: row.id})
    WITH o, row
    CALL (o, row) {
      WITH o, row WHERE row.primary
      REMOVE o:"""
        + _ROLE_LABELS
        + """
      SET o:$(row.label), o += row.props
    }
    CALL (o, row) {
      WITH o, row WHERE NOT row.primary
      SET """
        + _fill_missing("o", ORGANIZATION_PROPERTIES)
        + """
    }
    SET o.location = CASE WHEN o.lat IS NULL THEN null
                          ELSE point({latitude: o.lat, longitude: o.lon}) END,
        o.source_ids = CASE WHEN row.record IN coalesce(o.source_ids, []) THEN o.source_ids
                            ELSE coalesce(o.source_ids, []) + row.record END,
        o.sources = CASE WHEN $prov.source IN coalesce(o.sources, []) THEN o.sources
                         ELSE coalesce(o.sources, []) + $prov.source END,
        o.record_hashes = [h IN coalesce(o.record_hashes, []) WHERE NOT h STARTS WITH row.hash_prefix]
                          + row.hash_entry,
        o += $prov
    WITH o, row
    """
        + FORGET_UNFIT_NEEDS
        + """
    CALL (o, row) {
      OPTIONAL MATCH (o)-[r:OFFERS|NEEDS]->(c:Capability)
      WHERE r.record = row.record
        AND NOT (type(r) = 'OFFERS' AND c.id IN row.offers)
        AND NOT (type(r) = 'NEEDS' AND c.id IN row.needs)
      DELETE r
    }
    CALL (o, row) {
      WITH o, row WHERE row.region IS NOT NULL
      OPTIONAL MATCH (o)-[old:LOCATED_IN]->(g:Region) WHERE g.id <> row.region
      DELETE old
      WITH DISTINCT o, row
      MATCH (g:Region {id: row.region})
      MERGE (o)-[r:LOCATED_IN]->(g)
      SET r += $prov
    }
    """
        + _ORGANIZATION_EDGES
        + """
    RETURN count(*) AS written
    """,
    ),
    write=True,
)


def _node_upsert(name: str, label: Label) -> Query:
    """The write of one kind of node known by its id alone: every row sets the node's properties, its
    content hash and the provenance, whether the node is new or not (``label`` is fixed code, never user
    text). Rows name distinct ids, so batches run side by side."""
    return Query(
        f"ingest.upsert_{name}",
        cast(
            LiteralString,
            f"""
    UNWIND $rows AS row
    MERGE (n:{label.value} {{id: row.id}})
    SET n += row.props, n.hash = row.hash, n += $prov
    RETURN count(*) AS written
    """,
        ),
        write=True,
        side_by_side=True,
    )


UPSERT_CLUSTERS = _node_upsert("clusters", Label.CLUSTER)

LINK_MANAGERS = Query(
    "ingest.link_managers",
    """
    UNWIND $rows AS row
    MATCH (c:Cluster {id: row.cluster})
    MATCH (o:Organization {id: row.organization})
    OPTIONAL MATCH (other:Organization)-[old:MANAGES]->(c) WHERE other <> o
    DELETE old
    WITH DISTINCT c, o
    MERGE (o)-[r:MANAGES]->(c)
    SET r += $prov
    RETURN count(*) AS written
    """,
    write=True,
)


def _link_writes(
    name: str,
    match: LiteralString,
    start: LiteralString,
    rel: LiteralString,
    end: LiteralString,
    key: tuple[str, ...],
    fields: tuple[str, ...],
) -> tuple[Query, Query]:
    """The MERGE and the CREATE form of one link write: ``(start)-[r:rel {key}]->(end)`` with ``fields``
    and provenance, each ``row.<name>`` / ``$prov.<name>``. The run knows every key already in the graph,
    so rows it knows to be new are CREATEd, skipping the existence check MERGE makes, with every property
    in the pattern: named properties rather than ``+= $prov`` spare the planner's Eager buffering. The
    MERGE form gets the links the graph holds, so it only sets their properties: each form runs side by
    side with itself (``Query.side_by_side``), never with the other."""
    sets = [f"r.{f} = row.{f}" for f in fields] + [f"r.{p} = $prov.{p}" for p in PROVENANCE]
    key_map = " {" + ", ".join(f"{f}: row.{f}" for f in key) + "}" if key else ""
    head = f"UNWIND $rows AS row {match} "
    merge = (
        f"{head}MERGE ({start})-[r:{rel}{key_map}]->({end}) SET {', '.join(sets)} RETURN count(*) AS written"
    )
    properties = _created(*(f"{f}: row.{f}" for f in (*key, *fields)))
    create = f"{head}CREATE ({start})-[r:{rel} {properties}]->({end}) RETURN count(*) AS written"
    return (
        Query(f"ingest.upsert_{name}", cast(LiteralString, merge), write=True, side_by_side=True),
        Query(f"ingest.create_{name}", cast(LiteralString, create), write=True, side_by_side=True),
    )


UPSERT_MEMBERSHIPS, CREATE_MEMBERSHIPS = _link_writes(
    "memberships",
    "MATCH (o:Organization {id: row.organization}) MATCH (c:Cluster {id: row.cluster})",
    "o",
    "MEMBER_OF",
    "c",
    (),
    ("since", "since_precision", "hash"),
)

# Stored once per pair and kind, from the smaller id to the larger (``row.a`` < ``row.b``); read undirected.
UPSERT_COLLABORATIONS, CREATE_COLLABORATIONS = _link_writes(
    "collaborations",
    "MATCH (a:Organization {id: row.a}) MATCH (b:Organization {id: row.b})",
    "a",
    "COLLABORATES_WITH",
    "b",
    ("kind",),
    ("since", "since_precision", "weight", "hash"),
)

UPSERT_PARTICIPATIONS, CREATE_PARTICIPATIONS = _link_writes(
    "participations",
    "MATCH (o:Organization {id: row.organization}) MATCH (p:Project {id: row.project})",
    "o",
    "PARTICIPATES_IN",
    "p",
    (),
    ("role", "hash"),
)

UPSERT_PROJECTS = _node_upsert("projects", Label.PROJECT)

# --- benchmark reference points (bench/bench_ingest.py) ---------------------------------------------------

TRANSFER_ONLY = Query(
    "ingest.transfer_only",
    "UNWIND $rows AS row RETURN count(*) AS rows",
)

CREATE_BARE_ORGANIZATIONS = Query(
    "ingest.create_bare_organizations",
    "UNWIND $rows AS row CREATE (o:Organization {id: row.id}) RETURN count(*) AS rows",
    write=True,
)
"""The least a new organization costs the server: its node with the id alone, from the same rows."""
