"""The partner search behind the SMB page: the form's fields become one call of ``matching.suggest``, under
the API's rules.

- Without a key, or with a key not bound to a member: an anonymous need, placed in the town given (the mean
  position of the organizations located there, which is what "within N km" is measured from).
- A member key: its own organization's profile (place, partners, clusters) with the need typed, or with its
  stored needs when none is typed; only member keys may answer a suggestion.
- Suggestions for a named organization (its page): its member key or a manager of its clusters, exactly as
  ``partnerSuggestions(organizationId:)`` allows (:func:`api.graphql.suggestions.check_may_act_for`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from fastapi import Request

from api.auth import ApiRole, Caller
from api.graphql.suggestions import check_may_act_for
from api.web.access import PageError, compute, page_graph
from api.web.explain import plain_reasons
from graph.queries import web as q
from matching import Filters, Place, Suggestion, suggest
from matching.reasons import OF_MEMBER, TO_SEEKER, Voice, quote
from matching.signals import WEAK_FIT, load_weights
from schema.countries import country_code
from schema.errors import NoLocation, echo
from schema.graph_model import Role
from schema.text import text_problem

LIMIT = 10
"""Cards on one page of results."""
LABELS = {
    "need": "What do you need? Say it in plain words",
    "town": "Your town",
    "km": "Within km",
    "role": "Kind of partner",
    "region": "Region",
}
"""The search form's labels, by field id. A refusal names its field by its label (:func:`refused`): the
person at the form typed into a field with this label, and does not know the API's arguments (`need`,
`maxKm`)."""
FAR = "Leave it empty to search everywhere."
"""What a refused distance ends with: without one, a search looks everywhere."""


@dataclass(frozen=True)
class SearchForm:
    """The search form's fields as the browser sent them (empty strings mean "not given")."""

    need: str = ""
    town: str = ""
    km: str = ""
    role: str = ""
    region: str = ""
    organization: str = ""

    @classmethod
    def of(cls, params: Mapping[str, str]) -> SearchForm:
        """The form from a request's query parameters (others are ignored)."""
        return cls(**{name: params[name] for name in cls.__dataclass_fields__ if name in params})

    def filters(self, places: Collection[str]) -> Filters:
        """The filters of the form's fields; ``places`` are the values a region filter matches some
        organization by (``api.web.choices``), which the region must be one of: a region no organization is
        in would find no partner, and the page would say so as if the search had run. Any of them is
        searched, a town or a town's region id that the form's list does not offer included: an address
        shared with the region that the API's filter takes gets the search, and a country by its name."""
        if self.role and self.role not in Role.__members__.values():
            raise refused("role", f"has no choice {echo(self.role)}; choose one from its list")
        if self.region and self.region not in places and country_code(self.region) not in places:
            raise refused(
                "region", f"has no choice {echo(self.region)}; choose one from its list, or Anywhere"
            )
        return Filters(
            roles=[self.role] if self.role else None,
            regions=[self.region] if self.region else None,
            max_km=self.max_km(),
        )

    def max_km(self) -> float | None:
        if not self.km.strip():
            return None
        try:
            km = float(self.km)
        except ValueError:
            km = math.nan  # no number: refused below with "nan" and "inf", which parse
        if not math.isfinite(km):  # NaN would pass the check below and match nobody
            raise refused("km", f"must be a number, not {echo(self.km)}")
        if km <= 0:
            raise refused("km", "must be more than 0")
        return km


@dataclass(frozen=True)
class Results:
    """What the result cards show: the suggestions, for whom, and whether the viewer may answer them."""

    suggestions: list[Suggestion]
    seeker: str | None
    """The organization the suggestions are for (None for an anonymous need)."""
    may_answer: bool
    heading: str
    scale: str
    """What a score means, its scale and what is high, in words."""
    weak: bool
    """Even the best card fits the words of the need weakly (:data:`WEAK_FIT`)."""
    voice: Voice
    """How the cards speak of the seeker: to the viewer, or of the member a cluster manager asks for."""
    reasons: list[list[str]]
    """Each card's reasons in the words of the person at the page (:func:`api.web.explain.plain_reasons`)."""


async def place_of(request: Request, caller: Caller | None, town: str) -> Place:
    """The point of ``town`` (see :data:`graph.queries.web.TOWN_POINT`); an unknown town is said so."""
    if not town.strip():
        return Place()
    rows = await page_graph(request, caller).run(q.TOWN_POINT, town=town.strip())
    if not rows or not rows[0]["organizations"]:
        raise refused(
            "town",
            f"holds {echo(town.strip())}, where no organization is located, so distances cannot be measured "
            "from it; choose a town offered as you type, or leave the field empty",
        )
    row = rows[0]
    return Place(city=row["city"], lat=row["lat"], lon=row["lon"])


async def seeker_of(request: Request, form: SearchForm, caller: Caller | None) -> str | None:
    """Whose profile the search uses, checked against the API's rule; None for an anonymous need."""
    if form.organization:
        if caller is None:
            raise PageError("Enter your access key above to ask for an organization's suggestions.", 401)
        await check_may_act_for(page_graph(request, caller), caller, form.organization)
        return form.organization
    if caller is not None and caller.role is ApiRole.MEMBER:
        return caller.own_organization()
    return None


