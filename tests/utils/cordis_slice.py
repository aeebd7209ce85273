"""A slice of the real CORDIS Horizon 2020 files for the tests, kept in ``tests/data/cordis-slice`` so the
tests need no copy of the whole registry beside the repository.

Twelve companies with small projects before 2016, in 2016-17 and from 2018 on; all their small projects with
every participant, so the derived links are exactly those of the full files. Made once with

    python -m tests.utils.cordis_slice ../shared/data/cordis-h2020 tests/data/cordis-slice
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections import Counter, defaultdict
from pathlib import Path

FILES = ("organizations", "projects", "participations")
SLICE = Path(__file__).resolve().parents[1] / "data" / "cordis-slice"
FIRMS = 12


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with gzip.open(folder / f"{name}.csv.gz", "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write(folder: Path, name: str, items: list[dict[str, str]]) -> None:
    # mtime=0: the same slice gives the same bytes (and file hash) every time it is made
    packed = gzip.GzipFile(folder / f"{name}.csv.gz", mode="wb", mtime=0)
    with io.TextIOWrapper(packed, encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(items[0]))
        writer.writeheader()
        writer.writerows(items)


def make(source: Path, target: Path) -> None:
    participations = rows(source, "participations")
    size = Counter(p["rcn"] for p in participations)
    start = {p["rcn"]: p["start_date"] for p in participations}
    small: dict[str, set[str]] = defaultdict(set)
    for p in participations:
        if 2 <= size[p["rcn"]] <= 30 and start[p["rcn"]]:
            small[p["pic"]].add(p["rcn"])
    kind = {p["pic"]: p["type"] for p in participations}

    def periods(projects: set[str]) -> set[str]:
        return {"a" if start[r] < "2016" else "b" if start[r] < "2018" else "c" for r in projects}

    firms = sorted(
        pic
        for pic, projects in small.items()
        if kind[pic] == "PRC" and periods(projects) == {"a", "b", "c"} and len(projects) <= 6
    )[:FIRMS]
    projects = set().union(*(small[f] for f in firms))
    chosen = {
        "participations": [p for p in participations if p["rcn"] in projects],
        "projects": [p for p in rows(source, "projects") if p["rcn"] in projects],
    }
    members = {p["pic"] for p in chosen["participations"]}
    chosen["organizations"] = [o for o in rows(source, "organizations") if o["pic"] in members]
    target.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        _write(target, name, chosen[name])


if __name__ == "__main__":
    make(Path(sys.argv[1]), Path(sys.argv[2]))
