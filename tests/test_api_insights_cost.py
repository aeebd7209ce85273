"""What a cluster's insights cost over the API, on the demo region served by the real app under uvicorn.

A gap's outside suppliers are one suggestion each, and a cluster has any number of gaps (the demo's food
cluster 12): counted as one suggestion whatever its gaps, 9 aliased ``clusterInsights`` of that cluster ran
over 100 suggestions and held both compute threads until the request's time limit.
"""

from __future__ import annotations

from typing import Any

import httpx

from api.auth import NewKey
from api.graphql.costs import SUPPLIED_GAPS
from tests.utils.web import Site


def ask(site: Site, key: NewKey, query: str) -> dict[str, Any]:
    response = httpx.post(
        f"{site.url}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {key.secret}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def insights(alias: str, suppliers: int) -> str:
    return (
        f'{alias}: clusterInsights(clusterId: "FOOD", suppliers: {suppliers}) '
        "{ gaps { capability suppliers { id } suppliersSearched } }"
    )


def test_only_the_most_needed_gaps_get_suppliers_and_the_insights_count_their_suggestions(site: Site) -> None:
    """Suppliers for the first gaps only, and four aliased insights with suppliers (12 suggestions) are
    refused, four without them (four analyses) served."""
    key = site.keys["food_manager"]
    gaps = ask(site, key, f"{{ {insights('one', 1)} }}")["data"]["one"]["gaps"]
    assert len(gaps) > SUPPLIED_GAPS, "the demo's food cluster has too few gaps for this test"
    assert any(gap["suppliers"] for gap in gaps[:SUPPLIED_GAPS]), gaps
    assert [gap["suppliers"] for gap in gaps[SUPPLIED_GAPS:]] == [[]] * (len(gaps) - SUPPLIED_GAPS), gaps
    # an empty list says "none fits" only where suppliers were looked for
    assert [gap["suppliersSearched"] for gap in gaps] == [True] * SUPPLIED_GAPS + [False] * (
        len(gaps) - SUPPLIED_GAPS
    ), gaps
    aliases = " ".join(insights(f"a{i}", 1) for i in range(4))
    body = ask(site, key, f"{{ {aliases} }}")
    assert body["data"] is None and "too complex" in body["errors"][0]["message"], body
    without = ask(site, key, f"{{ {aliases.replace('suppliers: 1', 'suppliers: 0')} }}")
    assert not without.get("errors") and len(without["data"]) == 4, without
