"""Who is asking: an organization of the graph, or an anonymous SMB with a free-text need and a place.

Privacy: the seeker's needs are read with its profile only, and only the seeker's own
(``queries._seeker_profile``). Nothing in matching reads another organization's needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.db import Graph
from graph.queries.matching import candidates as queries
from matching.embed import unpack_sentence_vectors
from matching.model import DIMENSIONS, TextEmbedding, embed_text
from matching.signals import Place
from schema.errors import MatchingError, NotFound, echo
from schema.settings import Settings


@dataclass
class Seeker:
    """The query side of a suggestion: a vector to search with, its sentences, and its graph context."""

    id: str | None
    name: str
    role: str
    place: Place
    vector: np.ndarray | None
    """The vector searched with; None while it stays in the graph (an organization's stored one)."""
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
    """The organization ``organization_id`` as seeker, with the vector it searches with (``tune`` and the
    benchmarks; ``suggest`` gets the profile together with its candidates, see :func:`profile_seeker`)."""
    rows = graph.run(queries.SEEKER, id=organization_id, vector=None)
    text = embed_text(need, model_name=settings.embedder) if need else None
    seeker = profile_seeker(organization_id, rows[0]["seeker"] if rows else None, text)
    if text is None:
        seeker.vector = np.asarray(rows[0]["embedding"], dtype=np.float32)
    return seeker


def profile_seeker(
    organization_id: str, profile: dict[str, Any] | None, need: TextEmbedding | None
) -> Seeker:
    """The organization as seeker from its profile (``queries._seeker_profile``): its stored needs (or the
    embedded ``need`` when given instead), else, when it has stated no need, its capability (then suggestions
    are organizations with similar offers: peers and competitors-turned-partners). The stored vector stays in
    the graph (``vector`` is None); a ``need`` brings its own."""
    if profile is None:
        raise NotFound(f"No organization with id {echo(organization_id)}")
    if need is not None:
        vector, sentences, sentence_vectors, basis = (
            need.vector,
            need.sentences,
            need.sentence_vectors,
            "need",
        )
    elif profile["basis"] is not None:
        vector, basis = None, profile["basis"]
        sentences = list(profile["sentences"] or [])
        sentence_vectors = unpack_sentence_vectors(profile["sentence_vectors"], len(sentences), DIMENSIONS)
    else:
        raise MatchingError(
            f"Organization {organization_id!r} has no embedded needs or description: run `clusterkg embed`, "
            "or ask with a need text"
        )
    return seeker_of(
        profile, basis=basis, vector=vector, sentences=sentences, sentence_vectors=sentence_vectors
    )


def seeker_of(
    profile: dict[str, Any],
    *,
    basis: str,
    vector: np.ndarray | None = None,
    sentences: list[str] | None = None,
    sentence_vectors: np.ndarray | None = None,
) -> Seeker:
    """An organization of the graph as seeker, named, placed and in the clusters its profile reads, with its
    partners and declined organizations where the profile reads them (a learned ranking's does not: its
    snapshot knows them), searching with ``vector`` and ``sentences`` on ``basis``."""
    return Seeker(
        id=profile["id"],
        name=profile["name"] or profile["id"],
        role=profile["role"] or "firm",
        place=Place.of(profile),
        vector=vector,
        sentences=sentences or [],
        sentence_vectors=np.zeros((0, 0), dtype=np.float32) if sentence_vectors is None else sentence_vectors,
        basis=basis,
        partners={p["id"]: p for p in profile.get("partners", [])},
        clusters={c["id"]: c for c in profile["clusters"]},
        declined=set(profile.get("declined", [])),
    )


def anonymous_seeker(need: str, place: Place, *, role: str, settings: Settings) -> Seeker:
    """An SMB not in the graph: its free-text need and, optionally, where it is."""
    if not need.strip():
        raise MatchingError("An anonymous request needs a need text")
    text = embed_text(need.strip(), model_name=settings.embedder)
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
