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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# sector -> (cluster name, capabilities (term, what offering it means), sectors it buys from)
SECTORS: dict[str, tuple[str, list[tuple[str, str]], list[str]]] = {
    "food": (
        "Food Processing",
        [
            ("industrial baking", "baking bread and pastry at industrial scale"),
            ("dairy processing", "processing milk into cheese, yoghurt and butter"),
            ("meat processing", "cutting, curing and smoking meat"),
            ("beverage bottling", "filling and bottling beverages"),
            ("frozen food production", "cooking and blast-freezing ready meals"),
            ("fruit processing", "pressing juices and making preserves"),
        ],
        ["vision", "automation", "packaging", "lab", "logistics", "design"],
    ),
    "metal": (
        "Precision Engineering",
        [
            ("cnc machining", "machining precision parts on CNC centres"),
            ("sheet metal forming", "laser cutting and bending sheet metal"),
            ("casting", "casting iron and aluminium parts"),
            ("welding", "welding steel assemblies"),
            ("toolmaking", "building moulds and dies"),
            ("surface coating", "coating and hardening metal surfaces"),
        ],
        ["vision", "automation", "analytics", "metrology", "additive"],
    ),
    "vision": (
        "Machine Vision",
        [
            ("machine vision", "camera systems that inspect products on the line"),
            ("defect detection", "deep-learning models that find defects in images"),
            ("optical sorting", "sorting machines that eject bad items by colour and shape"),
            ("hyperspectral imaging", "imaging that sees the chemistry of products"),
        ],
        ["automation", "analytics"],
    ),
    "automation": (
        "Automation",
        [
            ("robotic packaging", "robot cells that pick and pack products"),
            ("robot integration", "integrating industrial robots into production lines"),
            ("plc programming", "programming and retrofitting line controls"),
        ],
        ["vision", "metal"],
    ),
    "analytics": (
        "Industrial Analytics",
        [
            ("predictive maintenance", "predicting machine failures from sensor data"),
            ("production scheduling", "optimising production plans and schedules"),
            ("digital twin", "simulating machines and lines as digital twins"),
            ("energy monitoring", "measuring and cutting energy use in plants"),
        ],
        ["metal", "food"],
    ),
    "packaging": (
        "Packaging",
        [
            ("modified atmosphere packaging", "packs that keep food fresh longer"),
            ("recyclable packaging", "mono-material packaging that can be recycled"),
        ],
        ["design", "lab"],
    ),
    "lab": (
        "Testing Laboratories",
        [
            ("food safety testing", "testing food for microbes, residues and allergens"),
            ("shelf-life studies", "measuring and extending the shelf life of products"),
        ],
        ["analytics"],
    ),
    "logistics": (
        "Logistics",
        [
            ("cold chain logistics", "refrigerated transport and storage"),
            ("warehouse automation", "automated storage and order picking"),
        ],
        ["analytics", "automation"],
    ),
    "metrology": (
        "Metrology",
        [
            ("coordinate measuring", "measuring parts to the micrometre"),
            ("optical 3d scanning", "scanning parts in 3D to compare them with CAD"),
        ],
        ["vision"],
    ),
    "additive": (
        "Additive Manufacturing",
        [
            ("metal 3d printing", "printing metal parts by laser melting"),
            ("design for additive manufacturing", "redesigning parts for 3D printing"),
        ],
        ["metal", "metrology"],
    ),
    "design": (
        "Creative Industries",
        [
            ("brand design", "brand identities and logos"),
            ("packaging design", "designing packs that sell"),
            ("web shops", "online shops and e-commerce"),
            ("product photography", "photographs of products for shops and catalogues"),
        ],
        ["analytics"],
    ),
}
ROLE_BY_SECTOR = {
    "food": "firm",
    "metal": "firm",
    "design": "firm",
    "vision": "vendor",
    "automation": "vendor",
    "analytics": "vendor",
    "packaging": "vendor",
    "lab": "vendor",
    "logistics": "vendor",
    "metrology": "vendor",
    "additive": "vendor",
}
# share of organizations that are not firms or vendors, with the sectors they work in
OTHER_ROLES = [
    ("university", 0.02),
    ("research_institute", 0.03),
    ("knowledge_broker", 0.02),
    ("public_body", 0.01),
    ("other", 0.01),
]
SYLLABLES = [
    "al",
    "an",
    "ber",
    "bor",
    "dan",
    "del",
    "fen",
    "gar",
    "hal",
    "kor",
    "lin",
    "mar",
    "nor",
    "ost",
    "rav",
    "sel",
    "ster",
    "tal",
    "ven",
    "wald",
]
FIRM_WORDS = ["Werke", "Technik", "Systems", "Solutions", "Industries", "Labs", "Group", "Works", "Partners"]
LEGAL = ["GmbH", "AG", "KG", "Ltd", "SA", "BV", "Oy", "s.r.o.", ""]
RESEARCH_NAMES = {
    "university": "University of {}",
    "research_institute": "{} Institute of Applied Research",
    "knowledge_broker": "{} Innovation Agency",
    "public_body": "{} Economic Development Office",
    "other": "{} Industry Association",
}
COUNTRIES = ["AT", "DE", "CZ", "SI", "IT", "NL", "FI", "PL"]
KINDS_BY_ROLE = {"vendor": "supplier", "university": "research", "research_institute": "research"}

