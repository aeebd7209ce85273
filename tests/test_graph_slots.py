"""Web pages and key look-ups take their turn at the graph slots with GraphQL, against the real Neo4j and
the real app (driven in-process by ``httpx``, each client from an address of its own).

The slots (``CLUSTERKG_API_GRAPH_SLOTS``) bound the Neo4j queries the API runs at once and admit waiting
ones lane by lane. A query outside them takes a connection whatever the others wait for: many page loads
could hold every connection and Neo4j's cores while a GraphQL user's query waited for a slot. With one slot
held here, no page is answered, and once it is free another key's query and another guest's page are
answered in their turn, before the flood is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
import httpx
import pytest

import ingest
from api.app import create_app
from api.auth import ApiRole, NewKey, create_key
from graph import admin
from graph.db import Graph
from schema.settings import Settings
from tests.utils.registry import write_jsonl

FLOOD = 12
"""Page loads of each kind the flooding client sends at once."""
GUEST_PAGE = "/web/suggestions?need=welding&town=Nowhere"
"""A guest's search: one graph query (the town's position), then a sentence saying no one is located there."""


@pytest.fixture(scope="module")
def keys(session_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, NewKey]:
    """A cluster, the organization that manages it, and a key for its manager and for a data team."""
    admin.delete_data(session_graph)
    folder = tmp_path_factory.mktemp("slots")
    cluster = {"id": "food", "name": "Food Cluster", "sector": "food", "managed_by": "cm-food"}
    manager = {"id": "cm-food", "name": "Food Management", "role": "cluster_organization", "clusters": "food"}
    files = [
        write_jsonl(folder / "clusters.jsonl", [cluster]),
        write_jsonl(folder / "organizations.jsonl", [manager]),
    ]
    summary = ingest.load(session_graph, files, source="slots")
    assert summary.counts()["rejected"] == 0, summary.counts()
    return {
        "manager": create_key(session_graph, ApiRole.CLUSTER_MANAGER, "cm-food"),
        "data_team": create_key(session_graph, ApiRole.DATA_TEAM, None),
    }


def bearer(key: NewKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.secret}"}


async def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await anyio.sleep(0.01)


def test_pages_and_key_look_ups_wait_for_a_graph_slot_in_their_lanes(
    neo4j_settings: Settings, keys: dict[str, NewKey]
) -> None:
    """With the only slot held, a flood of guest searches and of a manager's ``/web/me`` from one address
    waits (the guests' queries and the key look-ups in the address's lane); released, another key's GraphQL
    query and another guest's page are answered before the flood is. A page or a look-up that reads the
    graph directly is answered while the slot is held."""
    app = create_app(neo4j_settings.model_copy(update={"api_graph_slots": 1}))
    done: dict[str, tuple[float, int]] = {}

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async def load(
        name: str, http: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None
    ) -> None:
        response = await http.get(path, headers=headers)
        done[name] = (time.monotonic(), response.status_code)

    async def ask(name: str, http: httpx.AsyncClient, key: NewKey, query: str) -> None:
        response = await http.post("/graphql", json={"query": query}, headers=bearer(key))
        assert not response.json().get("errors"), response.json()
        done[name] = (time.monotonic(), response.status_code)

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            slots = app.state.graph_slots

            def waiting(lane: str) -> int:
                return len(slots.waiting.get(lane, ()))

            flooder, guest, other = client("10.0.0.1"), client("10.0.0.2"), client("10.0.0.3")
            await slots.acquire("busy")
            async with anyio.create_task_group() as group:
                for i in range(FLOOD):
                    group.start_soon(load, f"search {i}", flooder, GUEST_PAGE)
                    group.start_soon(load, f"me {i}", flooder, "/web/me", bearer(keys["manager"]))
                await wait_until(lambda: waiting("address:10.0.0.1") == 2 * FLOOD or bool(done))
                assert done == {}, f"pages answered while the only graph slot was held: {sorted(done)}"
                group.start_soon(load, "guest", guest, GUEST_PAGE)
                group.start_soon(ask, "key", other, keys["data_team"], '{ cluster(id: "food") { name } }')
                await wait_until(lambda: waiting("address:10.0.0.2") == waiting("address:10.0.0.3") == 1)
                slots.release("busy")
            for http in (flooder, guest, other):
                await http.aclose()

    anyio.run(scenario)
    flood = [at for name, (at, _) in done.items() if name.startswith(("search", "me"))]
    assert len(flood) == 2 * FLOOD
    assert done["key"][0] < max(flood) and done["guest"][0] < max(flood), done
    statuses = {name.split()[0]: status for name, (_, status) in done.items()}
    assert statuses == {"search": 400, "me": 200, "guest": 400, "key": 200}, done
