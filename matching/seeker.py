"""Who is asking: an organization of the graph, or an anonymous SMB with a free-text need and a place.

Privacy: the seeker's needs are read here and only here, and only the seeker's own (``queries.SEEKER``).
Nothing else in matching reads another organization's needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.db import Graph
from graph.queries import matching as queries
from matching.embed import unpack_sentence_vectors
from matching.model import DIMENSIONS, embed_text
from matching.signals import Place
from schema.errors import MatchingError, NotFound
from schema.settings import Settings


@dataclass
class Seeker:
    """The query side of a suggestion: a vector to search with, its sentences, and its graph context."""

    id: str | None
    name: str
    role: str
    place: Place
    vector: np.ndarray
    sentences: list[str]
    sentence_vectors: np.ndarray
    basis: str
    """What the vector stands for: "need" (a need text) or "capability" (no need known: similar offers)."""
    partners: dict[str, dict[str, Any]] = field(default_factory=dict)
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    declined: set[str] = field(default_factory=set)


def organization_seeker(
    graph: Graph, organization_id: str, *, need: str | None, settings: Settings
) -> Seeker:
    """The organization ``organization_id`` as seeker: its stored needs (or ``need`` when given instead),
    else, when it has stated no need, its capability (then suggestions are organizations with similar
    offers: peers and competitors-turned-partners)."""
    rows = graph.run(queries.SEEKER, id=organization_id)
    if not rows:
        raise NotFound(f"No organization with id {organization_id!r}")
    row = rows[0]
    if need:
        text = embed_text(need, model_name=settings.embedding_model)
        vector, sentences, sentence_vectors, basis = (
            text.vector,
            text.sentences,
            text.sentence_vectors,
            "need",
        )
    elif row["basis"] is not None:
        vector = np.asarray(row["embedding"], dtype=np.float32)
        sentences = list(row["sentences"] or [])
        sentence_vectors = unpack_sentence_vectors(row["sentence_vectors"], len(sentences), DIMENSIONS)
        basis = row["basis"]
    else:
        raise MatchingError(
            f"Organization {organization_id!r} has no embedded needs or description: run `clusterkg embed`, "
            "or ask with a need text"
        )
    return Seeker(
        id=row["id"],
        name=row["name"] or row["id"],
        role=row["role"] or "firm",
        place=Place(city=row["city"], region=row["region"], lat=row["lat"], lon=row["lon"]),
        vector=vector,
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        basis=basis,
        partners={p["id"]: p for p in row["partners"]},
        clusters={c["id"]: c for c in row["clusters"]},
        declined=set(row["declined"]),
    )


def anonymous_seeker(need: str, place: Place, *, role: str, settings: Settings) -> Seeker:
    """An SMB not in the graph: its free-text need and, optionally, where it is."""
    if not need.strip():
        raise MatchingError("An anonymous request needs a need text")
    text = embed_text(need.strip(), model_name=settings.embedding_model)
    return Seeker(
        id=None,
        name="you",
        role=role,
        place=place,
        vector=text.vector,
        sentences=text.sentences,
        sentence_vectors=text.sentence_vectors,
        basis="need",
    )
