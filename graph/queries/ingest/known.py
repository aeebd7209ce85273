"""What entity resolution and change detection start from: the keys of every organization, and the content
hashes of the other nodes and of the links, as ``graph.queries.ingest.writes`` stored them.
"""

from __future__ import annotations

from graph.query import Query

# Each returns ONE record holding a list (read with ``Graph.value``): a list per row keeps nulls in place.
ORGANIZATION_KEYS = Query(
    "ingest.organization_keys",
    """
    MATCH (o:Organization)
    RETURN collect([o.id, o.source_ids, o.registry_id, o.vat, o.domain, o.name_key, o.record_hashes]) AS rows
    """,
)

NODE_HASHES = Query(
    "ingest.node_hashes",
    "MATCH (n:$($label)) RETURN collect([n.id, n.hash]) AS rows",
)

# The key is ``ingest.known.link_key``: both ids and the kind, joined by ``$separator``.
LINK_HASHES = Query(
    "ingest.link_hashes",
    """
    MATCH (a)-[r:$($type)]->(b)
    RETURN collect([a.id + $separator + b.id + $separator + coalesce(r.kind, ''), r.hash]) AS rows
    """,
)
