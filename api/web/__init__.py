"""Web pages for people, served beside ``/graphql``: the partner search (``/``), organization pages and
cluster dashboards, with every script and style (GraphiQL's included) shipped in this package."""

from __future__ import annotations

import strawberry
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web.graphiql import STATIC_PREFIX
from api.web.pages import router
from api.web.render import STATIC


def install(app: FastAPI, schema: strawberry.Schema) -> None:
    """Serve the pages and the static files on ``app``, reading the graph through ``schema``."""
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC), name="static")
    app.include_router(router(schema))
