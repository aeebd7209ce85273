"""The properties of an ``:Organization`` node, named once.

Ingest writes them (``graph.queries.ingest.writes``, ``ingest.writer``), the API reads the public ones
(``graph.queries.api``, ``api.graphql.pages``), the generator writes the record fields as columns
(``ingest.generate``); all derive their lists from :data:`ORGANIZATION`. ``tests/test_properties.py`` fails
when this list, the pydantic model (``schema.models.OrganizationRecord``) and the GraphQL type disagree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import LiteralString, NamedTuple


class Access(StrEnum):
    PUBLIC = "public"
    """Any caller may read it."""
    PRIVATE = "private"
    """Guarded: the needs, readable only by the organization and its clusters' managers (``NEEDS_OF``)."""
    INTERNAL = "internal"
    """Written for entity resolution and provenance, served to no caller."""


class Property(NamedTuple):
    name: LiteralString
    access: Access
    derived: bool = False
    """Computed by ingest (a resolution key, the size class) rather than a field of the record."""
    field: str | None = None
    """The ``Organization`` GraphQL field that serves a public property."""


_PUBLIC, _PRIVATE, _INTERNAL = Access.PUBLIC, Access.PRIVATE, Access.INTERNAL

ORGANIZATION: tuple[Property, ...] = (
    Property("name", _PUBLIC, field="name"),
    Property("role", _PUBLIC, field="role"),
    Property("description", _PUBLIC, field="description"),
    Property("needs", _PRIVATE),
    Property("needs_visibility", _PRIVATE),
    Property("website", _PUBLIC, field="website"),
    Property("domain", _INTERNAL, derived=True),
    Property("country", _PUBLIC, field="location"),
    Property("region", _PUBLIC, field="location"),
    Property("city", _PUBLIC, field="location"),
    Property("lat", _PUBLIC, field="location"),
    Property("lon", _PUBLIC, field="location"),
    Property("employees", _PUBLIC, field="size"),
    Property("size_class", _PUBLIC, derived=True, field="size"),
    Property("sme", _INTERNAL),
    Property("founded", _PUBLIC, field="founded"),
    Property("sectors", _PUBLIC, field="sectors"),
    Property("registry_id", _INTERNAL),
    Property("vat", _INTERNAL),
    Property("name_key", _INTERNAL, derived=True),
)
"""Every property an organization record sets on its node besides ``id``, in the order they are written."""

STORED: tuple[LiteralString, ...] = tuple(p.name for p in ORGANIZATION)
"""What an organization record writes (a record merged into another's node fills only what it lacks)."""

PUBLIC: tuple[LiteralString, ...] = ("id", *(p.name for p in ORGANIZATION if p.access is Access.PUBLIC))
"""What any caller may read of an organization."""

KEYS: frozenset[str] = frozenset({"id", "name", "role"})
"""What every organization row the API reads carries, whatever else the query selects."""

LINKS: tuple[str, ...] = ("capabilities", "needed_capabilities", "clusters")
"""Record fields written as relationships (``OFFERS``, ``NEEDS``, ``MEMBER_OF``), not as properties."""

RECORD_FIELDS: tuple[str, ...] = ("id", *(p.name for p in ORGANIZATION if not p.derived), *LINKS)
"""The fields of an organization record: ``id``, the properties it sets as given, and its links."""


def graphql_fields() -> dict[str, tuple[str, ...]]:
    """The public properties behind each ``Organization`` GraphQL field beyond :data:`KEYS`."""
    fields: dict[str, tuple[str, ...]] = {}
    for p in ORGANIZATION:
        if p.field is not None and p.name not in KEYS:
            fields[p.field] = (*fields.get(p.field, ()), p.name)
    return fields
