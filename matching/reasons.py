"""Why a partner was suggested, in words a person can read: each signal's share of the score, the best
matching pair of sentences, shared partners and clusters, the distance, and who could introduce them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from matching.signals import BROKER_ROLES

if TYPE_CHECKING:
    from matching.seeker import Seeker


@dataclass(frozen=True)
class Voice:
    """How the reasons speak of the seeker: to it (:data:`TO_SEEKER`: an organization, or a person with a
    need, reading its own suggestions), or of it (:data:`OF_MEMBER`: a cluster manager reading a member's
    suggestions, for whom "your clusters" would be the manager's own)."""

    you: str
    """The seeker after a verb or "as": "organizations like you"."""
    your: str
    yours: str
    owner: str
    """The seeker's, opening a sentence: "Your sentence"."""
    together: str
    """The seeker and the partner as the subject of "share": "partners you share"."""
    both: str
    """The seeker and the partner after "of": "a partner of you both"."""
    offers: str
    """What the seeker's own texts say, a basis of the text fit: "what you offer"."""
    organization: str
    """The seeker as an organization: "your organization"."""


TO_SEEKER = Voice("you", "your", "yours", "Your", "you", "you both", "what you offer", "your organization")
OF_MEMBER = Voice(
    "it", "its", "its own", "This organization's", "the two", "both", "what it offers", "this organization"
)

SIGNAL_WORDS = {
    "semantic": "fit of what they offer to {basis}",
    "role": "fit of their role",
    "proximity": "proximity",
    "trust": "ties {v.together} already share",
    "novelty": "a contact outside {v.your} clusters",
    # the learned ranking's reasons (``matching.learned``)
    "ties": "partners and projects {v.together} share, near and recent",
    "work": "how close their work is to {v.yours}",
    "activity": "how active they are in making new partners",
    "base": "how often organizations like {v.you} gain partners at all",
}
"""Each signal in words: ``basis`` is what the text fit compares with, ``v`` the :class:`Voice`."""
SOURCE_WORDS = {
    "semantic": "the text search",
    "partner_of_partner": "partners of {v.your} partners",
    "same_cluster": "{v.your} clusters",
    "partner_of_similar": "partners of organizations with a similar need",
    "similar_text": "organizations whose work is like {v.yours}",
    "most_active": "the most active organizations",
}


def signal_words(name: str, basis: str, voice: Voice = TO_SEEKER) -> str:
    """The signal ``name`` in words (:data:`SIGNAL_WORDS`)."""
    return SIGNAL_WORDS[name].format(basis=basis, v=voice)


def found_through(sources: list[str], voice: Voice, words: dict[str, str] = SOURCE_WORDS) -> str:
    """The sentence that names where the candidates came from, each source in ``words``."""
    return "Found through " + ", ".join(words[s].format(v=voice) if s in words else s for s in sources)


@dataclass(frozen=True)
class SentencePair:
    """The seeker's sentence and the candidate's sentence that match best."""

    need: str
    capability: str
    similarity: float


@dataclass(frozen=True)
class Introducer:
    """Someone connected to both sides who could make the introduction."""

    id: str
    name: str
    role: str
    how: str


@dataclass
class Suggestion:
    """One suggested partner: its score, each signal (or reason) and its share of the score, and why, in
    words. ``ranking`` says which ranking made it: "learned" (the trained model) or "signals" (the
    hand-weighted fallback)."""

    id: str
    name: str
    role: str
    city: str | None
    region: str | None
    score: float
    reasons: list[str]
    signals: dict[str, float]
    shares: dict[str, float]
    best_pair: SentencePair | None = None
    shared_partners: list[dict[str, Any]] = field(default_factory=list)
    shared_clusters: list[dict[str, Any]] = field(default_factory=list)
    distance_km: float | None = None
    introducers: list[Introducer] = field(default_factory=list)
    found_via: list[str] = field(default_factory=list)
    ranking: str = "signals"

    @classmethod
    def of(
        cls,
        row: dict[str, Any],
        *,
        signals: dict[str, float],
        shares: dict[str, float],
        distance_km: float | None,
        **rest: Any,
    ) -> Suggestion:
        """The suggestion of a candidate ``row`` as both rankings' queries return it (id, name, role, city,
        region): its score is the sum of its shares, so they add up by construction; reasons come after."""
        return cls(
            id=row["id"],
            name=row["name"] or row["id"],
            role=row["role"] or "",
            city=row["city"],
            region=row["region"],
            score=sum(shares.values()),
            reasons=[],
            signals=signals,
            shares=shares,
            distance_km=None if distance_km is None else round(distance_km, 1),
            **rest,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def best_pair(
    seeker_sentences: list[str],
    seeker_vectors: np.ndarray,
    candidate_sentences: list[str],
    candidate_vectors: np.ndarray,
) -> SentencePair | None:
    """The most similar (seeker sentence, candidate sentence) pair by cosine of their vectors."""
    if not len(seeker_vectors) or not len(candidate_vectors):
        return None
    similarities = seeker_vectors @ candidate_vectors.T
    i, j = np.unravel_index(int(np.argmax(similarities)), similarities.shape)
    return SentencePair(
        need=seeker_sentences[i],
        capability=candidate_sentences[j],
        similarity=round(float(similarities[i, j]), 3),
    )


def introducers(
    seeker: Seeker,
    candidate_id: str,
    shared_partners: list[dict[str, Any]],
    shared_clusters: list[dict[str, Any]],
    voice: Voice = TO_SEEKER,
) -> list[Introducer]:
    """Brokers and common partners linked to both, brokers first; then the managers of shared clusters."""
    found: dict[str, Introducer] = {}
    for partner in sorted(shared_partners, key=lambda p: (p["role"] not in BROKER_ROLES, p["name"] or "")):
        kind = "a knowledge broker" if partner["role"] in BROKER_ROLES else "a partner"
        found[partner["id"]] = Introducer(
            partner["id"], partner["name"] or partner["id"], partner["role"] or "", f"{kind} of {voice.both}"
        )
    for cluster in shared_clusters:
        for manager in cluster["managers"]:
            if manager["id"] not in found and manager["id"] not in (seeker.id, candidate_id):
                found[manager["id"]] = Introducer(
                    manager["id"],
                    manager["name"] or manager["id"],
                    manager["role"] or "",
                    f"manages {cluster['name'] or cluster['id']}, the cluster {voice.together} share",
                )
    return list(found.values())


def _names(items: list[dict[str, Any]], most: int = 3) -> str:
    names = [str(item["name"] or item["id"]) for item in items]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


QUOTED = 300
"""The longest sentence an explanation quotes whole: a sentence of a description or need is shorter, but a
sentence chunk may be a whole text of 5,000 characters (short sentences join their neighbours), quoted in
every suggestion of an answer: 8 aliases of 100 suggestions for such a need answered 6.7 MB to a request of
5.6 kB. Longer ones are cut with "…"."""


def quote(sentence: str) -> str:
    """``sentence`` as a reason or an answer quotes it: whole up to :data:`QUOTED` characters, else cut."""
    return _short(sentence, QUOTED)


def describe(seeker: Seeker, suggestion: Suggestion, cosine: float, voice: Voice = TO_SEEKER) -> list[str]:
    """The reasons of one suggestion as sentences, strongest signal first."""
    basis = f"{voice.your} need" if seeker.basis == "need" else voice.offers
    parts = sorted(suggestion.shares.items(), key=lambda item: -item[1])
    reasons = [
        f"Score {suggestion.score:.2f} = "
        + " + ".join(
            f"{share:.2f} {signal_words(name, basis, voice)}" for name, share in parts if share > 0.0005
        )
    ]
    pair = suggestion.best_pair
    if pair is not None:
        reasons.append(
            f'{voice.owner} sentence "{quote(pair.need)}" matches theirs, "{quote(pair.capability)}" '
            f"(similarity {pair.similarity:.2f}; whole texts {cosine:.2f})"
        )
    reasons.append(
        f"They are a {suggestion.role.replace('_', ' ') or 'organization'}; "
        f"role fit for a {seeker.role.replace('_', ' ')} {suggestion.signals['role']:.2f}"
    )
    reasons += ties(suggestion, voice)
    reasons.append(found_through(suggestion.found_via, voice))
    return reasons


def ties(suggestion: Suggestion, voice: Voice) -> list[str]:
    """The signal ranking's reasons that need no figure: where the partner is, the partners and clusters
    shared, who could introduce them and whether it is a new contact (the web cards say them too)."""
    reasons = []
    if suggestion.distance_km is not None:
        where = f" in {suggestion.city}" if suggestion.city else ""
        reasons.append(
            f"Close by{where} (under 1 km)"
            if suggestion.distance_km < 1
            else f"{suggestion.distance_km:.0f} km away{where}"
        )
    elif suggestion.signals.get("proximity", 0) > 0:
        reasons.append(f"Same {'city' if suggestion.signals['proximity'] >= 1 else 'region'} as {voice.you}")
    if suggestion.shared_partners:
        reasons.append(f"Partners {voice.together} share: {_names(suggestion.shared_partners)}")
    if suggestion.shared_clusters:
        reasons.append(f"Clusters {voice.together} share: {_names(suggestion.shared_clusters)}")
    if suggestion.introducers:
        reasons.append(
            f"Could introduce {voice.together}: "
            + "; ".join(f"{person.name} ({person.how})" for person in suggestion.introducers[:3])
        )
    if suggestion.signals.get("novelty", 0) >= 1:
        reasons.append(f"Outside {voice.your} clusters: a contact {voice.your} cluster does not already have")
    elif suggestion.signals.get("novelty", 0) > 0:
        reasons.append(f"On the periphery of {voice.your} cluster: few ties so far")
    return reasons


def describe_learned(suggestion: Suggestion, model: dict[str, Any], voice: Voice = TO_SEEKER) -> list[str]:
    """The reasons of a learned suggestion as sentences, largest share first (a negative share lowered it)."""
    parts = sorted(suggestion.shares.items(), key=lambda item: -abs(item[1]))
    reasons = [
        f"Score {suggestion.score:.2f} = "
        + " ".join(
            f"{'+' if share >= 0 else '-'} {abs(share):.2f} {signal_words(name, f'{voice.your} work', voice)}"
            for name, share in parts
            if abs(share) > 0.0005
        ).lstrip("+ ")
        + f" (learned ranking, trained on the links up to {model.get('day', 'its training day')})"
    ]
    pair = suggestion.best_pair
    if pair is not None:
        reasons.append(
            f'{voice.owner} work "{_short(pair.need)}" is close to theirs, "{_short(pair.capability)}" '
            f"(similarity {pair.similarity:.2f})"
        )
    if suggestion.shared_partners:
        reasons.append(f"Partners {voice.together} share: {_names(suggestion.shared_partners)}")
    if suggestion.shared_clusters:
        reasons.append(f"Clusters {voice.together} share: {_names(suggestion.shared_clusters)}")
    if suggestion.distance_km is not None:
        reasons.append(
            f"{suggestion.distance_km:.0f} km away" + (f" in {suggestion.city}" if suggestion.city else "")
        )
    if suggestion.introducers:
        reasons.append(
            f"Could introduce {voice.together}: "
            + "; ".join(f"{person.name} ({person.how})" for person in suggestion.introducers[:3])
        )
    reasons.append(found_through(suggestion.found_via, voice))
    return reasons


def _short(text: str, most: int = 160) -> str:
    """A text cut for a sentence (only for display: the embedding read all of it)."""
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"
