"""The organization's properties are named once (``schema.properties``). The pydantic model, the GraphQL
types and what ingest really stores must agree with that list: a property added in one place alone fails
here."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType, GraphQLSchema, get_named_type
from strawberry.utils.str_converters import to_snake_case

import ingest
from api.graphql.schema import build_schema
from graph.db import Graph
from graph.queries import api as api_queries
from graph.queries.ingest import writes as ingest_queries
from graph.query import Query
from ingest.generate import NOT_GENERATED, ORG_COLUMNS
from schema import properties
from schema.models import ClusterRecord, OrganizationRecord, RecordKind
from schema.settings import Settings

STORED_KEYS = Query("test.stored_keys", "MATCH (o:Organization {id: $id}) RETURN keys(o) AS keys")

NOT_PROPERTIES = {"id", "location", "source_ids", "sources", "record_hashes", *ingest_queries.PROVENANCE}
"""What ingest stores on an organization besides its properties: the id, the point made from lat and lon,
and provenance."""


@pytest.fixture(scope="module")
def graphql() -> GraphQLSchema:
    return build_schema(Settings())._schema


def _fields(schema: GraphQLSchema, type_name: str) -> set[str]:
    """The fields of an object or input type, by their Python names."""
    return {to_snake_case(name) for name in schema.type_map[type_name].fields}  # type: ignore[attr-defined]


def test_the_model_has_exactly_the_record_fields() -> None:
    assert set(OrganizationRecord.model_fields) == set(properties.RECORD_FIELDS)


def test_the_write_read_and_generated_lists_come_from_the_one_list() -> None:
    assert ingest_queries.ORGANIZATION_PROPERTIES == properties.STORED
    assert api_queries.PUBLIC_PROPERTIES == properties.PUBLIC
    assert set(ORG_COLUMNS) == set(properties.RECORD_FIELDS) - NOT_GENERATED
    assert "needs" not in properties.PUBLIC and "needs_visibility" not in properties.PUBLIC


def test_every_public_property_is_served_by_the_graphql_type(graphql: GraphQLSchema) -> None:
    organization = _fields(graphql, "Organization")
    served = {p.field for p in properties.ORGANIZATION if p.access is properties.Access.PUBLIC}
    assert None not in served, "a public property no GraphQL field serves"
    assert served <= organization
    organization_type = graphql.type_map["Organization"]
    assert isinstance(organization_type, GraphQLObjectType)
    for field, names in properties.graphql_fields().items():
        named = get_named_type(organization_type.fields[field].type)
        if isinstance(named, GraphQLObjectType):  # location, size: one subfield per property
            assert _fields(graphql, named.name) == set(names)
        else:
            assert (field,) == names
    assert {"needs"} <= organization, "the guarded needs field"
    hidden = {p.name for p in properties.ORGANIZATION if p.access is not properties.Access.PUBLIC}
    assert not (hidden - {"needs"}) & organization


def test_the_graphql_input_takes_only_record_fields(graphql: GraphQLSchema) -> None:
    given = _fields(graphql, "OrganizationInput")
    assert given <= set(properties.RECORD_FIELDS)
    assert {"id", "name", "role"} <= given


def _full_record() -> dict[str, Any]:
    """An organization with every record field set."""
    return {
        "id": "P-1",
        "name": "Bäckerei Muster GmbH",
        "role": "firm",
        "description": "Sourdough bread for the region.",
        "needs": "Camera-based quality control.",
        "needs_visibility": "private",
        "website": "https://www.muster.example/shop",
        "country": "AT",
        "region": "Upper Austria",
        "city": "Wels",
        "lat": 48.16,
        "lon": 14.03,
        "employees": 28,
        "sme": True,
        "founded": 1962,
        "sectors": ["food"],
        "capabilities": ["bread baking"],
        "needed_capabilities": ["machine vision"],
        "clusters": ["FOOD"],
        "registry_id": "FN 1 a",
        "vat": "ATU1",
    }


def test_ingest_stores_exactly_the_listed_properties(graph: Graph) -> None:
    values = _full_record()
    assert set(values) == set(properties.RECORD_FIELDS), "the record above sets every field"
    cluster = ClusterRecord.model_validate({"id": "FOOD", "name": "Food Cluster"})
    ingest.load_records(graph, RecordKind.CLUSTERS, [cluster], source="test")
    summary = ingest.load_records(
        graph, RecordKind.ORGANIZATIONS, [OrganizationRecord.model_validate(values)], source="test"
    )
    assert summary.rows == 1 and not summary.rejects
    stored = set(graph.value(STORED_KEYS, id="P-1"))
    assert stored - NOT_PROPERTIES == set(properties.STORED)
