"""The root ``Mutation``: upserting organizations (data teams), a member's own need, suggestion feedback.

Input is validated by the same pydantic models as ingest (``schema.models``) and written through
``ingest.load_records`` and ``graph/``; the synchronous ingest code runs in a worker thread, never on the
event loop.
"""

from __future__ import annotations

from typing import Any

import anyio
import pydantic
import strawberry
from strawberry.utils.str_converters import to_camel_case

import ingest
from api.auth import ApiRole
from api.graphql.context import Context, Ctx
from api.graphql.inputs import OrganizationInput, VisibilityEnum
from api.graphql.suggestions import feedback
from api.graphql.types import Organization, SuggestionFeedback
from graph.db import Graph
from graph.queries import api as q
from matching import refresh
from schema.errors import InvalidInput, echo
from schema.graph_model import Visibility
from schema.models import OrganizationRecord, RecordKind
from schema.text import check_text


def _record(given: dict[str, Any]) -> OrganizationRecord:
    """The record of an ``upsertOrganization`` input. A refusal of one of its fields names it as
    ``input.<field>`` (:meth:`InvalidInput.of`, the field as the schema spells it); a refusal of several
    is pydantic's, its message naming each."""
    try:
        return OrganizationRecord.model_validate(given)
    except pydantic.ValidationError as e:
        problems = e.errors()
        if len(problems) != 1 or not problems[0]["loc"]:
            raise
        problem = problems[0]
        field = to_camel_case(str(problem["loc"][0]))
        reason = str(problem["ctx"]["error"]) if problem["type"] == "value_error" else problem["msg"]
        raise InvalidInput.of(f"input.{field}", reason) from None


def _write_organization(graph: Graph, record: OrganizationRecord) -> str:
    """Load one validated organization through ingest (source ``api``): the same entity resolution, writer
    and provenance as any registry row. Returns the id of the node it became (another organization's when
    resolution merged it)."""
    summary = ingest.load_records(graph, RecordKind.ORGANIZATIONS, [record], source="api")
    if summary.rejects:
        raise InvalidInput("; ".join(f"{r.field}: {r.reason}" for r in summary.rejects))
    return summary.merges[0].node if summary.merges else record.id


async def _refresh_embeddings(context: Context, organization_id: str) -> None:
    """Embed the organization's new texts now, on a compute thread (``matching.embed.refresh``): its own
    suggestions search with and quote the text it just wrote, not the one it replaced."""
    settings = context.settings
    await context.compute.run(lambda: refresh(context.sync_graph, settings, [organization_id]))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create or replace an organization (data_team keys).")
    async def upsert_organization(self, info: Ctx, input: OrganizationInput) -> Organization:  # noqa: A002
        context = info.context
        context.who.require(ApiRole.DATA_TEAM)
        given = {
            name: getattr(value, "value", value) for name, value in vars(input).items() if value is not None
        }
        record = _record(given)
        if record.clusters:
            found = await context.loaders.cluster.load_many(record.clusters)
            missing = [cid for cid, row in zip(record.clusters, found, strict=True) if row is None]
            if missing:
                raise InvalidInput.of(
                    "input.clusters",
                    f"names no cluster that exists: {', '.join(echo(cid) for cid in missing)}",
                )
        node = await anyio.to_thread.run_sync(_write_organization, context.sync_graph, record)
        await _refresh_embeddings(context, node)
        context.loaders.organization.clear_all()  # clear(key) raises for keys never loaded
        row = await context.loaders.organization.load(node)
        return Organization.from_row(row)

    @strawberry.mutation(description="Set the needs of the caller's own organization (member keys).")
    async def submit_need(
        self,
        info: Ctx,
        text: str,
        visibility: VisibilityEnum = Visibility.PUBLIC,  # type: ignore[valid-type]
    ) -> Organization:
        context = info.context
        organization_id = context.who.own_organization()
        if not text.strip():
            raise InvalidInput.of("text", "is empty")
        needs = check_text(text, "text")
        await context.graph.run(
            q.SET_NEED, id=organization_id, needs=needs, visibility=Visibility(visibility).value
        )
        await _refresh_embeddings(context, organization_id)
        row = await context.loaders.organization.load(organization_id)
        return Organization.from_row(row)

    @strawberry.mutation(
        description="Record that an organization accepted or declined a suggested partner (its member key, "
        "or a manager of its clusters); declined partners are not suggested again."
    )
    async def record_suggestion_feedback(
        self,
        info: Ctx,
        organization_id: strawberry.ID,
        partner_id: strawberry.ID,
        accepted: bool,
        comment: str | None = None,
    ) -> SuggestionFeedback:
        return await feedback(info, organization_id, partner_id, accepted, comment)
