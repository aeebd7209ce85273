"""What a caller may restrict suggestions to; both rankings apply the same filters in the graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schema.errors import MatchingError, echo
from schema.graph_model import Role, SizeClass


@dataclass(frozen=True)
class Filters:
    """Restrict suggestions; every given filter must hold. Regions match an organization's region, country,
    city or any region it lies in (by id or name); clusters match by id or name."""

    roles: list[str] | None = None
    regions: list[str] | None = None
    clusters: list[str] | None = None
    sectors: list[str] | None = None
    size_classes: list[str] | None = None
    max_km: float | None = None

    def __post_init__(self) -> None:
        for value in self.roles or []:
            if value not in Role.__members__.values():
                raise MatchingError(f"Unknown role {echo(value)}; roles are {', '.join(Role)}")
        for value in self.size_classes or []:
            if value not in SizeClass.__members__.values():
                raise MatchingError(
                    f"Unknown size class {echo(value)}; size classes are {', '.join(SizeClass)}"
                )
        if self.max_km is not None and self.max_km <= 0:
            raise MatchingError("The maximum distance must be positive")

    def graph_only(self) -> bool:
        """Whether a filter is given that only the graph checks (the snapshot knows roles, not these)."""
        return any((self.regions, self.clusters, self.sectors, self.size_classes, self.max_km is not None))

    def params(self) -> dict[str, Any]:
        """The filters as the suggestion queries' parameters (the distance in metres)."""
        return {
            "roles": self.roles,
            "size_classes": self.size_classes,
            "sectors": self.sectors,
            "regions": self.regions,
            "clusters": self.clusters,
            "max_m": None if self.max_km is None else self.max_km * 1000.0,
        }
