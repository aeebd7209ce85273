"""Swagger UI for the HTTP routes (``/docs``) from the copy vendored under ``api/web/static/vendor`` (see
``VENDORED.md`` there), not from FastAPI's CDN: the pages load nothing from elsewhere, and a server without
internet access shows them all the same.

FastAPI's page is kept, with its script, stylesheet and icon pointed at the vendored files and Swagger UI's
validator badge off (it would send the schema's address to ``validator.swagger.io``). Its one inline start-up
script is allowed by its hash (``api.web.headers``).
"""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.web.graphiql import VENDOR, page_hashes

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"


@cache
def docs_html() -> str:
    """FastAPI's Swagger UI page, every file it loads served by this app."""
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title="clusterkg: HTTP routes",
        swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui.css",
        swagger_favicon_url=f"{VENDOR}/swagger-favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},
    )
    return bytes(page.body).decode()


def docs_hashes() -> tuple[list[str], list[str]]:
    """The hashes of the page's inline scripts and styles, for its Content-Security-Policy."""
    return page_hashes(docs_html())


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` (the app's ``openapi_url`` must be ``/openapi.json``)."""

    async def docs() -> HTMLResponse:
        return HTMLResponse(docs_html())

    app.add_api_route(DOCS_PATH, docs, methods=["GET"], include_in_schema=False)
