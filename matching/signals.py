"""The signals of a suggestion, each a number in [0, 1], and the weights that sum them into a score.

Kept apart from the queries: the signal ranking is what `suggest` falls back to while no model is trained.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from schema.errors import ConfigError
from schema.settings import Settings

SIGNALS: tuple[str, ...] = ("semantic", "role", "proximity", "trust", "novelty")

DEFAULT_ROLE_FIT: dict[str, dict[str, float]] = {
    # An SMB's (technology) need: vendors first, then research, then those whose job is to connect.
    "firm": {
        "vendor": 1.0,
        "university": 0.9,
        "research_institute": 0.9,
        "knowledge_broker": 0.8,
        "firm": 0.6,
        "cluster_organization": 0.5,
        "public_body": 0.3,
        "other": 0.3,
    },
    "vendor": {
        "university": 0.9,
        "research_institute": 0.9,
        "firm": 0.8,
        "knowledge_broker": 0.7,
        "vendor": 0.6,
        "cluster_organization": 0.5,
        "public_body": 0.3,
        "other": 0.3,
    },
    "university": {
        "research_institute": 1.0,
        "university": 0.9,
        "firm": 0.8,
        "vendor": 0.7,
        "knowledge_broker": 0.6,
        "public_body": 0.5,
        "cluster_organization": 0.5,
        "other": 0.3,
    },
    "research_institute": {
        "university": 1.0,
        "research_institute": 0.9,
        "firm": 0.8,
        "vendor": 0.7,
        "knowledge_broker": 0.6,
        "public_body": 0.5,
        "cluster_organization": 0.5,
        "other": 0.3,
    },
}
UNKNOWN_ROLE_FIT = 0.5
"""Fit of a role pair the matrix does not name."""

BROKER_ROLES = frozenset({"knowledge_broker", "cluster_organization"})
"""Partners whose job is to connect: a path through one of them counts more for trust."""

EARTH_RADIUS_KM = 6371.0088


def role_fit_matrix(settings: Settings) -> dict[str, dict[str, float]]:
    """The default matrix with the settings' overrides laid over it."""
    matrix = {role: dict(row) for role, row in DEFAULT_ROLE_FIT.items()}
    for role, row in settings.matching_role_fit.items():
        matrix.setdefault(role, {}).update(row)
    return matrix


def weights_path(settings: Settings) -> Path:
    return settings.matching_weights_file or settings.home / "matching_weights.json"


def load_weights(settings: Settings) -> dict[str, float]:
    """The weights file's weights when it exists, else the settings' weights; normalized to sum 1, so
    that a score stays in [0, 1] and each signal's share of it reads as a part of the whole."""
    path = weights_path(settings)
    try:
        changed = path.stat().st_mtime_ns
    except FileNotFoundError:
        changed = None
    return dict(_weights(path, changed, tuple(sorted(settings.matching_weights.items()))))


@lru_cache(maxsize=8)
def _weights(path: Path, changed: int | None, configured: tuple[tuple[str, float], ...]) -> dict[str, float]:
    """Read once per file version: ``suggest`` asks on every call."""
    weights: dict[str, Any] = dict(configured)
    if changed is not None:
        try:
            weights = json.loads(path.read_text(encoding="utf-8"))["weights"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"Cannot read signal weights from {path}: {e}") from e
    return normalized(weights)


