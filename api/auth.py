"""API keys: created and revoked from the CLI, stored hashed in the graph, resolved into a :class:`Caller`.

A key reads ``ckg_<id>_<secret>``; the graph keeps only the SHA-256 of the whole key (the secret is 32 random
bytes, so a fast hash is safe, and the lookup per request stays one indexed query). The role decides what the
caller may do; ``member`` and ``cluster_manager`` keys are bound to an organization (the member itself, or the
cluster organization whose clusters the manager runs).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import anyio

from graph.db import AsyncGraph, Graph
from graph.queries import api as q
from schema.errors import (
    AccessDenied,
    GraphError,
    GraphUnavailable,
    InvalidInput,
    NotFound,
    Unauthenticated,
    echo,
)
from schema.graph_model import Role

log = logging.getLogger(__name__)

PREFIX = "ckg_"


class ApiRole(StrEnum):
    """What a key may do: managers read everything and the needs of their clusters' members; members read
    public fields and their own needs and suggestions; data teams also write."""

    CLUSTER_MANAGER = "cluster_manager"
    MEMBER = "member"
    DATA_TEAM = "data_team"


@dataclass(frozen=True)
class Caller:
    """Who is asking: the key's id, its role and the organization it is bound to (if any)."""

    key_id: str
    role: ApiRole
    organization_id: str | None

    def require(self, *roles: ApiRole) -> None:
        """Refuse the call unless the caller has one of ``roles``."""
        if self.role not in roles:
            wanted = " or ".join(role.value for role in roles)
            raise AccessDenied(f"this needs a {wanted} key; yours is a {self.role.value} key")

    def own_organization(self) -> str:
        """The organization a member key acts for; other keys are refused (``create_key`` binds every member
        key to an organization)."""
        self.require(ApiRole.MEMBER)
        if self.organization_id is None:
            raise AccessDenied("this member key is bound to no organization")
        return self.organization_id


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: the secret is shown once and never stored."""

    id: str
    secret: str
    role: ApiRole
    organization_id: str | None


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(graph: Graph, role: ApiRole, organization_id: str | None, label: str | None = None) -> NewKey:
    """Store a new key for ``role``; member and manager keys must name an existing organization (a manager
    key, a cluster organization), a data_team key none."""
    if role is ApiRole.DATA_TEAM and organization_id:
        raise InvalidInput(
            "a data_team key is bound to no organization (it reads public fields only); "
            "leave --organization out"
        )
    if role in (ApiRole.MEMBER, ApiRole.CLUSTER_MANAGER):
        if not organization_id:
            raise InvalidInput(f"a {role.value} key must be bound to an organization: pass --organization ID")
        rows = graph.run(q.ORGANIZATION_EXISTS, id=organization_id)
        if not rows:
            raise NotFound(f"no organization with id {echo(organization_id)}")
        if role is ApiRole.CLUSTER_MANAGER and rows[0]["role"] != Role.CLUSTER_ORGANIZATION:
            raise InvalidInput(
                f"a cluster_manager key is bound to a cluster organization; {organization_id!r} is a "
                f"{rows[0]['role']}"
            )
    key_id = secrets.token_hex(6)
    secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    graph.run(
        q.CREATE_API_KEY,
        id=key_id,
        hash=hash_key(secret),
        role=role.value,
        organization_id=organization_id,
        label=label,
    )
    return NewKey(id=key_id, secret=secret, role=role, organization_id=organization_id)


def revoke_key(graph: Graph, key_id: str) -> None:
    """Revoke a key at once: the next request with it is refused."""
    if not graph.run(q.REVOKE_API_KEY, id=key_id):
        raise NotFound(f"no active API key with id {echo(key_id)}")


def list_keys(graph: Graph) -> list[dict[str, object]]:
    """Every key, revoked ones included (never a secret: only hashes are stored)."""
    return graph.run(q.LIST_API_KEYS)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header."""
    if not authorization:
        raise Unauthenticated("send an API key as `Authorization: Bearer <key>`")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must read `Bearer <key>`")
    return token.strip()


def _caller(row: dict[str, Any]) -> Caller:
    return Caller(key_id=row["id"], role=ApiRole(row["role"]), organization_id=row["organization_id"])


class KeyCache:
    """Every active key, read every ``seconds`` in the background while the graph answers (:meth:`keep`):
    what keys are checked against while it does not (a key revoked meanwhile is refused once Neo4j is
    back). While the graph answers, each request's key is looked up in it, so a revocation takes effect at
    once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.callers: dict[str, Caller] | None = None
        self._stopped = asyncio.Event()

    async def keep(self, graph: Graph, graph_up: Callable[[], bool]) -> None:
        """Read the keys now and every ``seconds`` while ``graph_up()`` (a background task, on a worker
        thread: no request waits for it or sees its query), until :meth:`stop`. It ends after the read in
        flight, never during it: a cancelled task leaves its thread reading, and the graph closed under that
        read fails the close (``BufferError`` in the driver)."""
        while not self._stopped.is_set():
            if graph_up():
                try:
                    rows = await anyio.to_thread.run_sync(graph.run, q.ACTIVE_API_KEYS)
                    self.callers = {row["hash"]: _caller(row) for row in rows}
                except GraphError as e:
                    log.warning("API keys not read again: %s", e)
            with anyio.move_on_after(self.seconds):
                await self._stopped.wait()

    def stop(self) -> None:
        """Let :meth:`keep` end once its read in flight is done."""
        self._stopped.set()

    def caller(self, digest: str) -> Caller:
        """The caller of a key's hash from the last reading (the graph being down)."""
        if self.callers is None:
            raise GraphUnavailable("Neo4j does not answer, and no API keys were read before it stopped")
        caller = self.callers.get(digest)
        if caller is None:
            raise Unauthenticated("unknown or revoked API key")
        return caller


async def authenticate(
    graph: AsyncGraph,
    authorization: str | None,
    keys: KeyCache,
    *,
    graph_up: bool = True,
    lost: Callable[[], None] = lambda: None,
) -> Caller:
    """The caller behind an ``Authorization`` header; unknown and revoked keys are refused alike. Looked up
    in the graph while it answers (``graph_up``), else in ``keys``; ``lost`` hears that the graph stopped
    answering just now."""
    digest = hash_key(bearer_token(authorization))
    if not graph_up:
        return keys.caller(digest)
    try:
        rows = await graph.run(q.API_KEY_BY_HASH, hash=digest)
    except GraphUnavailable:
        lost()
        keys.caller(digest)  # a wrong key is told so even now
        raise
    if not rows:
        raise Unauthenticated("unknown or revoked API key")
    return _caller(rows[0])
