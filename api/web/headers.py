"""Security headers on every response, as plain ASGI middleware so that pages, fragments, static files, JSON
and the limits' own refusals (413, 504) all carry them.

- ``Content-Security-Policy``: scripts, styles, images and connections from the app's own origin only, no
  inline script or style, no plugin, no ``<base>``, forms posted to the app only. A page that an injected
  ``<script>`` or ``style`` attribute slips into runs none of it, and cannot send what it reads elsewhere.
- ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (older browsers): no other site frames a page to
  trick a click (a key typed into a framed page, an *Accept* pressed unseen).
- ``X-Content-Type-Options: nosniff``: a browser runs a file only as the type the app says it is.
- ``Referrer-Policy: no-referrer``: a page's address (a need typed into the search is in it) goes to no
  other site a link leads to.

Two pages the app does not write itself get the sources they need, and no more: GraphiQL (strawberry's page)
runs one inline script and one inline style, allowed by their hashes (:func:`api.web.graphiql.inline_hashes`),
and its vendored stylesheet holds its fonts and lint marks as ``data:`` URLs; Swagger UI at ``/docs`` (off in
production, ``api.web.api_docs``) starts with one inline script, allowed by its hash, and its stylesheet holds
``data:`` images.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.web.api_docs import DOCS_PATH, docs_hashes
from api.web.graphiql import GRAPHQL_PATH, UnvendoredAsset, inline_hashes

SELF_ONLY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
"""The policy of every page the app writes: nothing from elsewhere, nothing inline."""
FIXED = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def security_headers(policy: bytes) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries under ``policy``: the app's answers, and the server's own refusals
    of a request head (``api.http_head``), which no middleware sees."""
    return [(b"content-security-policy", policy), *FIXED]


def policy_text(directives: dict[str, str]) -> bytes:
    return "; ".join(f"{name} {sources}" for name, sources in directives.items()).encode()


def inline_policy(hashes: tuple[list[str], list[str]], *, data_fonts: bool = False) -> dict[str, str]:
    """The policy of a page the app does not write itself: its own inline scripts and styles by their
    hashes, and ``data:`` images (and fonts) that its vendored stylesheet holds."""
    scripts, styles = hashes
    return SELF_ONLY | {
        "script-src": " ".join(["'self'", *scripts]),
        "style-src": " ".join(["'self'", *styles]),
        "img-src": "'self' data:",
        "font-src": "'self' data:" if data_fonts else "'self'",
    }


class SecurityHeaders:
    """Adds the headers above to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.policies = {DOCS_PATH: policy_text(inline_policy(docs_hashes()))}
        self.default = policy_text(SELF_ONLY)

    def policy(self, path: str) -> bytes:
        """The policy for ``path``; GraphiQL's is made on its first request, from the page as served."""
        if path == GRAPHQL_PATH and path not in self.policies:
            try:
                self.policies[path] = policy_text(inline_policy(inline_hashes(), data_fonts=True))
            except UnvendoredAsset:
                return self.default  # the page itself fails, naming the file; the API's answers need no more
        return self.policies.get(path, self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = security_headers(self.policy(scope.get("path", "")))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in added if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
