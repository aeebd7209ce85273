"""HTTP-level limits, as plain ASGI middleware so they hold before any parsing: a cap on the request body and
a time limit per request. Both answer in the GraphQL error shape, with a code."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphql.context import DEADLINE
from api.graphql.errors import BAD_USER_INPUT, INTERNAL, error_body

log = logging.getLogger(__name__)


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodySizeLimit:
    """Refuses with 413 a request whose body is larger than ``max_bytes`` (declared or actually sent)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_body(f"request body larger than {self.max_bytes:,} bytes", BAD_USER_INPUT)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await send_json(send, 413, too_large)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await send_json(send, 413, too_large)
                return
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class RequestTimeout:
    """Answers 504 when a request has not started its response within ``seconds``, and cancels what it still
    awaits. The deadline also goes into the scope's state (``api.graphql.context.DEADLINE``), where GraphQL
    execution stops at it (``api.graphql.guarded``).

    Work in a worker thread cannot be cancelled: it runs to its end, and the response the request then makes
    is dropped for the 504 (sent in its place, whole). A response begun in time is sent to its end: cutting
    it off would leave the client a status line without its body."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        scope.setdefault("state", {})[DEADLINE] = time.monotonic() + self.seconds

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if not started and deadline.cancel_called:
                return  # too late: the 504 answers instead
            started = True
            with anyio.CancelScope(shield=True):
                await send(message)

        with anyio.move_on_after(self.seconds) as deadline:
            await self.app(scope, receive, guarded_send)
        if deadline.cancel_called and not started:
            log.warning("request to %s cancelled after %.1f s", scope.get("path"), self.seconds)
            message = f"the request took longer than the limit of {self.seconds:g} s"
            await send_json(send, 504, error_body(message, INTERNAL))
