"""Who the members are: roles, size classes, the SMB share, anchor institutions, knowledge brokers and how
many joined each year (the European Cluster Observatory's size and focus, from the graph)."""

from __future__ import annotations

from collections import Counter

from matching.insights.data import Member
from matching.insights.result import Actor, Composition
from schema.graph_model import Role, SizeClass

SMB_CLASSES = frozenset({SizeClass.MICRO.value, SizeClass.SMALL.value, SizeClass.MEDIUM.value})
ANCHOR_ROLES = frozenset({Role.UNIVERSITY.value, Role.RESEARCH_INSTITUTE.value})


def actor(member: Member) -> Actor:
    return Actor(id=member.id, name=member.name, role=member.role)


def composition(members: dict[str, Member]) -> Composition:
    """The composition of ``members`` (one as-of view's)."""
    ordered = sorted(members.values(), key=lambda m: (m.name.lower(), m.id))
    sized = [m.size_class for m in ordered if m.size_class]
    joined = Counter(str(m.since.year) for m in ordered if m.since is not None)
    return Composition(
        by_role=dict(Counter(m.role for m in ordered).most_common()),
        by_size_class=dict(Counter(sized).most_common()),
        smb_share=sum(1 for s in sized if s in SMB_CLASSES) / len(sized) if sized else None,
        anchors=[actor(m) for m in ordered if m.role in ANCHOR_ROLES],
        knowledge_brokers=[actor(m) for m in ordered if m.role == Role.KNOWLEDGE_BROKER.value],
        joined_per_year=dict(sorted(joined.items())),
    )