def normalized(weights: dict[str, Any]) -> dict[str, float]:
    unknown = set(weights) - set(SIGNALS)
    if unknown:
        raise ConfigError(f"Unknown signal weights {sorted(unknown)}; the signals are {', '.join(SIGNALS)}")
    values = {name: float(weights.get(name, 0.0)) for name in SIGNALS}
    if any(value < 0 for value in values.values()) or sum(values.values()) <= 0:
        raise ConfigError(f"Signal weights must be non-negative and not all zero: {values}")
    total = sum(values.values())
    return {name: value / total for name, value in values.items()}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Place:
    """Where a seeker or candidate is, as far as known."""

    city: str | None = None
    region: str | None = None
    lat: float | None = None
    lon: float | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Place:
        """Where an organization is, from a row of the graph that reads its city, region and point."""
        return cls(city=row["city"], region=row["region"], lat=row["lat"], lon=row["lon"])

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class Proximity:
    """Proximity in [0, 1] of candidates to one seeker's place, and the distance in km when both points are
    known: the same city counts as 1, else the distance decays as exp(-d / scale); without points, the same
    region counts as 0.5. What depends on the seeker alone is worked out once, not once per candidate."""

    def __init__(self, seeker: Place, scale_km: float) -> None:
        self.point = (seeker.lat, seeker.lon) if seeker.lat is not None and seeker.lon is not None else None
        self.city = seeker.city.casefold() if seeker.city else None
        self.region = seeker.region.casefold() if seeker.region else None
        self.scale_km = scale_km

    def __call__(self, candidate: Place) -> tuple[float, float | None]:
        return self.of(candidate.city, candidate.region, candidate.lat, candidate.lon)

    def of(
        self, city: str | None, region: str | None, lat: float | None, lon: float | None
    ) -> tuple[float, float | None]:
        """The same for a candidate given by its place's parts: the signal ranking makes no ``Place`` for
        each of its hundreds of candidates."""
        point = self.point
        km = (
            distance_km(point[0], point[1], lat, lon)
            if point is not None and lat is not None and lon is not None
            else None
        )
        same_city = bool(self.city and city and self.city == city.casefold())
        same_region = bool(self.region and region and self.region == region.casefold())
        value = 1.0 if same_city else math.exp(-km / self.scale_km) if km is not None else 0.0
        if same_region:
            value = max(value, 0.5)
        return value, km


def trust(shared_partners: int, broker_partners: int, shared_clusters: int) -> float:
    """Noisy-or of the ties: each shared partner 0.5, each shared broker a further 0.4, each shared cluster
    0.25. One shared partner gives 0.5, two give 0.75, nothing gives 0."""
    distrust = 0.5**shared_partners * 0.6**broker_partners * 0.75**shared_clusters
    return 1.0 - distrust


def novelty(seeker_clusters: set[str], candidate_clusters: set[str], candidate_degree: int) -> float:
    """1 for an organization outside every cluster of the seeker, 0.5 for one on the periphery of a shared
    cluster (at most one partner), 0 otherwise; 0 when the seeker is in no cluster (no echo chamber)."""
    if not seeker_clusters:
        return 0.0
    if not seeker_clusters & candidate_clusters:
        return 1.0
    return 0.5 if candidate_degree <= 1 else 0.0


SEMANTIC_FLOOR, SEMANTIC_CEILING = 0.15, 0.6
"""all-MiniLM-L6-v2 cosines of unrelated texts sit below ~0.15 and of close matches around 0.5-0.7: the
semantic fit stretches [floor, ceiling] to [0, 1] so that it weighs like the other signals."""


WEAK_FIT = 0.4
"""Below this fit of words (the ``semantic`` signal, 0 to 1: how well the best sentence a partner offers fits
the need typed) on every card, even the best match is weak and the search page says so; a gap's supplier
(``matching.insights.gaps``) must reach it unless it declares the capability.

Chosen from real searches on the demo region (``tests/utils/web.py: load_demo``, the README's demo), each as
a guest, as a guest in Wels and with the bakery's member key, taking the best fit of the ten cards. Ten needs
nobody there meets ("purple elephants dancing on the moon", "holiday flights to Mallorca in August", "second
hand sofa", "we look for a good dentist for our children", ...) found 0.00-0.38, median 0.07-0.13 (the
highest: "a recipe for my grandmother's birthday cake" against the bakeries' texts). The demo's 33 stated
needs and 7 short ones ("predictive maintenance", "machine vision", ...) found 0.33-1.00, median 0.79; the 4
under 0.4 ("We want to sell our tableware online to customers abroad", 0.34; "We need affordable GPU render
capacity for peaks in production", 0.35) have no organization in the demo that offers it closely. So 0.4
flags all 30 searches for what nobody offers and 4 of the 120 for real needs, the 4 that nothing there
meets.

The score cannot tell them apart: the best score of a need nobody meets was 0.15-0.28 as a guest, 0.30-0.42
in Wels and 0.36-0.48 with the member key (kind of partner, distance, shared partners and clusters count
without any fit of words), that of a real need 0.28-0.65, 0.41-0.80 and 0.46-0.84."""


def semantic(similarity01: float | None) -> tuple[float, float]:
    """Semantic fit from Neo4j's cosine similarity ((1 + cos) / 2): ``(fit, cos)``."""
    if similarity01 is None:
        return 0.0, 0.0
    cosine = 2.0 * similarity01 - 1.0
    fit = (cosine - SEMANTIC_FLOOR) / (SEMANTIC_CEILING - SEMANTIC_FLOOR)
    return min(1.0, max(0.0, fit)), cosine
