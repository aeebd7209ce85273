"""What every resolver gets: the graph, the settings, the caller and the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from anyio import CapacityLimiter
from fastapi import Request
from strawberry.types import Info

from api.auth import ApiRole, Caller, authenticate
from api.graphql.loaders import Loaders
from graph.db import AsyncGraph, Graph
from schema.errors import Unauthenticated
from schema.settings import Settings


@dataclass
class Context:
    graph: AsyncGraph
    sync_graph: Graph
    settings: Settings
    caller: Caller | None
    compute: CapacityLimiter
    """Admits a request's CPU-bound work (a suggestion, a text's embedding) to a worker thread, a few at a
    time (``api.app``)."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        caller = self.caller
        self.loaders = Loaders(
            self.graph,
            viewer=caller.organization_id if caller else None,
            manager=caller is not None and caller.role is ApiRole.CLUSTER_MANAGER,
            candidates=self.settings.api_vector_candidates,
        )

    @property
    def who(self) -> Caller:
        """The authenticated caller (every operation has one; only the GraphiQL page is served without)."""
        if self.caller is None:
            raise Unauthenticated("send an API key as `Authorization: Bearer <key>`")
        return self.caller


def _is_graphiql_page(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
    )


async def get_context(request: Request) -> Context:
    """Authenticate the request (401 without a valid key; the GraphiQL page itself needs none)."""
    state = request.app.state
    caller = None
    if not _is_graphiql_page(request):
        caller = await authenticate(state.graph, request.headers.get("authorization"))
    return Context(
        graph=state.graph,
        sync_graph=state.sync_graph,
        settings=state.settings,
        caller=caller,
        compute=state.compute,
    )


Ctx = Info[Context, None]
"""What resolvers are handed (strawberry's ``info``), typed with this context."""
