"""The root ``Mutation``: upserting organizations (data teams), a member's own need, suggestion feedback.

Input is validated by the same pydantic models as ingest (``schema.models``) and written through ingest's
writer and ``graph/``; the synchronous writer runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import datetime as dt
import uuid

import anyio
import strawberry
from pydantic import TypeAdapter

from api.auth import ApiRole
from api.graphql.suggestions import feedback
from api.graphql.types import Ctx, Organization, OrganizationInput, SuggestionFeedback, VisibilityEnum
from graph.db import Graph
from graph.queries import api as q
from ingest import writer
from ingest.pipeline import content_hash
from ingest.resolve import hash_entry
from schema.errors import InvalidInput
from schema.graph_model import Visibility
from schema.models import OrganizationRecord, Text

_NEED = TypeAdapter(Text)


def _write_organization(graph: Graph, record: OrganizationRecord) -> None:
    """One organization through ingest's writer, under its own id, stamped with an ``api`` provenance."""
    prefix, entry = hash_entry(record.id, content_hash(record))
    row = writer.organization_row(record, record.id, True, prefix, entry)
    run_id = f"api-{uuid.uuid4().hex[:12]}"
    out = writer.Writer(graph, writer.Writer.provenance("api", "", run_id, dt.datetime.now(dt.UTC)))
    out.organizations([row], [record])


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create or replace an organization (data_team keys).")
    async def upsert_organization(self, info: Ctx, input: OrganizationInput) -> Organization:  # noqa: A002
        context = info.context
        context.who.require(ApiRole.DATA_TEAM)
        given = {
            name: getattr(value, "value", value) for name, value in vars(input).items() if value is not None
        }
        record = OrganizationRecord.model_validate(given)
        if record.clusters:
            found = await context.loaders.cluster.load_many(record.clusters)
            missing = [cid for cid, row in zip(record.clusters, found, strict=True) if row is None]
            if missing:
                raise InvalidInput(f"no cluster with id {', '.join(missing)}")
        await anyio.to_thread.run_sync(_write_organization, context.sync_graph, record)
        context.loaders.organization.clear_all()  # clear(key) raises for keys never loaded
        row = await context.loaders.organization.load(record.id)
        return Organization.from_row(row)

    @strawberry.mutation(description="Set the needs of the caller's own organization (member keys).")
    async def submit_need(
        self,
        info: Ctx,
        text: str,
        visibility: VisibilityEnum = Visibility.PUBLIC,  # type: ignore[valid-type]
    ) -> Organization:
        context = info.context
        caller = context.who
        caller.require(ApiRole.MEMBER)
        if not text.strip():
            raise InvalidInput("`text` is empty")
        needs = _NEED.validate_python(text)
        await context.graph.run(
            q.SET_NEED, id=caller.organization_id, needs=needs, visibility=Visibility(visibility).value
        )
        row = await context.loaders.organization.load(caller.organization_id)
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