async def search(
    request: Request, form: SearchForm, caller: Caller | None, places: Collection[str]
) -> Results:
    """Run the search the form describes for ``caller`` (None: no key); ``places``: those a search may be
    limited to (:meth:`SearchForm.filters`)."""
    state = request.app.state
    need = form.need.strip() or None
    if need is not None:
        check_need(need)
    seeker = await seeker_of(request, form, caller)
    if seeker is None and need is None:
        raise PageError("Say in a few words what you are looking for.", 400, field="need")
    place = await place_of(request, caller, form.town) if seeker is None else Place()
    filters = form.filters(places)
    # A manager asking on a member's page reads of the member: "your clusters" would be the manager's own.
    own = seeker is None or (caller is not None and seeker == caller.organization_id)
    voice = TO_SEEKER if own else OF_MEMBER
    try:
        found = await compute(
            request,
            caller,
            lambda: suggest(
                state.sync_graph,
                seeker,
                need=need,
                location=place,
                limit=LIMIT,
                filters=filters,
                settings=state.settings,
                voice=voice,
            ),
        )
    except NoLocation:  # said for the person at the form, naming the field to fill or to empty
        if seeker is None:
            raise refused(
                "town",
                f"is empty, and “{LABELS['km']}” is measured from it: choose your town, or leave "
                f"“{LABELS['km']}” empty",
            ) from None
        where = f"this site holds no location of {echo(seeker)}"
        raise refused("km", f"needs a place to measure distances from, and {where}. {FAR}") from None
    may_answer = seeker is not None and caller is not None and caller.role is ApiRole.MEMBER
    text_weight = load_weights(state.settings)["semantic"]
    summary = heading(found, need, measured_from(form, seeker, place), voice)
    return Results(
        found,
        seeker,
        may_answer,
        summary,
        scale(found, text_weight, voice),
        weak_match(found),
        voice,
        [plain_reasons(s, voice) for s in found],
    )


def measured_from(form: SearchForm, seeker: str | None, place: Place) -> str:
    """Where the distances are measured from, as the heading says it: a guest's town or, for an
    organization, its own place, said when a town was typed too, which the search does not use (unsaid, a
    person would read the distances as the town's)."""
    if seeker is None:
        return f", measured from {place.city}" if place.city else ""
    if not form.town.strip():
        return ""
    return f", measured from your organization's place (“{LABELS['town']}” counts only without a key)"


NEED_TOO_LONG = "holds {length:,} characters; say it in at most {limit:,} (a few sentences do)."
"""What a need too long for the API says to the person at the form (``schema.text.text_problem``)."""


def check_need(need: str) -> None:
    """Refuse a need the API would refuse (``schema.text.text_problem``, as ``check_text`` does), said for
    the person at the form and tied to its field."""
    if reason := text_problem(need, too_long=NEED_TOO_LONG):
        raise refused("need", reason)


def refused(field: str, reason: str) -> PageError:
    """A refusal of the form's ``field`` (its id), said naming the field by its label and tied to it (the
    page marks the field invalid and described by the message)."""
    return PageError(f"“{LABELS[field]}” {reason}", 400, field=field)


def weak_match(found: list[Suggestion]) -> bool:
    """Whether words were matched (the signal ranking) and no card's fit of words reaches :data:`WEAK_FIT`."""
    fits = [s.signals["semantic"] for s in found if "semantic" in s.signals]
    return bool(fits) and max(fits) < WEAK_FIT


def scale(found: list[Suggestion], text_weight: float, voice: Voice) -> str:
    """What the cards' scores mean, for the ranking that made them, of the seeker in ``voice``. The figures
    for the signal ranking come
    from the searches of :data:`WEAK_FIT`, with the default weights: a real need's best card scored 0.52 at
    the median as a guest, 0.62 in a town, 0.69 with a member key; a need that no partner's words fit, at
    most 0.48."""
    if not found:
        return ""
    if found[0].ranking == "learned":
        return (
            f"Each score runs from 0 to 1: how likely {voice.organization} and this partner are to work "
            "together, as learned from the collaborations recorded in the graph; compare the cards with each "
            "other."
        )
    return (
        f"Each score runs from 0 to 1. {text_weight:.0%} of it is how well what the partner offers fits "
        f"{voice.owner.lower()} words; the rest is the kind of partner, how near it is, partners "
        f"{voice.together} share and whether it is new to {voice.organization}. A close fit of words scores "
        "0.5 and more; kind, place and shared partners alone give up to about 0.45." + varied(found)
    )


def varied(found: list[Suggestion]) -> str:
    """Why a card may score more than one above it, said only where one does: the signal ranking moves a
    partner whose words are much like a card's above it down the list (``matching.signal_ranking.mmr``), so
    that the first cards show different offers; unsaid, a reader told "best first" sees a 0.52 ninth after
    a 0.46 and takes the order, or the score, for an error."""
    scores = [s.score for s in found]
    if all(later <= earlier for earlier, later in zip(scores, scores[1:], strict=False)):
        return ""
    return (
        " The cards are in the order of their scores, except that a partner whose offer is much like one "
        "above it moves down, so that the first cards show different offers: a card may score more than "
        "one above it."
    )


def heading(found: list[Suggestion], need: str | None, where: str, voice: Voice) -> str:
    """One sentence over the cards: how many, for what, from where (``where``: ", measured from …", or
    empty). Without a need typed, the needs are the organization's that asks or, for a manager asking on a
    member's page (``voice``), that member's: "your organization's" would name the manager's own."""
    # a pasted page, cut as cards cut it
    what = f"“{quote(need)}”" if need else f"{voice.organization}'s needs"
    if not found:
        return f"No partner found for {what}{where}. Try fewer filters or other words."
    return f"{len(found)} partners for {what}{where}, best first."
