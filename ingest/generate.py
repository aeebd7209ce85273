"""A seeded generator of large synthetic regions, for benchmarks, load tests and the matching evaluation.

Every organization offers a few capabilities of its sector and needs one or two capabilities of a sector its
sector buys from. Collaborations are PLANTED from that complementarity: a planted link joins an organization
that needs a capability with one that offers it (preferring the same cluster), so a matcher that reads
descriptions and needs can recover them. ``truth/planted.csv`` lists, for each planted link, the capability
it was planted from; a share of links (``noise``) is random and listed with an empty capability.

Files are written row by row (memory stays flat in the number of organizations apart from one small list of
offerers per capability), in the canonical formats of ``schema/formats.md``.
"""

from __future__ import annotations

import csv
import gzip
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.vocabulary import (
    COUNTRIES,
    FIRM_WORDS,
    LEGAL,
    OTHER_ROLES,
    RESEARCH_NAMES,
    ROLE_BY_SECTOR,
    SECTORS,
    SYLLABLES,
)
from schema.models import OrganizationRecord

NOT_GENERATED = frozenset({"sme", "clusters"})
"""Record fields the generator leaves out: a registry's own SME flag, and clusters (memberships.csv)."""
MAX_ORGS = 1_000_000
"""The most organizations a generated region holds: a region on one machine is 10^5 to 10^6 of them, and
2^63 asked for (a typo, a script's overflow) wrote until the disk was full."""
MAX_LINKS_PER_ORG = 100
"""The most collaborations asked for per organization: the planting loop tries up to 20 times per link, so
an unbounded count ran for ever once every distinct pair was taken."""


def most_collaborations(orgs: int) -> int:
    """How many collaborations ``orgs`` organizations can be asked for: each pair once, at most
    :data:`MAX_LINKS_PER_ORG` per organization."""
    return min(orgs * (orgs - 1) // 2, MAX_LINKS_PER_ORG * orgs)


ORG_COLUMNS = tuple(name for name in OrganizationRecord.model_fields if name not in NOT_GENERATED)
"""The columns of the generated organizations.csv, in the model's order."""


@dataclass(frozen=True)
class Generated:
    """Where the files went and how many rows each got."""

    out: Path
    organizations: int
    collaborations: int
    asked: int
    """The collaborations asked for: more than were written when a small region has too few distinct pairs
    to plant (nobody in it offers what the others need)."""
    planted: int
    memberships: int
    clusters: int
    files: list[Path]


@contextmanager
def _writer(path: Path, compress: bool) -> Iterator[Any]:
    if compress:
        with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=3) as handle:
            yield csv.writer(handle)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            yield csv.writer(handle)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()


@dataclass(frozen=True)
class _Layout:
    """The regions (names, centres, countries, cities) and the clusters, one per region and sector."""

    names: list[str]
    centres: list[tuple[float, float]]
    countries: list[str]
    cities: list[list[str]]
    clusters: dict[tuple[int, str], str]


@dataclass
class _Offers:
    """Who offers and who needs what, gathered while organizations are written: planted links join them."""

    offerers: dict[tuple[int, str], list[str]] = field(default_factory=dict)  # (region, capability) -> ids
    offerers_any: dict[str, list[str]] = field(default_factory=dict)  # capability -> ids
    needers: list[tuple[str, int, str]] = field(default_factory=list)  # (org, region, needed capability)
    memberships: int = 0


