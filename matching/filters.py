"""What a caller may restrict suggestions to; both rankings apply the same filters in the graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.db import Graph
from graph.queries.matching import filters as queries
from schema.countries import country_code
from schema.errors import MatchingError, UnknownFilterValue, echo
from schema.graph_model import Role, SizeClass

UNKNOWN = {
    "clusters": "no cluster has this id or name",
    "regions": "no organization is in a region, country or town of this id or name",
    "sectors": "no organization works in this sector",
}
"""What an unknown value of each filter the graph checks names not (:func:`check_known`)."""
MAX_VALUES = 10
"""Values one filter of a suggestion takes. Each is looked up before the suggestion runs
(:meth:`Filters.check_known`), an unknown sector by a scan of every organization (a list property no index
holds: about 60 ms at 100,000), so the API's 100 values per list held the server for seconds; nobody
narrows a search by more than a few."""


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
        for name in ("roles", "regions", "clusters", "sectors", "size_classes"):
            given = len(getattr(self, name) or [])
            if given > MAX_VALUES:
                raise MatchingError(f"A filter takes at most {MAX_VALUES} values; {name} has {given:,}")
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

    def check_known(self, graph: Graph) -> None:
        """Raise :class:`~schema.errors.UnknownFilterValue` for the first cluster, region or sector given
        that names nothing in the graph: a filter holding one finds fewer partners, or none, for a reason
        the caller can mend."""
        given = {name: getattr(self, name) or [] for name in UNKNOWN}
        if not any(given.values()):
            return
        asked = {**given, "regions": self.region_values() or []}
        unknown = graph.run(queries.UNKNOWN_FILTER_VALUES, **asked)[0]
        codes = {value: country_code(value) for value in given["regions"]}
        unknown["regions"] = [
            value
            for value in given["regions"]
            if value in unknown["regions"] and (codes[value] is None or codes[value] in unknown["regions"])
        ]
        for name, reason in UNKNOWN.items():
            if unknown[name]:
                raise UnknownFilterValue(name, unknown[name][0], reason)

    def region_values(self) -> list[str] | None:
        """The region filter's values, each country named by its name also by its ISO code: the graph keeps a
        country as its code (``AT``), and "Austria" is what people type and what the web pages show."""
        if not self.regions:
            return self.regions
        codes = [country_code(value) for value in self.regions]
        return list(dict.fromkeys([*self.regions, *(code for code in codes if code)]))

    def params(self) -> dict[str, Any]:
        """The filters as the suggestion queries' parameters (the distance in metres)."""
        return {
            "roles": self.roles,
            "size_classes": self.size_classes,
            "sectors": self.sectors,
            "regions": self.region_values(),
            "clusters": self.clusters,
            "max_m": None if self.max_km is None else self.max_km * 1000.0,
        }
