"""Queries of matching: the embedding write path, the candidates and signals of a suggestion, feedback.

Privacy: a need's vector lives where its visibility allows. A public need's text is a ``(:NeedText {hash})``
node, one per distinct public text and embedder (``hash``: ``matching.embed.content_hash``), holding its
vector in ``embedding``, which the shared needs vector index covers; each organization stating it publicly
is linked ``(o)-[:STATES_NEED]->(t)``. A private need's vector goes to ``private_needs_embedding``, which no
index covers and only the seeker's own suggestion reads (:data:`SUGGEST`, through ``_seeker_profile`` and
``_seeker_context``). A link exists only while the organization states that text publicly (every write that
changes a need, its visibility or an organization drops it in the same transaction, :data:`UNLINK_NEED`),
and a text node no organization states publicly any more is deleted with its vector. No query here returns
another organization's needs, and the shared needs index holds no private need.
"""

from __future__ import annotations

from typing import LiteralString, cast

from graph.queries import snapshot
from graph.query import Query

# --- embeddings ---------------------------------------------------------------------------------------------

_FIELDS: tuple[str, ...] = ("capability", "needs", "private_needs")
"""The embedded texts of an organization (``matching.embed.FIELDS``): its description, a public need and a
private need (an organization has at most one of the last two, by its ``needs_visibility``)."""
_STAGED: tuple[str, ...] = ("capability",)
"""The fields whose bulk writes are staged beside the current vectors (``matching.vector_index``). A public
need's vector sits on its text's node, one per distinct text: a new text is a new node, so nothing is
overwritten while the needs index answers. ``private_needs`` is in no index, on purpose."""
_NEEDS_PARTS: LiteralString = "o.needs_hash, o.needs_key, o.needs_sentences, o.needs_sentence_vectors"
"""What an organization keeps of its public need's embedding (the vector is its text node's)."""
_EMBEDDING_PARTS: tuple[str, ...] = ("hash", "key", "sentences", "sentence_vectors")
"""What is stored with a text's vector, each as ``<field>_<part>``; ``<field>_embedding`` is the vector."""
_TEXTS: LiteralString = """
    WITH o, o.description AS capability_text,
         CASE WHEN o.needs_visibility = 'public' THEN o.needs END AS needs_text,
         CASE WHEN o.needs_visibility = 'public' THEN null ELSE o.needs END AS private_needs_text
    """
"""Each field's current text: a need counts as public only when marked so (no visibility reads private)."""


def _stale(field: str) -> LiteralString:
    """Whether ``field``'s embedding may differ from its text (fixed names, never user text)."""
    return cast(
        LiteralString,
        f"CASE WHEN {field}_text IS NULL THEN o.{field}_hash IS NOT NULL "
        f"ELSE o.{field}_key IS NULL OR o.{field}_key <> $key_prefix + {field}_text END",
    )


def _embed_stale(name: str, match: LiteralString) -> Query:
    stale = " OR ".join(_stale(field) for field in _FIELDS)
    returned = ", ".join(
        f"{field}_text AS {field}, o.{field}_hash AS {field}_hash, o.{field}_key AS {field}_key"
        for field in _FIELDS
    )
    text = f"{match} {_TEXTS} WITH * WHERE {stale} RETURN o.id AS id, {returned}"
    return Query(name, cast(LiteralString, text))


EMBED_STALE = _embed_stale("matching.embed_stale", "MATCH (o:Organization)")
"""The organizations whose description or needs may differ from what was embedded: the text is compared in
the server with the key stored with the embedding (``$key_prefix``: the model name, the way texts are cut
and a NUL, followed by the text as it was embedded), so a run with nothing changed reads no text and ingest
or the API need not flag their edits. A text gone while its embedding stays is stale too, and so is a need
whose visibility changed (it now belongs in the other field)."""

EMBED_STALE_OF = _embed_stale("matching.embed_stale_of", "UNWIND $ids AS id MATCH (o:Organization {id: id})")
""":data:`EMBED_STALE` for the organizations ``$ids`` only (the API re-embeds what it just wrote)."""

ADOPT_KEYS = Query(
    "matching.adopt_keys",
    """
    UNWIND $rows AS row
    MATCH (o:Organization {id: row.id})
    SET o.capability_key = coalesce(row.capability_key, o.capability_key),
        o.needs_key = coalesce(row.needs_key, o.needs_key),
        o.private_needs_key = coalesce(row.private_needs_key, o.private_needs_key)
    """,
    write=True,
)
"""Keys for embeddings whose content hash still matches their text (embedded before keys were stored): no
encoding needed."""


