"""A card's "Why, in detail" in the words of the person at the page: the explanations of ``matching.reasons``
speak the ranking's own terms ("role fit for a firm 0.90", "similarity 0.42; whole texts 0.43", "the text
search"), which the API and the CLI keep for those who tune the ranking; an SMB owner or a cluster manager
reads what each figure means for them, with the figure beside it (a share of the score in %)."""

from __future__ import annotations

from api.web.render import role_words
from matching.reasons import SOURCE_WORDS, Suggestion, Voice, found_through, quote, ties
from matching.signals import SEMANTIC_CEILING, WEAK_FIT

SIGNAL_WORDS = {
    "semantic": "how well what they offer fits what is sought",
    "role": "how well their kind of organization suits {v.you}",
    "proximity": "how near they are",
    "trust": "partners and clusters {v.together} already share",
    "novelty": "being a new contact outside {v.your} clusters",
    "ties": "partners and projects {v.together} share, near and recent",
    "work": "how close their work is to {v.yours}",
    "activity": "how active they are in finding new partners",
    "base": "how often organizations like {v.you} find partners at all",
}
"""Each part of a score, said as what it measures."""
FOUND_WORDS = {
    **SOURCE_WORDS,
    "semantic": "organizations whose descriptions match {v.your} words",
}
"""Where a partner was found, the word search said as what it looks at."""
ALIKE = (
    (SEMANTIC_CEILING, "very much like"),
    (0.45, "much like"),
    (0.3, "somewhat like"),
    (-1.0, "only a little like"),
)
"""How alike two sentences are, by the cosine of their meanings (0.6 and more is as close as the ranking's
fit of words counts, ``matching.signals.SEMANTIC_CEILING``; 0.3 and less rarely names the same thing)."""
SUITS = ((0.8, "suits {v.you} well"), (0.5, "suits {v.you} fairly well"), (0.0, "suits {v.you} less"))
"""How well a kind of partner suits the seeker, by the role fit (1 the best kind, 0.3 the least)."""


def _level(value: float, levels: tuple[tuple[float, str], ...]) -> str:
    return next(words for floor, words in levels if value >= floor)


def plain_reasons(suggestion: Suggestion, voice: Voice) -> list[str]:
    """The reasons of one card, for a person: the score's parts as shares in %, how alike the best
    sentences are, what the kind of partner means, then the reasons that need no figure."""
    reasons = [score_parts(suggestion, voice)]
    pair = suggestion.best_pair
    if pair is not None:
        reasons.append(
            f"{voice.owner} words “{quote(pair.need)}” are {_level(pair.similarity, ALIKE)} theirs, "
            f"“{quote(pair.capability)}” (closeness {pair.similarity:.2f}, where 1 would say the same thing)"
        )
    if "semantic" in suggestion.signals:
        fit = suggestion.signals["semantic"]
        strong = "a real fit" if fit >= WEAK_FIT else "a weak fit"
        reasons.append(
            f"What they offer fits {voice.owner.lower()} words {fit:.0%}: {strong} "
            f"({WEAK_FIT:.0%} and more is a real fit)"
        )
    if "role" in suggestion.signals:
        kind = role_words(suggestion.role).lower()
        article = "an" if kind[0] in "aeiou" else "a"
        fit = suggestion.signals["role"]
        suits = _level(fit, SUITS).format(v=voice)
        reasons.append(f"They are {article} {kind}: a kind of partner that {suits} ({fit:.0%} fit)")
    reasons += ties(suggestion, voice)
    reasons.append(found_through(suggestion.found_via, voice, FOUND_WORDS).replace("through", "among", 1))
    return reasons


def score_parts(suggestion: Suggestion, voice: Voice) -> str:
    """What the score is made of, each part as its share of the score in %, largest first; a part of the
    learned ranking that lowered the score is said as such, with its points."""
    raised = {name: share for name, share in suggestion.shares.items() if share > 0.0005}
    lowered = {name: -share for name, share in suggestion.shares.items() if share < -0.0005}
    total = sum(raised.values()) or 1.0
    parts = ", ".join(
        f"{share / total:.0%} {SIGNAL_WORDS.get(name, name).format(v=voice)}"
        for name, share in sorted(raised.items(), key=lambda item: -item[1])
    )
    said = f"Score {suggestion.score:.2f}, made of: {parts}" if parts else f"Score {suggestion.score:.2f}"
    if lowered:
        said += "; lowered by " + ", ".join(
            f"{SIGNAL_WORDS.get(name, name).format(v=voice)} ({points:.2f})"
            for name, points in lowered.items()
        )
    return said
