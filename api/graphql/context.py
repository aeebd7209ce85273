"""What every resolver gets: the graph, the settings, the caller and the request's DataLoaders.

Making the context is also where a request is admitted: its key checked (``api.auth``), its rate counted
(``api.throttle``), and the graph's availability asked (``api.availability``), so that a refused request
costs no query and a request while Neo4j is down is answered 503 at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from strawberry.types import Info

from api.auth import ApiRole, Caller, authenticate
from api.graphql.loaders import Loaders
from api.throttle import GraphLane, Lane
from graph.db import AsyncGraph, Graph
from schema.errors import Unauthenticated
from schema.settings import Settings

DEADLINE = "clusterkg_deadline"
"""Where ``api.middleware.RequestTimeout`` puts the request's deadline (``time.monotonic()``) in the scope's
state."""


@dataclass
class Context:
    graph: AsyncGraph
    sync_graph: Graph
    settings: Settings
    caller: Caller | None
    compute: Lane
    """Admits a request's CPU-bound work (a suggestion, a text's embedding) to a worker thread, a few at a
    time and key by key in turn (``api.throttle.FairCompute``)."""
    deadline: float | None = None
    """When the request's time is up (``time.monotonic()``); execution stops there
    (``api.graphql.guarded``)."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        caller = self.caller
        # Needs are read as the key's organization only for the roles bound to one (a data_team key stored
        # with an organization by an earlier version reads public needs, as its role says).
        bound = caller is not None and caller.role in (ApiRole.MEMBER, ApiRole.CLUSTER_MANAGER)
        self.loaders = Loaders(
            self.graph,
            viewer=caller.organization_id if bound and caller else None,
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


def address_lane(request: Request) -> str:
    """The lane (rate bucket, graph slots, compute threads) of a request that has shown nothing but its
    client address: one without a key, or one whose key is still being looked up."""
    return f"address:{request.client.host if request.client else '?'}"


def graph_lane(request: Request, lane: str) -> GraphLane:
    """The app's graph as ``lane`` reaches it: each query waits for one of the graph slots in the lane's
    turn (``api.throttle.GraphLane``)."""
    state = request.app.state
    return GraphLane(state.graph, state.graph_slots, lane)


async def admit(request: Request) -> Caller:
    """The caller, once its key is valid and its rate allows another request (wrong keys are counted by
    client address); else :class:`~api.throttle.RateLimited`, ``Unauthenticated`` or ``GraphUnavailable``.

    The key's look-up waits for a graph slot in the client address's lane, since the key is not known to
    be valid yet: a lane per key sent would give a client that makes up keys a turn for each one (every
    request looks its key up before any rate counts it), and a look-up outside the slots would let a flood
    of requests take every connection of the driver while other keys' queries wait for a slot."""
    state = request.app.state
    availability = state.availability
    try:
        caller = await authenticate(
            graph_lane(request, address_lane(request)),
            request.headers.get("authorization"),
            state.keys,
            graph_up=availability.up,
            lost=availability.lost,
        )
    except Unauthenticated:
        state.rates.take(address_lane(request))
        raise
    state.rates.take(f"key:{caller.key_id}")
    availability.check()
    return caller


async def get_context(request: Request) -> Context:
    """Admit the request (401 without a valid key, 429 over its rate, 503 while Neo4j is down; the GraphiQL
    page itself needs none of it)."""
    caller = None if _is_graphiql_page(request) else await admit(request)
    return context_for(request, caller)


def context_for(request: Request, caller: Caller | None) -> Context:
    """The context of a request made by ``caller`` (the web pages run operations for their caller too)."""
    state = request.app.state
    key = caller.key_id if caller else "anonymous"
    return Context(
        graph=graph_lane(request, key),
        sync_graph=state.sync_graph,
        settings=state.settings,
        caller=caller,
        compute=Lane(state.compute, key),
        deadline=request.scope.get("state", {}).get(DEADLINE),
    )


Ctx = Info[Context, None]
"""What resolvers are handed (strawberry's ``info``), typed with this context."""