def generate(
    out: Path,
    *,
    orgs: int,
    collaborations: int | None = None,
    seed: int = 0,
    noise: float = 0.1,
    regions: int = 4,
    compress: bool = False,
) -> Generated:
    """Write a synthetic region of ``orgs`` organizations and ``collaborations`` links (default 3 per
    organization) into ``out``: clusters.csv, organizations.csv, memberships.csv, collaborations.csv
    (``.gz`` when ``compress``) and truth/planted.csv.

    One random stream drives everything, in this order (layout, clusters, organizations, links), so a seed
    gives the same region byte for byte."""
    if not 2 <= orgs <= MAX_ORGS:
        raise ValueError(f"a region holds 2 to {MAX_ORGS:,} organizations, not {orgs:,}")
    if collaborations is not None and not 0 <= collaborations <= most_collaborations(orgs):
        raise ValueError(f"{orgs:,} organizations take 0 to {most_collaborations(orgs):,} collaborations")
    links = 3 * orgs if collaborations is None else collaborations
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    suffix = ".csv.gz" if compress else ".csv"
    paths = {
        name: out / f"{name}{suffix}"
        for name in ("clusters", "organizations", "memberships", "collaborations")
    }
    layout = _layout(rng, regions)
    with _writer(paths["clusters"], compress) as w:
        _write_clusters(w, rng, layout)
    with _writer(paths["organizations"], compress) as w, _writer(paths["memberships"], compress) as m:
        offers = _write_organizations(w, m, rng, layout, orgs)
    with (
        _writer(paths["collaborations"], compress) as w,
        (out / "truth" / "planted.csv").open("w", encoding="utf-8", newline="") as truth_handle,
    ):
        written, planted = _plant(w, csv.writer(truth_handle), rng, offers, orgs, links, noise)
    return Generated(
        out=out,
        organizations=orgs,
        collaborations=written,
        asked=links,
        planted=planted,
        memberships=offers.memberships,
        clusters=len(layout.clusters),
        files=[paths[k] for k in ("clusters", "organizations", "memberships", "collaborations")],
    )


def _layout(rng: random.Random, regions: int) -> _Layout:
    names = [f"{_name(rng)} Region" for _ in range(regions)]
    centres = [(rng.uniform(45.0, 55.0), rng.uniform(5.0, 25.0)) for _ in range(regions)]
    countries = [rng.choice(COUNTRIES) for _ in range(regions)]
    cities = [[_name(rng) for _ in range(8)] for _ in range(regions)]
    clusters = {(r, s): f"CL-{r + 1}-{s}" for r in range(regions) for s in SECTORS}
    return _Layout(names, centres, countries, cities, clusters)


def _write_clusters(w: Any, rng: random.Random, layout: _Layout) -> None:
    w.writerow(["id", "name", "sector", "region", "stage", "managed_by"])
    stages = ["emergent", "growth", "mature", "transformative"]
    for (r, s), cid in layout.clusters.items():
        name = f"{layout.names[r]} {SECTORS[s][0]} Cluster"
        w.writerow([cid, name, s, layout.names[r], rng.choice(stages), ""])


def _role(rng: random.Random, sector: str) -> str:
    draw, role = rng.random(), ROLE_BY_SECTOR[sector]
    for other, share in OTHER_ROLES:
        if draw < share:
            return other
        draw -= share
    return role


def _write_organizations(w: Any, m: Any, rng: random.Random, layout: _Layout, orgs: int) -> _Offers:
    """Write ``orgs`` organizations and one membership each; return who offers and needs what."""
    offers = _Offers()
    sectors = list(SECTORS)
    w.writerow(ORG_COLUMNS)
    m.writerow(["organization", "cluster", "since"])
    for n in range(orgs):
        oid = f"G{n:07d}"
        region = rng.randrange(len(layout.names))
        sector = rng.choice(sectors)
        row, caps, needs = _organization(rng, n, oid, region, sector, layout)
        w.writerow(row)
        for cap, _ in caps:
            offers.offerers.setdefault((region, cap), []).append(oid)
            offers.offerers_any.setdefault(cap, []).append(oid)
        for cap, _ in needs:
            offers.needers.append((oid, region, cap))
        m.writerow([oid, layout.clusters[(region, sector)], f"{rng.randint(2000, 2023)}-01-01"])
        offers.memberships += 1
    return offers


Capabilities = list[tuple[str, str]]


