"""Web pages for people, served beside ``/graphql``: the partner search (``/``), organization pages and
cluster dashboards, with every script and style (GraphiQL's included) shipped in this package."""

from __future__ import annotations

import strawberry
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api.web.graphiql import STATIC_PREFIX
from api.web.pages import router
from api.web.render import STATIC, render


def install(app: FastAPI, schema: strawberry.Schema) -> None:
    """Serve the pages and the static files on ``app``, reading the graph through ``schema``."""
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC), name="static")
    app.include_router(router(schema))
    app.add_exception_handler(HTTPException, not_found)


async def not_found(request: Request, error: Exception) -> Response:
    """A mistyped or old address opened in a browser gets a page with a way back, not FastAPI's JSON
    ``{"detail": "Not Found"}``; programs (no ``text/html`` in ``Accept``) and other statuses keep it."""
    assert isinstance(error, HTTPException)
    if error.status_code == 404 and "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(render("not_found.html", title="Page not found"), status_code=404)
    return await http_exception_handler(request, error)
