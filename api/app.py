"""The FastAPI application: GraphQL (with GraphiQL) at ``/graphql``, the web pages (``api.web``), ``/healthz``
and ``/readyz``.

Nothing connects at import time: :func:`create_app` builds the app, and its lifespan opens the graph (async
for the resolvers, sync for the ingest pipeline and the matching code, which run in worker threads), loads
the embedding model, and closes the graph on shutdown.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api import web
from api.auth import KeyCache
from api.availability import Availability
from api.graphql.context import address_lane, graph_lane
from api.graphql.errors import (
    BAD_USER_INPUT,
    INTERNAL,
    RATE_LIMITED,
    UNAUTHENTICATED,
    UNAVAILABLE,
    error_body,
)
from api.graphql.router import CodedGraphQL
from api.graphql.schema import build_schema
from api.middleware import BodySizeLimit, RequestTimeout
from api.throttle import FairCompute, RateLimited, RateLimits
from api.web.api_docs import OPENAPI_PATH, install_docs
from api.web.graphiql import GRAPHQL_PATH
from api.web.headers import SecurityHeaders
from graph import migrations
from graph.db import AsyncGraph, Graph
from graph.queries import api as q
from matching.model import load_model
from schema.errors import GraphError, GraphUnavailable, InvalidInput, Unauthenticated
from schema.settings import Settings
from schema.settings_loader import get_settings

log = logging.getLogger(__name__)

READINESS_SECONDS = 3.0
"""How long /readyz waits for Neo4j (the driver would otherwise keep retrying a lost server)."""
TORCH_THREADS = 1
"""Threads torch may use for one encode while the API runs. A request embeds one short text; torch's default
(a thread per core) has its threads spin against each other and against concurrent requests: on two busy
cores one query text cost 148 ms of CPU with two threads and 13 ms with one. Concurrency comes from
requests."""


@contextmanager
def _one_torch_thread(backend: str) -> Iterator[None]:
    """torch limited to :data:`TORCH_THREADS` while the app runs; the ONNX encoders already run a request's
    text on one thread, and import no torch (a server with an exported copy runs without it)."""
    if backend != "torch":
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(TORCH_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _api_settings(settings: Settings) -> Settings:
    """The settings the API's graph connections use: a lost connection is retried briefly, then the request
    is answered 503 (``api.availability``), rather than for the CLI's ``neo4j_retry_seconds``."""
    return settings.model_copy(update={"neo4j_retry_seconds": settings.api_graph_retry_seconds})


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (by default the process-wide settings from the environment)."""
    settings = settings or get_settings()
    docs = settings.api_docs if settings.api_docs is not None else settings.environment != "production"
    app = FastAPI(
        title="clusterkg",
        summary="The cluster knowledge graph and partner suggestions over GraphQL.",
        lifespan=_lifespan(settings),
        docs_url=None,  # served from vendored files instead (api.web.api_docs)
        redoc_url=None,
        openapi_url=OPENAPI_PATH if docs else None,
    )
    # An ASGI app as the endpoint: Starlette's Route passes it the raw scope (its type hints know only
    # request handlers).
    schema = build_schema(settings)
    app.add_route(GRAPHQL_PATH, CodedGraphQL(schema), methods=["GET", "POST"])  # type: ignore[arg-type]
    web.install(app, schema)
    if docs:
        install_docs(app)
    _answer_refusals(app)
    _health_routes(app)
    # The last added runs first: the deadline covers reading the body too, and the security headers go on
    # every answer, the limits' refusals included.
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(RequestTimeout, seconds=settings.api_request_timeout)
    app.add_middleware(SecurityHeaders)
    return app


SHUTDOWN_DRAIN_SECONDS = 30.0
"""How long shutdown waits for the compute threads of requests that already timed out."""


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What the app holds while it runs: the graph connections, the compute queue, the rate limits, the key
    cache and the loaded model."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = app.state
        state.settings = settings
        state.graph = AsyncGraph.from_settings(_api_settings(settings))
        state.sync_graph = Graph.connect(_api_settings(settings), verify=False)
        # Suggestions and embeddings are CPU work: at most `api_compute_threads` run at once, the rest queue,
        # key by key in turn. Eight suggestions in eight threads took turns at the GIL and the cores, and
        # all of them finished late; queued, each finishes as early as the ones before it allow (p95 at 8
        # clients, bench/bench_api.py: 127-134 ms with a thread each, 101-110 ms two at a time).
        # One key holds all threads but one: another key's work finds one free, not behind a long job (nine
        # aliased insights of clusters of 2,400 members, each seconds long, held both threads, and another
        # key's search waited 5 s).
        threads = settings.api_compute_threads
        state.compute = FairCompute(threads, settings.api_compute_threads_per_key or max(1, threads - 1))
        # Neo4j queries of requests are admitted the same way (api.throttle.GraphLane).
        state.graph_slots = FairCompute(settings.api_graph_slots, settings.api_graph_slots_per_key)
        state.rates = RateLimits(settings.api_rate_limit, settings.api_rate_burst)
        state.availability = Availability(state.graph, settings.api_graph_probe_seconds)
        state.keys = KeyCache(settings.api_key_cache_seconds)
        keeping = asyncio.get_running_loop().create_task(
            state.keys.keep(state.sync_graph, lambda: state.availability.up)
        )
        with _one_torch_thread(settings.embedding_backend):
            # Load the embedding model now, not in the first request that needs it (that would hit the
            # timeout).
            await anyio.to_thread.run_sync(load_model, settings.embedder)
            # What is loaded now (the model, torch, the schema: about half a million objects) lives as long
            # as the app: out of the collector's sight, a request's full collection no longer walks all of it.
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                gc.unfreeze()
                state.keys.stop()
                await asyncio.wait([keeping], timeout=SHUTDOWN_DRAIN_SECONDS)
                keeping.cancel()
                await asyncio.gather(keeping, return_exceptions=True)
                await state.compute.drain(SHUTDOWN_DRAIN_SECONDS)
                await state.availability.close()
                await state.graph.close()
                state.sync_graph.close()

    return lifespan


def _health_routes(app: FastAPI) -> None:
    """``/healthz`` (the process) and ``/readyz`` (Neo4j and the migrations), for orchestrators."""

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up (says nothing about Neo4j)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Ready when Neo4j answers and every migration shipped with this code is applied."""
        expected = {migration.version for migration in migrations.available()}
        try:
            with anyio.fail_after(READINESS_SECONDS):
                # Anyone may ask: the query takes its turn at the graph slots as the client's.
                rows = await graph_lane(request, address_lane(request)).run(q.APPLIED_VERSIONS)
        except (GraphError, TimeoutError) as e:
            log.warning("not ready: %s", e)
            return JSONResponse({"status": "unavailable", "reason": "Neo4j does not answer"}, status_code=503)
        missing = sorted(expected - {row["version"] for row in rows})
        if missing:
            return JSONResponse(
                {"status": "unavailable", "reason": "migrations pending", "pending": missing}, status_code=503
            )
        return JSONResponse({"status": "ready"})


def _answer_refusals(app: FastAPI) -> None:
    """The answers, with a code, to requests refused before or outside GraphQL execution."""

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, error: Unauthenticated) -> JSONResponse:
        return JSONResponse(
            error_body(str(error), UNAUTHENTICATED), status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(RateLimited)
    async def rate_limited(_: Request, error: RateLimited) -> JSONResponse:
        headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse(error_body(str(error), RATE_LIMITED), status_code=429, headers=headers)

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, error: InvalidInput) -> JSONResponse:
        return JSONResponse(error_body(str(error), BAD_USER_INPUT), status_code=400)

    @app.exception_handler(GraphError)
    async def graph_down(request: Request, error: GraphError) -> JSONResponse:
        if isinstance(error, GraphUnavailable):
            request.app.state.availability.lost()
            log.warning("answered 503: %s", error)
            body = error_body("the graph is not available; try again shortly", UNAVAILABLE)
            return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})
        log.error("graph error outside GraphQL execution: %s", error)
        return JSONResponse(error_body("the graph is not available", INTERNAL), status_code=503)
