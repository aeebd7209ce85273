"""The GraphQL enums and input types: what callers send. Below the object types and the page builder
(``pages.py``), both of which read them."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.graph_model import ClusterStage, CollaborationKind, Role, SizeClass, Visibility

OrganizationRole = strawberry.enum(Role, name="OrganizationRole", description="What kind of actor it is.")
SizeClassEnum = strawberry.enum(SizeClass, name="SizeClass", description="EU size class by employees.")
ClusterStageEnum = strawberry.enum(ClusterStage, name="ClusterStage")
CollaborationKindEnum = strawberry.enum(CollaborationKind, name="CollaborationKind")
VisibilityEnum = strawberry.enum(Visibility, name="Visibility", description="Who may read a need.")


@strawberry.input(description="Filters combine with AND; a list matches any of its values.")
class OrganizationFilterInput:
    roles: list[OrganizationRole] | None = None  # type: ignore[valid-type]
    clusters: list[strawberry.ID] | None = None
    regions: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Region ids (e.g. `AT`, `AT/upper-austria`); sub-regions match too."
    )
    sectors: list[str] | None = None
    capabilities: list[str] | None = strawberry.field(
        default=None, description="Capabilities offered, by id or name."
    )
    sizes: list[SizeClassEnum] | None = None  # type: ignore[valid-type]
    text: str | None = strawberry.field(default=None, description="Full-text match on name and description.")
    similar_to: str | None = strawberry.field(
        default=None, description="Text whose meaning the organization's capabilities should be close to."
    )


@strawberry.enum
class OrganizationSortField(Enum):
    NAME = "name"
    ID = "id"
    RELEVANCE = "relevance"


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class OrganizationOrderInput:
    field: OrganizationSortField = OrganizationSortField.NAME
    direction: SortDirection = SortDirection.ASC


@strawberry.input(description="An organization to create or replace (the same fields as a registry row).")
class OrganizationInput:
    id: strawberry.ID
    name: str
    role: OrganizationRole  # type: ignore[valid-type]
    description: str | None = None
    needs: str | None = None
    needs_visibility: VisibilityEnum = Visibility.PUBLIC  # type: ignore[valid-type]
    website: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    employees: int | None = None
    founded: int | None = None
    sectors: list[str] | None = None
    capabilities: list[str] | None = None
    clusters: list[strawberry.ID] | None = None
    registry_id: str | None = None
    vat: str | None = None