def _write_embeddings(field: str, target: str) -> Query:
    """``UNWIND $rows`` writing a text's vector and what goes with it to ``<target>_embedding``,
    ``<target>_hash``... (``target``: the field's own properties or its staged ones; fixed names, never user
    text). The vector goes through ``setNodeVectorProperty``, which stores it as 32-bit floats."""
    sets = ", ".join(f"o.{target}_{part} = row.{part}" for part in _EMBEDDING_PARTS)
    text = f"""
    UNWIND $rows AS row
    MATCH (o:Organization {{id: row.id}})
    CALL db.create.setNodeVectorProperty(o, '{target}_embedding', row.vector)
    SET {sets}
    """
    verb = "stage" if target != field else "write"
    return Query(f"matching.{verb}_{field}_embeddings", cast(LiteralString, text), write=True)


def _promote_staged(field: str) -> Query:
    """Move a field's staged vectors and what goes with them into its own properties, in transactions of
    ``$batch`` organizations (an auto-commit query)."""
    sets = ", ".join(f"o.{field}_{part} = o.staged_{field}_{part}" for part in _EMBEDDING_PARTS)
    removed = ", ".join(f"o.staged_{field}_{part}" for part in ("embedding", *_EMBEDDING_PARTS))
    text = f"""
    MATCH (o:Organization) WHERE o.staged_{field}_hash IS NOT NULL
    CALL (o) {{
      CALL db.create.setNodeVectorProperty(o, '{field}_embedding', o.staged_{field}_embedding)
      SET {sets}
      REMOVE {removed}
    }} IN TRANSACTIONS OF $batch ROWS
    """
    return Query(f"matching.promote_staged_{field}", cast(LiteralString, text), write=True)


UNLINK_NEED: LiteralString = """
    WITH o
    CALL (o) {
      MATCH (o)-[r:STATES_NEED]->(t:NeedText)
      DELETE r
      WITH DISTINCT t WHERE NOT EXISTS { (t)<-[:STATES_NEED]-() }
      DELETE t
    }
    """
"""For an organization ``o`` (after any clause): drop its link to the public need text it stated, and that
text's node (with its vector, out of the needs index) when no organization states it publicly any more."""

WRITE_NEED_TEXTS = Query(
    "matching.write_needs_embeddings",
    cast(
        LiteralString,
        """
    UNWIND $rows AS row
    MATCH (o:Organization {id: row.id})
    WHERE o.needs_visibility = 'public' AND row.key = $key_prefix + o.needs
    CALL (o, row) {
      MATCH (o)-[r:STATES_NEED]->(was:NeedText) WHERE was.hash <> row.hash
      DELETE r
      WITH DISTINCT was WHERE NOT EXISTS { (was)<-[:STATES_NEED]-() }
      DELETE was
    }
    MERGE (t:NeedText {hash: row.hash})
    WITH o, row, t
    CALL (t, row) {
      WITH t, row WHERE NOT EXISTS { (t)<-[:STATES_NEED]-() }
      CALL db.create.setNodeVectorProperty(t, 'embedding', row.vector)
    }
    MERGE (o)-[:STATES_NEED]->(t)
    SET o.needs_hash = row.hash, o.needs_key = row.key, o.needs_sentences = row.sentences,
        o.needs_sentence_vectors = row.sentence_vectors
    """,
    ),
    write=True,
)
"""``UNWIND $rows`` of public needs (``id``, ``hash``, ``key``, ``vector``, ``sentences``,
``sentence_vectors``): link each organization to its text's node, created with the vector when no one stated
it yet (a text is encoded once, whoever states it: ``hash`` is of the embedder and the text), and drop a link
to the text it stated before. Written only while the organization still states that very text publicly
(``$key_prefix``: ``matching.embed.key_prefix``): a need turned private or changed since it was read for
encoding is skipped, so that no private text ever gets a node."""

WRITE_EMBEDDINGS = {
    field: WRITE_NEED_TEXTS if field == "needs" else _write_embeddings(field, field) for field in _FIELDS
}
"""Per field: write vectors to the organizations' own properties (what a vector index covers, if any), a
public need's to its text's node. Each runs with ``rows`` and ``key_prefix``."""
STAGE_EMBEDDINGS = {field: _write_embeddings(field, f"staged_{field}") for field in _STAGED}
"""Per staged field: write vectors beside the current ones (``staged_<field>_...``), which go on answering
until :data:`PROMOTE_STAGED` moves the new ones in (a bulk write, ``matching.vector_index``)."""
PROMOTE_STAGED = {field: _promote_staged(field) for field in _STAGED}


