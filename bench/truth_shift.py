"""What the benchmark's companies gain, period by period: why one period's figures do not carry to the next.

    NEO4J_URI=bolt://... python bench/truth_shift.py [--data ../shared/data/cordis-h2020] [--snapshot FILE]

For each period of truth (from a first of January to another; the last is the benchmark's test, from the split
to the registry's end), the same draw as ``clusterkg eval`` and ``bench/eval_validation.py`` (1,000 companies
with ``default_rng(7)`` among those with some text and a new partner), and where their new partners stand in
the graph as of the period's first day: how many, the median per company, the share among the 100 and the
1,000 most connected organizations (the hubs a ranking's top 10 mostly holds), the share that are partners of
partners ("via partners"), and the companies' own median partner count ("own"). It chooses nothing: it
describes the periods whose figures ``docs/evaluation.md`` compares.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from eval_validation import read_graph
from rich.console import Console
from rich.table import Table

from matching import snapshot_file
from matching.history import temporal_split
from schema.settings import Settings

PERIODS = (
    ("2016-01-01", "2017-01-01"),
    ("2017-01-01", "2018-01-01"),
    ("2017-01-01", "2019-01-01"),
    ("2018-01-01", "2019-01-01"),
    ("2019-01-01", None),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="Registry folder, loaded first if needed.")
    parser.add_argument("--snapshot", type=Path, default=None, help="Read the snapshot from this file.")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.snapshot is not None:
        _, data, vectors, _ = snapshot_file.read(args.snapshot)
    else:
        data, vectors = read_graph(args.data, Settings())
    table = Table(title=f"new partners of {args.queries} companies drawn with seed {args.seed}")
    for column in ("truth", "new partners", "median", "top 100", "top 1,000", "via partners", "own"):
        table.add_column(column, justify="left" if column == "truth" else "right", no_wrap=True)
    for day, until in PERIODS:
        end = {} if until is None else {"until": np.datetime64(until, "D")}
        split = temporal_split(
            data,
            np.datetime64(day, "D"),
            roles={"firm"},
            n_queries=args.queries,
            seed=args.seed,
            vectors=vectors,
            **end,
        )
        h = split.history
        columns = np.flatnonzero(h.active)
        by_degree = columns[np.argsort(-h.degree[columns], kind="stable")]
        top = [np.isin(np.arange(data.n_orgs), by_degree[:k]) for k in (100, 1000)]
        common = (h.adjacency[split.queries] @ h.adjacency).tocsr()
        reached = [common[i].toarray().ravel()[r] > 0 for i, r in enumerate(split.relevant)]
        sizes = np.array([len(r) for r in split.relevant])
        table.add_row(
            f"{day[:4]}–{until[:4] if until else 'end'}",
            f"{sizes.sum():,}",
            f"{np.median(sizes):.0f}",
            *(f"{np.mean([t[r].mean() for r in split.relevant]):.3f}" for t in top),
            f"{np.mean([x.mean() for x in reached]):.3f}",
            f"{np.median(h.degree[split.queries]):.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
