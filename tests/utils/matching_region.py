"""A small food-and-engineering region for the matching tests, written straight through the graph door.

Kept independent of the ingest pipeline so the matching tests say exactly which graph they run on.
"""

from __future__ import annotations

from typing import Any

from graph.db import Graph
from graph.query import Query

CREATE_ORGANIZATIONS = Query(
    "test.matching.create_organizations",
    """
    UNWIND $rows AS row
    CREATE (o:Organization {id: row.id})
    SET o:$(row.label), o += row.props,
        o.location = CASE WHEN row.props.lat IS NULL THEN null
                          ELSE point({latitude: row.props.lat, longitude: row.props.lon}) END
    """,
    write=True,
)
CREATE_CLUSTERS = Query(
    "test.matching.create_clusters",
    """
    UNWIND $rows AS row
    CREATE (c:Cluster {id: row.id, name: row.name})
    WITH c, row
    UNWIND row.members AS member
    MATCH (o:Organization {id: member})
    CREATE (o)-[:MEMBER_OF]->(c)
    WITH DISTINCT c, row WHERE row.manager IS NOT NULL
    MATCH (m:Organization {id: row.manager})
    CREATE (m)-[:MANAGES]->(c)
    """,
    write=True,
)
CREATE_COLLABORATIONS = Query(
    "test.matching.create_collaborations",
    """
    UNWIND $rows AS row
    MATCH (a:Organization {id: row.a}), (b:Organization {id: row.b})
    CREATE (a)-[:COLLABORATES_WITH {kind: row.kind, since: row.since}]->(b)
    """,
    write=True,
)
LOCATE = Query(
    "test.matching.locate",
    """
    MERGE (city:Region {id: 'DE-BY-N', name: 'Nuremberg', level: 'city'})
    MERGE (state:Region {id: 'DE-BY', name: 'Bavaria', level: 'state'})
    MERGE (city)-[:PART_OF]->(state)
    WITH city
    UNWIND $ids AS id
    MATCH (o:Organization {id: id})
    MERGE (o)-[:LOCATED_IN]->(city)
    """,
    write=True,
)

MUNICH = (48.137, 11.575)
NUREMBERG = (49.452, 11.077)
HAMBURG = (53.551, 9.993)


def _org(
    id: str,
    label: str,
    role: str,
    name: str,
    description: str,
    place: tuple[str, str, tuple[float, float]],
    *,
    needs: str | None = None,
    visibility: str = "public",
    size_class: str | None = None,
    sectors: list[str] | None = None,
) -> dict[str, Any]:
    city, region, (lat, lon) = place
    props: dict[str, Any] = {
        "name": name,
        "role": role,
        "description": description,
        "city": city,
        "region": region,
        "country": "DE",
        "lat": lat,
        "lon": lon,
        "sectors": sectors or [],
    }
    if needs:
        props["needs"] = needs
        props["needs_visibility"] = visibility
    if size_class:
        props["size_class"] = size_class
    return {"id": id, "label": label, "props": props}


MUC = ("Munich", "Bavaria", MUNICH)
NUE = ("Nuremberg", "Bavaria", NUREMBERG)
HAM = ("Hamburg", "Hamburg", HAMBURG)

ORGANIZATIONS = [
    _org(
        "bakery",
        "Firm",
        "firm",
        "Bäckerei Huber",
        "Family bakery producing bread, rolls and pastries for supermarkets in southern Bavaria.",
        MUC,
        needs="We want AI-based visual quality control for our bread production line. "
        "Burnt or misshapen loaves are found too late, by hand.",
        size_class="small",
        sectors=["food"],
    ),
    _org(
        "visionware",
        "Vendor",
        "vendor",
        "VisionWare GmbH",
        "We build machine vision systems: industrial cameras and deep-learning software that inspect "
        "products on production lines and reject defects automatically.",
        MUC,
        size_class="small",
        sectors=["software", "automation"],
    ),
    _org(
        "cv-lab",
        "University",
        "university",
        "TU Computer Vision Lab",
        "University research group for computer vision, image recognition and automated optical inspection.",
        MUC,
        sectors=["research"],
    ),
    _org(
        "inspect-ham",
        "Vendor",
        "vendor",
        "NordInspect AG",
        "Camera-based optical inspection and defect detection for packaging and food production lines.",
        HAM,
        size_class="medium",
        sectors=["automation"],
    ),
    _org(
        "tax",
        "Vendor",
        "vendor",
        "Steuerbüro Maier",
        "Tax advisory, payroll accounting and annual financial statements for small businesses.",
        MUC,
        size_class="micro",
        sectors=["services"],
    ),
    _org(
        "logistics",
        "Firm",
        "firm",
        "Frisch Logistik",
        "Refrigerated trucking and warehousing for fresh food distribution.",
        NUE,
        size_class="medium",
        sectors=["logistics"],
    ),
    _org(
        "mill",
        "Firm",
        "firm",
        "Mühle Schmid",
        "Flour mill supplying organic wheat and rye flour to bakeries.",
        MUC,
        needs="Our secret plan: we are looking to buy a competitor mill in Austria.",
        visibility="private",
        size_class="small",
        sectors=["food"],
    ),
    _org(
        "broker",
        "KnowledgeBroker",
        "knowledge_broker",
        "Bayern Innovativ Transfer",
        "Technology transfer office connecting small firms with research labs and funding programmes.",
        MUC,
        sectors=["services"],
    ),
    _org(
        "cluster-org",
        "ClusterOrganization",
        "cluster_organization",
        "Food Cluster Bavaria e.V.",
        "Cluster management of the Bavarian food industry: events, matchmaking and joint projects.",
        MUC,
    ),
    _org(
        "robotics",
        "Vendor",
        "vendor",
        "RoboPack",
        "Robotic packaging and palletizing cells for food factories.",
        NUE,
        size_class="small",
        sectors=["automation"],
    ),
]

CLUSTERS = [
    {
        "id": "food-bavaria",
        "name": "Food Cluster Bavaria",
        "members": ["bakery", "mill", "logistics", "visionware", "cluster-org"],
        "manager": "cluster-org",
    },
    {"id": "automation", "name": "Automation Valley", "members": ["robotics", "cv-lab"], "manager": None},
]

COLLABORATIONS = [
    {"a": "bakery", "b": "mill", "kind": "supplier", "since": 2015},
    {"a": "bakery", "b": "broker", "kind": "mentoring", "since": 2021},
    {"a": "broker", "b": "cv-lab", "kind": "research", "since": 2019},
    {"a": "mill", "b": "logistics", "kind": "customer", "since": 2018},
    {"a": "logistics", "b": "robotics", "kind": "supplier", "since": 2020},
]


def create_region(graph: Graph) -> None:
    """Write the region (organizations, clusters with managers, collaborations, a region chain)."""
    graph.run(CREATE_ORGANIZATIONS, rows=ORGANIZATIONS)
    graph.run(CREATE_CLUSTERS, rows=CLUSTERS)
    graph.run(CREATE_COLLABORATIONS, rows=COLLABORATIONS)
    graph.run(LOCATE, ids=["logistics", "robotics"])