def _stored(field: str) -> str:
    """Every property of ``field``'s embedding, current and staged: ``o.capability_embedding, ...``."""
    return ", ".join(
        f"o.{prefix}{field}_{part}" for prefix in ("", "staged_") for part in ("embedding", *_EMBEDDING_PARTS)
    )


def _clear_embeddings(field: str) -> Query:
    """Remove a field's vector and what goes with it, current and staged, from the organizations ``$ids``
    (their text is gone); a public need's link to its text's node too."""
    removed = _NEEDS_PARTS if field == "needs" else _stored(field)
    unlink = UNLINK_NEED if field == "needs" else ""
    text = f"""
    UNWIND $ids AS id
    MATCH (o:Organization {{id: id}})
    REMOVE {removed}
    {unlink}
    """
    return Query(f"matching.clear_{field}_embeddings", cast(LiteralString, text), write=True)


CLEAR_EMBEDDINGS = {field: _clear_embeddings(field) for field in _FIELDS}

_EMBEDDED_NEEDS_TEXT: LiteralString = "substring(o.needs_key, size(split(o.needs_key, '\\u0000')[0]) + 1)"
"""The need text ``o``'s public need embedding was made from: its key after the first NUL."""

FORGET_UNFIT_NEEDS = cast(
    LiteralString,
    f"""
    CALL (o) {{
      WITH o WHERE (o.needs_hash IS NOT NULL OR EXISTS {{ (o)-[:STATES_NEED]->() }})
               AND (o.needs IS NULL OR coalesce(o.needs_visibility, '') <> 'public'
                    OR (o.needs_key IS NOT NULL AND {_EMBEDDED_NEEDS_TEXT} <> o.needs))
      REMOVE {_NEEDS_PARTS}
      {UNLINK_NEED}
    }}
    CALL (o) {{
      WITH o WHERE o.private_needs_hash IS NOT NULL AND (o.needs IS NULL OR o.needs_visibility = 'public')
      REMOVE {_stored("private_needs")}
    }}
    """,
)
"""For an organization ``o`` just written: drop a need's vector that its text or visibility no longer allows
(a need now private or changed leaves its public text's node in the same transaction, and the node goes
when no one else states it; a deleted need leaves no vector, sentences or quote), before any ``embed``.
Part of the ingest write (``graph.queries.ingest``)."""

NEEDS_EMBEDDINGS = cast(LiteralString, f"{_NEEDS_PARTS}, {_stored('private_needs')}")
"""Every property of ``o``'s need embeddings, public and private (to ``REMOVE`` when a need is replaced:
``graph.queries.api.SET_NEED``, which drops the link to the public text with :data:`UNLINK_NEED`)."""

DROP_UNSTATED_NEED_TEXTS = Query(
    "matching.drop_unstated_need_texts",
    """
    MATCH (t:NeedText) WHERE NOT EXISTS { (t)<-[:STATES_NEED]-() }
    DELETE t
    RETURN count(*) AS dropped
    """,
    write=True,
)
"""Delete the text nodes no organization states publicly (left by an organization deleted by hand, which
``DETACH DELETE`` unlinks without looking at its text): every ``embed`` starts with it."""

STAGED_LEFT = Query(
    "matching.staged_left",
    """
    RETURN EXISTS { MATCH (o:Organization) WHERE o.staged_capability_hash IS NOT NULL } AS capability
    """,
)
"""Which fields hold staged vectors (a bulk ``embed`` stopped before moving them in): an index look-up
(migration 0200), so every run can ask."""

COUNT_EMBEDDED = Query(
    "matching.count_embedded",
    """
    MATCH (o:Organization)
    WITH count(o) AS organizations, count(o.capability_hash) AS capability, count(o.needs_hash) AS needs,
         count(o.private_needs_hash) AS private_needs,
         count(o.staged_capability_hash) AS staged_capability
    RETURN organizations, capability, needs, private_needs, staged_capability,
           COUNT { (:NeedText) } AS need_texts
    """,
)
"""How many organizations, how many of them have each embedding (``embed``'s summary, the benchmarks), and
how many distinct public need texts the needs index holds. Counts the hashes, which are written and removed
with the embeddings: an existence test on a vector property reads the whole vector."""

