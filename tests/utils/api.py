"""Calling the GraphQL API in tests: a request as a key, its data, its error codes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from api.auth import NewKey


def gql(
    client: TestClient, key: NewKey | str | None, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST a GraphQL request as ``key``; returns the response body (status checked by the caller)."""
    headers = {}
    if key is not None:
        headers["Authorization"] = f"Bearer {key.secret if isinstance(key, NewKey) else key}"
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    body = response.json()
    body["status"] = response.status_code
    return body


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert body["status"] == 200 and not body.get("errors"), body
    return body["data"]


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


def wait_until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Return once ``condition()`` holds; fail when it has not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)
