"""The queries of matching, one module per thing they read or write: ``embeddings`` (the embedding write
path), ``vector_indexes`` (the indexes' DDL and state, and the stored vectors their answers are checked
against), ``filters`` (the suggestion filters and the look-up of the values they name), ``candidates`` (the
seeker and its candidates, in one round trip), ``details`` (what a learned suggestion's reasons read) and
``feedback``.

Privacy: a need's vector lives where its visibility allows. A public need's text is a ``(:NeedText {hash})``
node, one per distinct public text and embedder (``hash``: ``matching.embed.content_hash``), holding its
vector in ``embedding``, which the shared needs vector index covers; each organization stating it publicly
is linked ``(o)-[:STATES_NEED]->(t)``. A private need's vector goes to ``private_needs_embedding``, which no
index covers and only the seeker's own suggestion reads (``candidates.SUGGEST``, through ``_seeker_profile``
and ``_seeker_context``). A link exists only while the organization states that text publicly (every write
that changes a need, its visibility or an organization drops it in the same transaction,
``embeddings.UNLINK_NEED``), and a text node no organization states publicly any more is deleted with its
vector. No query here returns another organization's needs, and the shared needs index holds no private need.
"""