# --- the vector indexes -------------------------------------------------------------------------------------

VECTOR_INDEX = Query(
    "matching.vector_index",
    "SHOW VECTOR INDEXES YIELD name, state, options WHERE name = $name "
    "RETURN state, options.indexConfig AS config",
)
"""The state and configuration of the vector index ``$name``; no row when it does not exist."""

DROP_VECTOR_INDEX = Query("matching.drop_vector_index", "DROP INDEX $name IF EXISTS", write=True)

VECTOR_INDEX_EMPTY = Query(
    "matching.vector_index_empty",
    "CALL db.index.vector.queryNodes($name, 1, $probe) YIELD node RETURN count(node) = 0 AS empty",
)
"""Whether the online vector index ``$name`` holds no vector: a search for any ``$probe`` finds nothing
(one look-up, where counting the vectors stored would read each of them)."""

CREATE_CAPABILITY_INDEX = Query(
    "matching.create_capability_index",
    """
    CREATE VECTOR INDEX organization_capability_embedding IF NOT EXISTS
    FOR (n:Organization) ON (n.capability_embedding) OPTIONS {indexConfig: $config}
    """,
    write=True,
)
CREATE_NEEDS_INDEX = Query(
    "matching.create_needs_index",
    """
    CREATE VECTOR INDEX need_text_embedding IF NOT EXISTS
    FOR (t:NeedText) ON (t.embedding) OPTIONS {indexConfig: $config}
    """,
    write=True,
)
"""The two vector indexes as ``graph.vector_index`` (re)creates them, with the HNSW settings of ``$config``
(the first ones come from migrations 0001 and 0400 with Neo4j's defaults). The needs index holds each
distinct public need text once: HNSW links identical vectors only to each other, so 600 organizations
stating one text word for word formed an island of 600 in a per-organization index that a search 20 deep
never reached (``bench/bench_suggest.py``)."""

# --- suggestions -------------------------------------------------------------------------------------------

_INDEX_SEARCH: LiteralString = """
    CALL (vector) {
      WITH vector WHERE vector IS NOT NULL
      CALL db.index.vector.queryNodes('organization_capability_embedding', $search_k, vector)
        YIELD node, score
      RETURN collect({c: node, score: score}) AS found
    }
    """
"""The capabilities nearest to ``vector`` that the index finds searching ``$search_k`` deep, as ``found``
(empty without a vector). An HNSW search is approximate: searching deeper than the ``$k`` kept finds more of
the true nearest, and what it found is returned too, so that ``matching.index_check`` can check it. The
index keeps full vectors (``matching.vector_index``), so its scores are the exact (1 + cos) / 2 and need no
re-ranking: a quantized index needed the exact cosine of every vector found, read from the store, 28% of the
server's CPU for a suggestion (Java Flight Recorder)."""

_TOP_K: LiteralString = """
    WITH c, score ORDER BY score DESC LIMIT $k
    """
"""The ``$k`` nearest of those found (:data:`_INDEX_SEARCH`) that pass the filters."""

_SEARCHED: LiteralString = """
    [hit IN found | hit.c.id] AS searched_ids, [hit IN found | hit.score] AS searched_scores,
    COUNT { (:Organization) } AS organizations
    """
"""What the index search found (ids and scores, nearest first), for ``matching.index_check``, and how many
organizations the graph holds (from the count store), which tells it when its sample is older."""

REGION_PROPERTIES: tuple[str, ...] = ("region", "country", "city")
"""The properties of an organization ``c`` that a region filter matches by value."""
REGIONS_ABOVE: LiteralString = "(c)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..6]->(g:Region)"
"""The regions ``g`` that an organization ``c`` lies in: its own and each one above it."""
REGION_KEYS: tuple[str, ...] = ("id", "name")
"""What of a region ``g`` (:data:`REGIONS_ABOVE`) a region filter matches. These three make the region
filter (:data:`_FILTERS`) and the values it matches some organization by (``web.SEARCH_CHOICES``, which the
search page takes a region by): one rule, so the page refuses no region the filter takes."""
_REGION_MATCHES = cast(
    LiteralString,
    " OR ".join(
        [f"c.{name} IN $regions" for name in REGION_PROPERTIES]
        + [f"EXISTS {{ {REGIONS_ABOVE} WHERE {' OR '.join(f'g.{key} IN $regions' for key in REGION_KEYS)} }}"]
    ),
)

