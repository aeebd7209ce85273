"""GraphiQL from the package, not from a CDN: strawberry's page with its script and style addresses pointed
at the copies vendored under ``api/web/static/vendor`` (see ``VENDORED.md`` there).

The page keeps strawberry's ``integrity`` hashes, so a browser refuses a vendored file that is not byte for
byte the release strawberry pinned; a strawberry upgrade that pins other releases fails the test of the
page (``tests/test_web.py``) until the new files are vendored.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache

from strawberry.http.ides import get_graphql_ide_html

GRAPHQL_PATH = "/graphql"
"""Where the API serves GraphQL, and GraphiQL to browsers."""
STATIC_PREFIX = "/static"
VENDOR = f"{STATIC_PREFIX}/vendor"
CDN_FILES = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
"""The pages' own viewport (``templates/base.html``), which strawberry's page lacks."""
NARROW = """
      @media (max-width: 600px) {
        .graphiql-container .graphiql-session { flex-direction: column; }
        .graphiql-container .graphiql-horizontal-drag-bar { display: none; }
      }
    """
"""On a phone the query and its answer stand one above the other: side by side, each is a few letters
wide. Added to strawberry's inline style, whose hash the page's policy takes from the page as served."""

INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


class UnvendoredAsset(RuntimeError):
    """Strawberry's GraphiQL page names a CDN file that is not vendored (a strawberry upgrade)."""


@cache
def graphiql_html() -> str:
    """Strawberry's GraphiQL page loading every script and style from this server, keeping no header."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    for url, name in CDN_FILES.items():
        html = html.replace(url, f"{VENDOR}/{name}")
    # GraphiQL keeps the headers (the API key) in localStorage, for whoever uses the browser next, when
    # asked to: strawberry's page asks, this one does not (the pages keep the key for the tab only).
    html = html.replace("shouldPersistHeaders: true", "shouldPersistHeaders: false")
    # A screen reader reads a page in the language its <html> names; strawberry's names none.
    html = html.replace("<html>", '<html lang="en">', 1)
    # Without a viewport a phone lays the page out 980 px wide and shrinks it to a third: unreadable.
    html = html.replace("<head>", f"<head>\n    {VIEWPORT}", 1)
    html = html.replace("</style>", f"{NARROW}</style>", 1)
    if "https://unpkg.com" in html or "cdn." in html:
        raise UnvendoredAsset(
            "strawberry's GraphiQL page loads a file that is not vendored; add it to api/web/static/vendor "
            "and to api.web.graphiql.CDN_FILES"
        )
    return html


def csp_hash(text: str) -> str:
    """A Content-Security-Policy source that allows one inline script or style: the hash of its text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def page_hashes(html: str) -> tuple[list[str], list[str]]:
    """The hashes of a page's inline scripts and styles, for its Content-Security-Policy
    (``api.web.headers``): taken from the page as served, so an upgrade that changes them keeps the page
    working and allows nothing else."""
    return (
        [csp_hash(text) for text in INLINE_SCRIPT.findall(html)],
        [csp_hash(text) for text in INLINE_STYLE.findall(html)],
    )


@cache
def inline_hashes() -> tuple[list[str], list[str]]:
    """The hashes of GraphiQL's inline scripts and styles."""
    return page_hashes(graphiql_html())
