"""What expensive work counts towards a request's complexity, beyond the 1 of any field
(``api.graphql.limits``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from schema.settings import Settings

SUPPLIED_GAPS = 3
"""The gaps of a ``clusterInsights`` that get outside suppliers, the most needed first. Each gap's suppliers
are one suggestion, and a cluster has any number of gaps (the demo's food cluster 12): counted as one
suggestion whatever the gaps, 9 aliased insights of that cluster asked for over 100 suggestions and held
both compute threads to the request's time limit. Bounded, they count what they cost (:class:`Costs`): a
suggestion each, the analysis riding along (on the demo it takes 0.02 s, a gap's suggestion 0.03 s), so a
request holds at most 9 suggestions here too."""


@dataclass(frozen=True)
class Costs:
    """What expensive work counts, beyond the 1 of any field: per ``(type, field)`` (``per_row``: for each
    row of its page), per field of a ``filter`` argument that searches (``filter_searches``), and for a
    ``clusterInsights`` whose ``suppliers`` is above 0 (what makes it count a suggestion for each of the
    :data:`SUPPLIED_GAPS` gaps, its own suggestion's worth of cost included)."""

    fields: dict[tuple[str, str], int] = field(default_factory=dict)
    per_row: dict[tuple[str, str], int] = field(default_factory=dict)
    filter_searches: dict[str, int] = field(default_factory=dict)
    """By the filter's input field: ``similarTo`` (a text embedded, then a vector search of
    ``api_vector_candidates`` neighbours) and ``text`` (a full-text search, every match), each counting what
    ``search`` counts. Counted as a field, a request of 100 aliased full-text counts of a word most of
    100,000 organizations hold passed, each count reading all of them."""
    gap_suppliers: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> Costs:
        return cls(
            fields={
                ("Query", "partnerSuggestions"): settings.api_cost_suggestion,
                ("Query", "clusterInsights"): settings.api_cost_suggestion,  # a graph analysis, as costly
                ("RegionInsights", "clusters"): settings.api_cost_suggestion,  # a page of analyses
                ("Query", "search"): settings.api_cost_vector_search,
            },
            # Each cluster of a page is analysed: about 7 ms of CPU against a suggestion's 100 (1/14 of one);
            # counted as 1/40, so that a default page of 100 with one member list still fits, a request
            # analyses about 200 clusters at most, not 900 in nine aliased pages held to the deadline.
            per_row={("RegionInsights", "clusters"): settings.api_cost_suggestion // 40},
            filter_searches=dict.fromkeys(("similarTo", "text"), settings.api_cost_vector_search),
            gap_suppliers=settings.api_cost_suggestion * (SUPPLIED_GAPS - 1),
        )