_FILTERS: LiteralString = (
    """
    (s IS NULL OR c <> s) AND NOT c IN excluded
    AND ($roles IS NULL OR c.role IN $roles)
    AND ($size_classes IS NULL OR c.size_class IN $size_classes)
    AND ($sectors IS NULL OR any(sector IN coalesce(c.sectors, []) WHERE sector IN $sectors))
    AND ($regions IS NULL OR """
    + _REGION_MATCHES
    + """)
    AND ($clusters IS NULL
         OR EXISTS { (c)-[:MEMBER_OF]->(k:Cluster) WHERE k.id IN $clusters OR k.name IN $clusters })
    AND ($max_m IS NULL OR point.distance(c.location, origin) <= $max_m)
    """
)
"""Whether candidate ``c`` may be suggested to ``s``: not the seeker, not ``excluded``, and every filter
given holds."""

_REGION_KNOWN = cast(
    LiteralString,
    f"EXISTS {{ MATCH (g:Region) WHERE {' OR '.join(f'g.{key} = v' for key in REGION_KEYS)} "
    f"MATCH {REGIONS_ABOVE} }} OR EXISTS {{ MATCH (c:Organization) "
    f"WHERE {' OR '.join(f'c.{name} = v' for name in REGION_PROPERTIES)} }}",
)

UNKNOWN_FILTER_VALUES = Query(
    "matching.unknown_filter_values",
    "RETURN [v IN $clusters WHERE NOT EXISTS { MATCH (k:Cluster) WHERE k.id = v OR k.name = v }] "
    "AS clusters, [v IN $regions WHERE NOT (" + _REGION_KNOWN + ")] AS regions, "
    "[v IN $sectors WHERE NOT EXISTS { MATCH (c:Organization) WHERE v IN c.sectors }] AS sectors",
    plain=True,
)
"""The values of the cluster, region and sector filters (:data:`_FILTERS`) that name nothing: a cluster by
neither id nor name; a region, country or town that no organization matches by the filter's own terms (those
of ``web.SEARCH_CHOICES``); a sector no organization works in. Each is looked up by itself, so a filter of
known values costs an index look-up or the first organization found, not a scan of the candidates."""


_PUBLIC_NEED_VECTOR = "head([(s)-[:STATES_NEED]->(t:NeedText) | t.embedding])"
"""The vector of the seeker's public need: its text's node's."""


def _need(part: str, *, own: bool) -> str:
    """The seeker's need ``part`` (``embedding``, ``sentences``...): its public need's, or, when ``own`` (the
    organization asks for itself or its manager for it), its public or private need's."""
    public = _PUBLIC_NEED_VECTOR if part == "embedding" else f"s.needs_{part}"
    return f"coalesce({public}, s.private_needs_{part})" if own else public


def _seeker_context(*, own: bool) -> LiteralString:
    """The seeker ``s`` (null for an anonymous need) in the server: the vector it searches with (``$vector``
    when given, else its need's (see :func:`_need`), else its capability's), its partners and its clusters,
    as nodes, so that the candidate queries below never send a vector or an id list back and forth."""
    text = f"""
    WITH s, coalesce($vector, {_need("embedding", own=own)}, s.capability_embedding) AS vector,
         [(s)-[:COLLABORATES_WITH]-(p:Organization) | p] AS partners,
         [(s)-[:MEMBER_OF]->(k:Cluster) | k] AS clusters
    """
    return cast(LiteralString, text)


def _seeker_profile(*, own: bool) -> LiteralString:
    """What ``matching.seeker`` needs of an organization asking: its place, the sentences of the text it
    searches with (its need's, see :func:`_need`, else its capability's), partners, clusters with their
    managers, declined suggestions. Null when ``s`` is."""
    need = _need("embedding", own=own)
    text = f"""
    s {{.id, .name, .role, .city, .region, .country, .lat, .lon,
       basis: CASE WHEN {need} IS NOT NULL THEN 'need'
                   WHEN s.capability_embedding IS NOT NULL THEN 'capability' END,
       sentences: CASE WHEN {need} IS NOT NULL THEN {_need("sentences", own=own)}
                       ELSE s.capability_sentences END,
       sentence_vectors: CASE WHEN {need} IS NOT NULL THEN {_need("sentence_vectors", own=own)}
                              ELSE s.capability_sentence_vectors END,
       partners: [p IN partners | p {{.id, .name, .role}}],
       clusters: [k IN clusters | k {{.id, .name,
                  managers: [(m:Organization)-[:MANAGES]->(k) | m {{.id, .name, .role}}]}}],
       declined: [(s)-[f:SUGGESTION_FEEDBACK]->(d:Organization) WHERE f.accepted = false | d.id]}}
    """
    return cast(LiteralString, text)


