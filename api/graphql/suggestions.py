"""``partnerSuggestions`` and ``recordSuggestionFeedback``: matching's synchronous code, run in a worker
thread (never on the event loop), behind the access rules.

Who may ask for an organization's suggestions: the organization itself (member key) and the managers of its
clusters — the suggestions quote its needs, private ones included. Anyone may ask for a free-text need.
"""

from __future__ import annotations

from typing import Any

import anyio
import strawberry

from api.auth import ApiRole, Caller
from api.graphql.context import Ctx
from api.graphql.inputs import OrganizationFilterInput
from api.graphql.pages import FIELD_PROPERTIES, filter_values, selected_under
from api.graphql.sizes import check_page_size
from api.graphql.types import Organization, PartnerSuggestion, Reason, SuggestionFeedback
from graph.db import AsyncGraph
from graph.queries import api as q
from matching import Filters, Suggestion, record_feedback, suggest
from matching.filters import MAX_VALUES
from matching.reasons import OF_MEMBER, TO_SEEKER, Voice, quote, signal_words
from schema.errors import AccessDenied, InvalidInput, NoLocation, UnknownFilterValue, echo
from schema.text import check_text


async def check_may_act_for(graph: AsyncGraph, caller: Caller, organization_id: str) -> None:
    """Refuse unless ``caller`` is ``organization_id`` itself or manages one of its clusters (a member asking
    for itself, the common case, needs no query)."""
    if caller.role is ApiRole.DATA_TEAM:
        raise AccessDenied("a data_team key cannot act for an organization; use its member or manager key")
    if caller.role is ApiRole.MEMBER and caller.organization_id == organization_id:
        return
    rows = await graph.run(
        q.CAN_SEE_NEEDS_OF,
        id=organization_id,
        viewer=caller.organization_id,
        manager=caller.role is ApiRole.CLUSTER_MANAGER,
    )
    if rows and not rows[0]["allowed"]:
        manager = caller.role is ApiRole.CLUSTER_MANAGER
        scope = "the members of its clusters" if manager else "its organization"
        raise AccessDenied(f"this key may act only for {scope}")


def _filters(given: OrganizationFilterInput | None, max_km: float | None) -> Filters:
    given = given or OrganizationFilterInput()
    unsupported = {"text": given.text, "similarTo": given.similar_to, "capabilities": given.capabilities}
    for name, value in unsupported.items():
        if value not in (None, []):  # an empty list filters nothing
            raise InvalidInput.of(
                f"filter.{name}",
                "is not a filter of suggestions: they filter by roles, clusters, regions, "
                "sectors and sizes only",
            )
    if max_km is not None and max_km <= 0:
        raise InvalidInput.of("maxKm", "must be positive")

    def values(name: str, given_list: list[Any] | None) -> list[str] | None:
        # matching's limit (each value is looked up first), said in the API's words naming the argument
        return list(filter_values(name, given_list, MAX_VALUES)) or None

    return Filters(
        roles=values("roles", given.roles),
        regions=values("regions", given.regions),
        clusters=values("clusters", given.clusters),
        sectors=values("sectors", given.sectors),
        size_classes=values("sizes", given.sizes),
        max_km=max_km,
    )


def reasons(suggestion: Suggestion, basis: str, voice: Voice) -> list[Reason]:
    """One reason per signal, strongest first: its share of the score and what it measured, of the seeker
    in ``voice``."""
    ordered = sorted(suggestion.shares.items(), key=lambda item: -item[1])
    return [
        Reason(
            signal=name,
            share=share,
            sentence=f"{signal_words(name, basis, voice).capitalize()}: "
            f"{suggestion.signals[name]:.2f}, adding {share:.2f} to the score of {suggestion.score:.2f}",
        )
        for name, share in ordered
    ]


def basis_of(need: str | None, voice: Voice) -> str:
    """What the reasons call the seeker's side: a free-text need, or the organization's own needs."""
    if need is not None:
        return f"{voice.your} need"
    return "what you look for" if voice is TO_SEEKER else "what it looks for"