def _organization(
    rng: random.Random, n: int, oid: str, region: int, sector: str, layout: _Layout
) -> tuple[list[Any], Capabilities, Capabilities]:
    """One organization's row (in :data:`ORG_COLUMNS` order), what it offers and what it needs. The random
    draws come in a fixed order (the dict's), whatever the column order."""
    role = _role(rng, sector)
    cities = layout.cities[region]
    base = _name(rng)
    if role in RESEARCH_NAMES:
        name = RESEARCH_NAMES[role].format(f"{base} {rng.choice(cities)}")
    else:
        name = f"{base} {rng.choice(FIRM_WORDS)} {rng.choice(LEGAL)}".strip()
    caps = rng.sample(SECTORS[sector][1], k=min(len(SECTORS[sector][1]), rng.choice((2, 3))))
    wanted_sector = rng.choice(SECTORS[sector][2])
    needs = rng.sample(SECTORS[wanted_sector][1], k=rng.choice((1, 1, 2)))
    city = rng.choice(cities)
    lat, lon = layout.centres[region]
    employees = int(rng.lognormvariate(3.2, 1.3)) + 1
    description = (
        f"{name} is a {role.replace('_', ' ')} in {city} working in {SECTORS[sector][0].lower()}. "
        f"We offer {', '.join(c[1] for c in caps)}."
    )
    need_text = f"We are looking for a partner for {' and '.join(c[1] for c in needs)}."
    visibility = "private" if rng.random() < 0.1 else "public"
    country = layout.countries[region]
    values = {
        "id": oid,
        "name": name,
        "role": role,
        "description": description,
        "needs": need_text,
        "needs_visibility": visibility,
        "website": f"www.{base.lower()}{n}.example",
        "country": country,
        "region": layout.names[region],
        "city": city,
        "lat": round(lat + rng.uniform(-0.8, 0.8), 5),
        "lon": round(lon + rng.uniform(-0.8, 0.8), 5),
        "employees": employees,
        "founded": rng.randint(1900, 2023),
        "sectors": sector,
        "capabilities": ";".join(c[0] for c in caps),
        "needed_capabilities": ";".join(c[0] for c in needs),
        "registry_id": f"REG-{n:07d}",
        "vat": f"{country}U{n:08d}",
    }
    row = [values[column] for column in ORG_COLUMNS]
    return row, caps, needs


def _plant(
    w: Any, truth: Any, rng: random.Random, offers: _Offers, orgs: int, links: int, noise: float
) -> tuple[int, int]:
    """Write ``links`` collaborations, each planted from a need and an offer of its capability (preferring
    the same region) or, a ``noise`` share, between two random organizations; return (written, planted)."""
    planted = 0
    seen: set[tuple[str, str]] = set()
    ids = [f"G{n:07d}" for n in range(orgs)] if noise > 0 else []
    w.writerow(["source", "target", "kind", "since", "weight"])
    truth.writerow(["source", "target", "capability"])
    attempts = 0
    written = 0
    while written < links and attempts < 20 * links:
        attempts += 1
        if noise > 0 and (rng.random() < noise or not offers.needers):
            a, b, capability = rng.choice(ids), rng.choice(ids), ""
        elif not offers.needers:
            break  # nothing to plant from, and no random links asked for
        else:
            a, region, capability = rng.choice(offers.needers)
            if capability not in offers.offerers_any:
                continue  # in a small region nobody may offer what this one needs
            pool = offers.offerers.get((region, capability)) if rng.random() < 0.8 else None
            b = rng.choice(pool or offers.offerers_any[capability])
        pair = (min(a, b), max(a, b))
        if a == b or pair in seen:
            continue
        seen.add(pair)
        kind = "supplier" if capability else rng.choice(["joint_project", "customer", "mentoring"])
        w.writerow([a, b, kind, f"{rng.randint(2005, 2024)}-{rng.randint(1, 12):02d}-01", rng.randint(1, 5)])
        truth.writerow([a, b, capability])
        written += 1
        planted += bool(capability)
    return written, planted