_CANDIDATE_INPUTS: LiteralString = """
    c {.id, .name, .role, .city, .region, .lat, .lon, sources,
       similarity: coalesce(score, vector.similarity.cosine(c.capability_embedding, vector)),
       shared_clusters: [(c)-[:MEMBER_OF]->(k:Cluster) WHERE k IN clusters | k.id],
       degree: COUNT { (c)-[:COLLABORATES_WITH]-() },
       shared_partners: [(c)-[:COLLABORATES_WITH]-(p:Organization) WHERE p IN partners | p.id]}
    """
"""What the signals of a candidate ``c`` are computed from (``matching.signal_ranking.CandidateSignals``).
Similarities are (1 + cos) / 2, as the index scores them."""

_SIMILAR_PEERS: LiteralString = """
          CALL db.index.vector.queryNodes('need_text_embedding', $similar_k + 1, vector)
            YIELD node AS text, score
          WITH s, text ORDER BY score DESC
          WITH s, collect(text) AS texts
          CALL (s, texts) {
            UNWIND texts AS text
            MATCH (text)<-[:STATES_NEED]-(peer:Organization)
            WHERE peer.needs_visibility = 'public' AND (s IS NULL OR peer <> s)
            RETURN text, peer LIMIT $similar_k
          }
          WITH s, text, peer
    """
"""The ``$similar_k`` organizations with a public need nearest to ``vector`` (``peer``, with its ``text``),
the seeker aside: the nearest distinct public need texts in order, each with the organizations that state
it. Organizations stating one text tie; of a text stated by more than are wanted, the first the store reads
count. The texts are walked nearest first and the walk stops at ``$similar_k`` organizations, so a text
stated word for word by thousands costs what one stated by a few does, and the texts after the one that
fills the ``$similar_k`` are not read at all (most often the nearest text alone fills them: reading up to
``$similar_k`` of each text's organizations and sorting them all cost the server 0.6 ms of CPU per
suggestion more). ``$similar_k + 1`` texts cover the seeker's own."""

SEEKER = Query(
    "matching.seeker",
    """
    MATCH (s:Organization {id: $id})
    """
    + _seeker_context(own=False)
    + "RETURN vector AS embedding, "
    + _seeker_profile(own=False)
    + " AS seeker",
    plain=True,
)
"""The seeker's profile and the vector it searches with (``$vector`` null: its stored one), for the
benchmarks; ``suggest`` reads the profile together with its candidates. The queries with the seeker's
profile are the only ones that read an organization's needs, and only the seeker's own; this one only a
public need."""

SUGGEST = Query(
    "matching.suggest",
    """
    OPTIONAL MATCH (s:Organization {id: $seeker})
    """
    + _seeker_context(own=True)
    + """
    WITH s, vector, partners, clusters,
         coalesce(s.location, CASE WHEN $lat IS NOT NULL AND $lon IS NOT NULL
                                   THEN point({latitude: $lat, longitude: $lon}) END) AS origin,
         [(s)-[f:SUGGESTION_FEEDBACK]->(d:Organization) WHERE f.accepted = false | d]
           + CASE WHEN $include_partners THEN [] ELSE partners END AS excluded
    """
    + _INDEX_SEARCH
    + """
    CALL (s, vector, partners, clusters, origin, excluded, found) {
      CALL (s, vector, partners, clusters, origin, excluded, found) {
        CALL (s, vector, partners, clusters, origin, excluded, found) {
          UNWIND found AS hit
          WITH s, vector, origin, excluded, hit.c AS c, hit.score AS score WHERE"""
    + _FILTERS
    + _TOP_K
    + """
          RETURN c, 'semantic' AS source, score
          UNION
          UNWIND partners AS p
          MATCH (p)-[:COLLABORATES_WITH]-(c:Organization)
          WITH c, count(*) AS paths ORDER BY paths DESC LIMIT $graph_limit
          RETURN c, 'partner_of_partner' AS source, null AS score
          UNION
          UNWIND clusters AS k
          CALL (k) { MATCH (k)<-[:MEMBER_OF]-(c:Organization) RETURN c LIMIT $cluster_limit }
          RETURN DISTINCT c, 'same_cluster' AS source, null AS score
          UNION
          WITH s, vector WHERE vector IS NOT NULL"""
    + _SIMILAR_PEERS
    + """
          MATCH (peer)-[:COLLABORATES_WITH]-(c:Organization)
          WITH c, count(*) AS peers ORDER BY peers DESC LIMIT $graph_limit
          RETURN c, 'partner_of_similar' AS source, null AS score
        }
        RETURN c, collect(source) AS sources, max(score) AS score
      }
      WITH *
      WHERE"""
    + _FILTERS
    + """
      RETURN collect("""
    + _CANDIDATE_INPUTS
    + """) AS candidates
    }
    RETURN """
    + _seeker_profile(own=True)
    + """ AS seeker, candidates, CASE WHEN $vector IS NULL THEN vector END AS vector,"""
    + _SEARCHED,
    plain=True,
)
"""One round trip for a suggestion: the seeker's profile (null for an anonymous need, or an unknown id) and
its filtered candidates with what the signals need. Candidates come from the capability vector index (the
seeker's need against others' capabilities, see ``_TOP_K``: the nearest that pass the filters, which
apply after the index) and from the graph (up to ``$graph_limit`` partners of partners, ``$cluster_limit``
members of each shared cluster and ``$graph_limit`` partners of organizations with a similar public need).
Excluded: the seeker, organizations it declined, and its partners unless ``$include_partners``."""