async def _organizations(info: Ctx, found: list[Suggestion]) -> dict[str, dict[str, Any] | None]:
    """The rows of the partners and introducers: the suggestions' own id, name and role when the query
    asks for no other property of them (their nested fields load by id), else one look-up for all."""
    people = [(s.id, s.name, s.role) for s in found]
    people += [(person.id, person.name, person.role) for s in found for person in s.introducers]
    selected = selected_under(info, "partner") | selected_under(info, "introducers")
    if not any(name in FIELD_PROPERTIES for name in selected):
        return {id_: {"id": id_, "name": name, "role": role} for id_, name, role in people}
    ids = [id_ for id_, _, _ in people]
    return dict(zip(ids, await info.context.loaders.organization.load_many(ids), strict=True))


async def partner_suggestions(
    info: Ctx,
    organization_id: str | None,
    need: str | None,
    given: OrganizationFilterInput | None,
    limit: int,
    max_km: float | None,
) -> list[PartnerSuggestion]:
    context = info.context
    caller = context.who
    check_page_size(limit, context.settings.api_max_page_size, "limit")
    if need is not None:
        if not need.strip():
            raise InvalidInput.of("need", "is empty")
        check_text(need, "need")
    if organization_id is None and need is None:
        if caller.role is not ApiRole.MEMBER:
            raise InvalidInput("give an `organizationId` or a `need`")
        organization_id = caller.organization_id
    if organization_id is not None:
        await check_may_act_for(context.graph, caller, organization_id)
    filters = _filters(given, max_km)
    # A manager asking for a member reads of the member ("its clusters"): "your" would name the manager's own.
    voice = TO_SEEKER if organization_id in (None, caller.organization_id) else OF_MEMBER
    try:
        found: list[Suggestion] = await context.compute.run(
            lambda: suggest(
                context.sync_graph,
                organization_id,
                need=need,
                limit=limit,
                filters=filters,
                settings=context.settings,
                voice=voice,
            )
        )
    except UnknownFilterValue as e:
        argument = "filter." + e.filter
        raise InvalidInput.of(argument, f"holds {echo(e.value)}: {e.reason}") from None
    except NoLocation:
        where = (
            "a `need` alone has none"
            if organization_id is None
            else f"the graph holds no location of {echo(organization_id)}"
        )
        raise InvalidInput.of("maxKm", f"needs a place to measure from, and {where}") from None
    rows = await _organizations(info, found)
    basis = basis_of(need, voice)
    result = []
    for suggestion in found:
        partner = rows[suggestion.id]
        if partner is None:
            continue  # deleted between the suggestion and this look-up
        result.append(
            PartnerSuggestion(
                partner=Organization.from_row(partner),
                score=suggestion.score,
                reasons=reasons(suggestion, basis, voice),
                explanation=suggestion.reasons,
                matched_need=quote(suggestion.best_pair.need) if suggestion.best_pair else None,
                matched_capability=quote(suggestion.best_pair.capability) if suggestion.best_pair else None,
                introducers=[
                    Organization.from_row(row)
                    for row in (rows[person.id] for person in suggestion.introducers)
                    if row is not None
                ],
                ranking=suggestion.ranking,
            )
        )
    return result


async def feedback(
    info: Ctx, organization_id: str, partner_id: str, accepted: bool, comment: str | None
) -> SuggestionFeedback:
    context = info.context
    caller = context.who
    await check_may_act_for(context.graph, caller, organization_id)
    if comment is not None:
        comment = check_text(comment, "comment")
    recorded: Any = await anyio.to_thread.run_sync(
        lambda: record_feedback(
            context.sync_graph, organization_id, partner_id, accepted, comment, by=f"api-key:{caller.key_id}"
        )
    )
    return SuggestionFeedback(
        organization_id=strawberry.ID(recorded.seeker),
        partner_id=strawberry.ID(recorded.partner),
        accepted=recorded.accepted,
        comment=recorded.comment,
        at=str(recorded.at),
    )
