"""The embedding write path: which texts changed since they were embedded, the writes of their vectors
(staged beside the current ones for a bulk write), the removal of vectors whose text is gone, and the counts
``embed`` reports. Where each vector lives, by its need's visibility: ``graph.queries.matching``.
"""

from __future__ import annotations

from typing import LiteralString, cast

from graph.query import Query

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
Part of the ingest write (``graph.queries.ingest.writes.UPSERT_ORGANIZATIONS``)."""

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