_DETAILS = (
    """
    OPTIONAL MATCH (s:Organization {id: $seeker})
    WITH s, [(s)-[:MEMBER_OF]->(k:Cluster) | k] AS clusters, [] AS excluded,
         s.location AS origin
    CALL (s, clusters, excluded, origin) {
      UNWIND range(0, size($ids) - 1) AS i
      MATCH (c:Organization {id: $ids[i]})
      WITH s, clusters, excluded, origin, c, i WHERE"""
    + _FILTERS
    + """
      WITH c, i, clusters ORDER BY i
      RETURN collect(c {.id, .name, .role, .city, .region, .lat, .lon,
                        shared_clusters: [(c)-[:MEMBER_OF]->(k:Cluster) WHERE k IN clusters | k.id]})
             AS candidates
    }
    CALL () {
      MATCH (p:Organization) WHERE p.id IN $partners
      RETURN collect(p {.id, .name, .role}) AS partners
    }
    """
)
_DETAILS_RETURN = """
    RETURN s {.id, .name, .role, .city, .region, .country, .lat, .lon,
              clusters: [k IN clusters | k {.id, .name,
                         managers: [(m:Organization)-[:MANAGES]->(k) | m {.id, .name, .role}]}]} AS seeker,
           candidates, partners"""
LEARNED_DETAILS = Query("matching.learned_details", _DETAILS + _DETAILS_RETURN, plain=True)
"""One round trip for a learned suggestion: the seeker's profile (no text, no needs: the ranking read those
from the snapshot), the ranked candidates ``$ids`` that pass the filters, in their order, with what their
reasons need, and the names of the shared partners ``$partners`` the snapshot found."""
LEARNED_DETAILS_CHECKED = Query(
    "matching.learned_details_checked",
    _DETAILS + snapshot.VERSION_CALLS + _DETAILS_RETURN + ", " + snapshot.VERSION_MAP + " AS version",
    plain=True,
)
"""The same and the graph's version in the same round trip, for a ranking on a snapshot held since an
earlier request: its details are used only when the version is the snapshot's."""

POOL_DETAILS = Query(
    "matching.pool_details",
    """
    UNWIND range(0, size($ids) - 1) AS i
    MATCH (c:Organization {id: $ids[i]})
    RETURN c.id AS id, c.capability_sentences AS sentences, c.capability_sentence_vectors AS sentence_vectors
    ORDER BY i
    """,
    plain=True,
)
"""For the best candidates only (in ``$ids`` order): their sentences and sentence vectors, for the pair
reason and the diversity re-ranking (``matching.signal_ranking.pairwise``)."""

# --- feedback ----------------------------------------------------------------------------------------------

RECORD_FEEDBACK = Query(
    "matching.record_feedback",
    """
    MATCH (s:Organization {id: $seeker})
    MATCH (p:Organization {id: $partner})
    MERGE (s)-[f:SUGGESTION_FEEDBACK]->(p)
    SET f.accepted = $accepted, f.comment = $comment, f.by = $by, f.at = datetime()
    RETURN s.id AS seeker, p.id AS partner, f.accepted AS accepted, f.comment AS comment, f.by AS by,
           toString(f.at) AS at
    """,
    write=True,
)
"""One edge per (seeker, suggested) pair: the latest answer wins, so a declined pair can be accepted later."""