ORG_COLUMNS = [
    "id",
    "name",
    "role",
    "description",
    "needs",
    "needs_visibility",
    "website",
    "country",
    "region",
    "city",
    "lat",
    "lon",
    "employees",
    "founded",
    "sectors",
    "capabilities",
    "needed_capabilities",
    "registry_id",
    "vat",
]


@dataclass(frozen=True)
class Generated:
    """Where the files went and how many rows each got."""

    out: Path
    organizations: int
    collaborations: int
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
    (``.gz`` when ``compress``) and truth/planted.csv."""
    if orgs < 2:
        raise ValueError("a region needs at least two organizations")
    links = 3 * orgs if collaborations is None else collaborations
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    suffix = ".csv.gz" if compress else ".csv"
    paths = {
        name: out / f"{name}{suffix}"
        for name in ("clusters", "organizations", "memberships", "collaborations")
    }
    sectors = list(SECTORS)
    region_names = [f"{_name(rng)} Region" for _ in range(regions)]
    centres = [(rng.uniform(45.0, 55.0), rng.uniform(5.0, 25.0)) for _ in range(regions)]
    countries = [rng.choice(COUNTRIES) for _ in range(regions)]
    cities = [[_name(rng) for _ in range(8)] for _ in range(regions)]

    cluster_ids = {(r, s): f"CL-{r + 1}-{s}" for r in range(regions) for s in sectors}
    with _writer(paths["clusters"], compress) as w:
        w.writerow(["id", "name", "sector", "region", "stage", "managed_by"])
        stages = ["emergent", "growth", "mature", "transformative"]
        for (r, s), cid in cluster_ids.items():
            w.writerow(
                [
                    cid,
                    f"{region_names[r]} {SECTORS[s][0]} Cluster",
                    s,
                    region_names[r],
                    rng.choice(stages),
                    "",
                ]
            )

    # offerers[(region, capability)] -> org ids, filled while writing organizations
    offerers: dict[tuple[int, str], list[str]] = {}
    offerers_any: dict[str, list[str]] = {}
    needers: list[tuple[str, int, str]] = []  # (org, region, needed capability): what links are planted from
    memberships = 0
    with _writer(paths["organizations"], compress) as w, _writer(paths["memberships"], compress) as m:
        w.writerow(ORG_COLUMNS)
        m.writerow(["organization", "cluster", "since"])
        for n in range(orgs):
            oid = f"G{n:07d}"
            region = rng.randrange(regions)
            sector = rng.choice(sectors)
            draw, role = rng.random(), ROLE_BY_SECTOR[sector]
            for other, share in OTHER_ROLES:
                if draw < share:
                    role = other
                    break
                draw -= share
            base = _name(rng)
            if role in RESEARCH_NAMES:
                name = RESEARCH_NAMES[role].format(f"{base} {rng.choice(cities[region])}")
            else:
                name = f"{base} {rng.choice(FIRM_WORDS)} {rng.choice(LEGAL)}".strip()
            caps = rng.sample(SECTORS[sector][1], k=min(len(SECTORS[sector][1]), rng.choice((2, 3))))
            wanted_sector = rng.choice(SECTORS[sector][2])
            needs = rng.sample(SECTORS[wanted_sector][1], k=rng.choice((1, 1, 2)))
            city = rng.choice(cities[region])
            lat, lon = centres[region]
            employees = int(rng.lognormvariate(3.2, 1.3)) + 1
            description = (
                f"{name} is a {role.replace('_', ' ')} in {city} working in {SECTORS[sector][0].lower()}. "
                f"We offer {', '.join(c[1] for c in caps)}."
            )
            need_text = f"We are looking for a partner for {' and '.join(c[1] for c in needs)}."
            visibility = "private" if rng.random() < 0.1 else "public"
            w.writerow(
                [
                    oid,
                    name,
                    role,
                    description,
                    need_text,
                    visibility,
                    f"www.{base.lower()}{n}.example",
                    countries[region],
                    region_names[region],
                    city,
                    round(lat + rng.uniform(-0.8, 0.8), 5),
                    round(lon + rng.uniform(-0.8, 0.8), 5),
                    employees,
                    rng.randint(1900, 2023),
                    sector,
                    ";".join(c[0] for c in caps),
                    ";".join(c[0] for c in needs),
                    f"REG-{n:07d}",
                    f"{countries[region]}U{n:08d}",
                ]
            )
            for cap, _ in caps:
                offerers.setdefault((region, cap), []).append(oid)
                offerers_any.setdefault(cap, []).append(oid)
            for cap, _ in needs:
                needers.append((oid, region, cap))
            m.writerow([oid, cluster_ids[(region, sector)], f"{rng.randint(2000, 2023)}-01-01"])
            memberships += 1

    planted = 0
    seen: set[tuple[str, str]] = set()
    ids = [f"G{n:07d}" for n in range(orgs)] if noise > 0 else []
    with (
        _writer(paths["collaborations"], compress) as w,
        (out / "truth" / "planted.csv").open("w", encoding="utf-8", newline="") as truth_handle,
    ):
        truth = csv.writer(truth_handle)
        w.writerow(["source", "target", "kind", "since", "weight"])
        truth.writerow(["source", "target", "capability"])
        attempts = 0
        written = 0
        while written < links and attempts < 20 * links:
            attempts += 1
            if noise > 0 and rng.random() < noise:
                a, b, capability = rng.choice(ids), rng.choice(ids), ""
            else:
                a, region, capability = rng.choice(needers)
                pool = offerers.get((region, capability)) if rng.random() < 0.8 else None
                b = rng.choice(pool or offerers_any[capability])
            pair = (min(a, b), max(a, b))
            if a == b or pair in seen:
                continue
            seen.add(pair)
            kind = "supplier" if capability else rng.choice(["joint_project", "customer", "mentoring"])
            w.writerow(
                [a, b, kind, f"{rng.randint(2005, 2024)}-{rng.randint(1, 12):02d}-01", rng.randint(1, 5)]
            )
            truth.writerow([a, b, capability])
            written += 1
            planted += bool(capability)
    return Generated(
        out=out,
        organizations=orgs,
        collaborations=written,
        planted=planted,
        memberships=memberships,
        clusters=len(cluster_ids),
        files=[paths[k] for k in ("clusters", "organizations", "memberships", "collaborations")],
    )
