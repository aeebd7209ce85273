"""Labels, relationship types and the closed vocabularies of the graph.

Cypher never takes a label or type from user text: where a query needs one as a value (dynamic labels,
``$(label)``), it comes from these enums.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The role of an organization; each maps to exactly one role label besides ``:Organization``."""

    FIRM = "firm"
    VENDOR = "vendor"
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    KNOWLEDGE_BROKER = "knowledge_broker"
    CLUSTER_ORGANIZATION = "cluster_organization"
    PUBLIC_BODY = "public_body"
    OTHER = "other"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.FIRM: "Firm",
    Role.VENDOR: "Vendor",
    Role.UNIVERSITY: "University",
    Role.RESEARCH_INSTITUTE: "ResearchInstitute",
    Role.KNOWLEDGE_BROKER: "KnowledgeBroker",
    Role.CLUSTER_ORGANIZATION: "ClusterOrganization",
    Role.PUBLIC_BODY: "PublicBody",
    Role.OTHER: "OtherOrganization",
}


class CollaborationKind(StrEnum):
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    RESEARCH = "research"
    JOINT_PROJECT = "joint_project"
    MENTORING = "mentoring"


class ClusterStage(StrEnum):
    EMERGENT = "emergent"
    GROWTH = "growth"
    MATURE = "mature"
    TRANSFORMATIVE = "transformative"


class Visibility(StrEnum):
    """Who may read an organization's needs: everyone, or only itself and its clusters' managers."""

    PUBLIC = "public"
    PRIVATE = "private"


class SizeClass(StrEnum):
    """EU size classes by employees: micro < 10, small < 50, medium < 250 (these three are SMBs), large."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"

    @classmethod
    def of(cls, employees: int | None) -> SizeClass | None:
        if employees is None:
            return None
        if employees < 10:
            return cls.MICRO
        if employees < 50:
            return cls.SMALL
        if employees < 250:
            return cls.MEDIUM
        return cls.LARGE


class Label(StrEnum):
    """Every node label of the graph."""

    ORGANIZATION = "Organization"
    FIRM = "Firm"
    VENDOR = "Vendor"
    UNIVERSITY = "University"
    RESEARCH_INSTITUTE = "ResearchInstitute"
    KNOWLEDGE_BROKER = "KnowledgeBroker"
    CLUSTER_ORGANIZATION = "ClusterOrganization"
    PUBLIC_BODY = "PublicBody"
    OTHER_ORGANIZATION = "OtherOrganization"
    CLUSTER = "Cluster"
    REGION = "Region"
    CAPABILITY = "Capability"
    PROJECT = "Project"
    SOURCE = "Source"
    INGEST_RUN = "IngestRun"
    API_KEY = "ApiKey"
    MIGRATION = "Migration"
    NEED_TEXT = "NeedText"
    """A distinct public need text, once per embedder: its vector, in the needs vector index."""


class RelType(StrEnum):
    """Every relationship type of the graph."""

    MEMBER_OF = "MEMBER_OF"
    LOCATED_IN = "LOCATED_IN"
    PART_OF = "PART_OF"
    OFFERS = "OFFERS"
    NEEDS = "NEEDS"
    COLLABORATES_WITH = "COLLABORATES_WITH"
    PARTICIPATES_IN = "PARTICIPATES_IN"
    MANAGES = "MANAGES"
    SUGGESTION_FEEDBACK = "SUGGESTION_FEEDBACK"
    STATES_NEED = "STATES_NEED"
    """An organization states a public need text (``NeedText``); gone when it turns private or changes."""
    LOADED_FROM = "LOADED_FROM"