MISSING_ORGANIZATIONS = Query(
    "matching.missing_organizations",
    "UNWIND $ids AS id WITH id WHERE NOT EXISTS { MATCH (:Organization {id: id}) } RETURN id",
)
"""Which of ``$ids`` name no organization (an answer about an unknown pair names the unknown side)."""

FEEDBACK_OF = Query(
    "matching.feedback_of",
    """
    MATCH (s:Organization {id: $seeker})-[f:SUGGESTION_FEEDBACK]->(p:Organization)
    RETURN s.id AS seeker, p.id AS partner, f.accepted AS accepted, f.comment AS comment, f.by AS by,
           toString(f.at) AS at
    ORDER BY f.at DESC
    """,
)

# --- benchmarks (bench/bench_embed.py, bench/bench_suggest.py) ----------------------------------------------

ROUND_TRIP = Query("matching.round_trip", "RETURN 1 AS one")
"""The cheapest query: the baseline a suggestion's latency is compared with in the same run."""

CAPABILITY_VECTORS_PAGE = Query(
    "matching.capability_vectors_page",
    """
    MATCH (o:Organization) WHERE o.id > $after AND o.capability_embedding IS NOT NULL
    RETURN o.id AS id, o.capability_embedding AS vector ORDER BY o.id LIMIT $limit
    """,
)
"""Every stored capability vector, page by page in id order: the exact top-k the index is compared with."""

NEEDS_VECTORS_PAGE = Query(
    "matching.needs_vectors_page",
    """
    MATCH (t:NeedText)<-[:STATES_NEED]-(o:Organization) WHERE o.id > $after
    RETURN o.id AS id, t.embedding AS vector ORDER BY o.id LIMIT $limit
    """,
)
"""Every organization with a public need and its text's vector (what the needs index holds, once per text),
page by page in id order, for the same comparison."""

NEAREST_NEEDS = Query(
    "matching.nearest_needs",
    """
    WITH $vector AS vector, null AS s
    """
    + _SIMILAR_PEERS
    + """
    RETURN peer.id AS id, 2 * vector.similarity.cosine(text.embedding, $vector) - 1 AS cosine
    """,
)
"""The organizations with a public need nearest to ``$vector``, searched as :data:`SUGGEST` searches for
organizations with a similar need (``$similar_k``), with the cosine of their need."""

NEAREST_CAPABILITIES = Query(
    "matching.nearest_capabilities",
    """
    WITH $vector AS vector
    """
    + _INDEX_SEARCH
    + "RETURN"
    + _SEARCHED,
    plain=True,
)
"""What the index finds nearest to ``$vector`` searching ``$search_k`` deep, as :data:`SUGGEST` searches it
(``matching.index_check.nearest_capabilities`` checks it and keeps the ``k`` nearest)."""

CAPABILITY_SAMPLE = Query(
    "matching.capability_sample",
    """
    CALL () { MATCH (o:Organization) RETURN count(o) AS organizations }
    WITH organizations, CASE WHEN organizations <= $all_below THEN 1.0 ELSE $share END AS share
    MATCH (o:Organization) WHERE o.capability_embedding IS NOT NULL AND rand() < share
    RETURN organizations, share, o.id AS id, o.capability_embedding AS vector
    """,
    plain=True,
)
"""A random ``$share`` of the stored capability vectors (all of them in a graph of at most ``$all_below``
organizations), which ``matching.index_check`` holds to check the index's answers."""

CAPABILITY_VECTORS = Query(
    "matching.capability_vectors",
    """
    UNWIND $ids AS id
    MATCH (o:Organization {id: id}) WHERE o.capability_embedding IS NOT NULL
    RETURN o.id AS id, o.capability_embedding AS vector
    """,
    plain=True,
)
"""The current capability vectors of ``$ids``: a held sample may be older than the graph."""

FORGET_EMBEDDING_HASHES = Query(
    "matching.forget_embedding_hashes",
    cast(
        LiteralString,
        "MATCH (o:Organization) REMOVE "
        + ", ".join(f"o.{field}_{part}" for field in _FIELDS for part in ("hash", "key")),
    ),
    write=True,
)
"""Mark every text as changed, so the next ``embed`` encodes everything again."""
