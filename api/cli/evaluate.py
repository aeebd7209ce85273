"""``clusterkg eval``: how good are the suggestions? The full method against baselines, on real outcomes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.table import Table

from api.cli.common import console, err_console, open_graph, settings_of
from ingest import Mapping
from ingest.sources import CORDIS_MAPPINGS
from schema.errors import MatchingError
from schema.graph_model import CollaborationKind, Role

if TYPE_CHECKING:
    from matching.evaluation.benchmark import MethodResult
    from matching.evaluation.hidden import HiddenResult


def query_roles(types: str, mappings: Path) -> set[str]:
    """``PRC,HES`` (the registry's own codes, read from its organizations mapping) or role names."""
    codes: dict[str, str] = {}
    organizations = mappings / "organizations.mapping.yaml"
    if organizations.exists():
        codes = {k: str(v) for k, v in Mapping.load(organizations).values.get("role", {}).items()}
    roles = set()
    for item in (t.strip() for t in types.split(",") if t.strip()):
        role = codes.get(item.upper(), item.lower())
        if role not in Role.__members__.values():
            raise MatchingError(f"Unknown query type {item!r}: use {', '.join([*codes, *Role])}")
        roles.add(role)
    return roles


def _table(title: str, results: list[MethodResult], full_method: str) -> Table:
    table = Table(title=title)
    for column in ("method", "recall@10", "hit@10", "nDCG@10", "s"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for r in results:
        style = "bold" if r.method == full_method else None
        figures = (f"{r.recall_at_10:.4f}", f"{r.hit_at_10:.3f}", f"{r.ndcg_at_10:.4f}", f"{r.seconds:.1f}")
        table.add_row(r.method, *figures, style=style)
    return table


def _hidden_table(title: str, results: list[HiddenResult], full_method: str) -> Table:
    table = Table(title=title)
    for column in ("method", "recall@10", "nDCG@10", "MRR", "coverage", "diversity", "s"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for r in results:
        figures = (r.recall_at_10, r.ndcg_at_10, r.mrr, r.coverage, r.diversity)
        table.add_row(
            r.method,
            *(f"{f:.4f}" for f in figures),
            f"{r.seconds:.1f}",
            style="bold" if r.method == full_method else None,
        )
    return table


def evaluate(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option(
            help="A registry folder (e.g. the CORDIS Horizon 2020 files), loaded first if the graph lacks "
            "it; without it, the graph as loaded is evaluated by hiding collaborations.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    split: Annotated[str, typer.Option(help="Split day: history before it, outcomes on or after it.")] = (
        "2019-01-01"
    ),
    queries: Annotated[int, typer.Option(min=1, help="Number of query organizations drawn.")] = 1000,
    query_types: Annotated[
        str, typer.Option(help="Roles of the queries: registry codes (PRC,HES,...) or role names.")
    ] = "PRC",
    seed: Annotated[int, typer.Option(help="Seed of the query draw (numpy default_rng).")] = 7,
    hide: Annotated[
        float,
        typer.Option(
            min=0.01, max=0.9, help="Without --data: share of collaborations hidden (newest, or at random)."
        ),
    ] = 0.2,
    mappings: Annotated[
        Path, typer.Option(help="Mapping files of the registry in --data.", exists=True, file_okay=False)
    ] = CORDIS_MAPPINGS,
    source_name: Annotated[
        str, typer.Option("--source", help="Source name recorded when --data is loaded.")
    ] = "cordis-h2020",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print [{method, recall_at_10, hit_at_10, ndcg_at_10}].")
    ] = False,
) -> None:
    """Measure the suggestions: recall@10, hit@10 and nDCG@10 of the full method (clusterkg) and of random,
    most-connected, Adamic-Adar, TF-IDF and embedding-only baselines, on the same queries."""
    # Imported here, not at the top: scikit-learn and the evaluation take over a second to import, which
    # every other clusterkg command would pay.
    from matching import suggest
    from matching.evaluation import source
    from matching.evaluation.benchmark import FULL_METHOD, temporal_benchmark
    from matching.evaluation.hidden import hidden_benchmark

    settings = settings_of(ctx)
    roles = query_roles(query_types, mappings)
    try:
        day = np.datetime64(split, "D")
    except ValueError as e:
        raise MatchingError(f"--split {split!r} is not a date (YYYY-MM-DD)") from e
    started = time.perf_counter()
    with open_graph(ctx) as graph:
        if data is None:
            registry = source.read(graph)
            vectors = source.text_vectors(registry, settings)
            hidden = hidden_benchmark(
                graph,
                registry,
                lambda org_id: [s.id for s in suggest(graph, org_id, limit=10, settings=settings)],
                fraction=hide,
                seed=seed,
                vectors=vectors,
            )
            if as_json:
                typer.echo(json.dumps([vars(r) for r in hidden.results], indent=2))
                return
            title = f"{hidden.queries} organizations lost some of {hidden.hidden} links: {hidden.how}"
            console.print(_hidden_table(title, hidden.results, FULL_METHOD))
            return
        loaded = source.ensure_loaded(
            graph, data, mappings=mappings, source=source_name, batch_size=settings.batch_size
        )
        if loaded:
            err_console.print(f"loaded {data} in {time.perf_counter() - started:.1f} s")
        registry = source.read(graph, kinds=[CollaborationKind.JOINT_PROJECT.value])
    vectors = source.text_vectors(registry, settings)
    report = temporal_benchmark(registry, day, roles=roles, n_queries=queries, seed=seed, vectors=vectors)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in report.results], indent=2))
        return
    title = (
        f"{report.queries} queries ({', '.join(sorted(roles))}), split {split}, seed {seed}: "
        f"{report.test_links:,} new partners among {report.active:,} active organizations"
    )
    console.print(_table(title, report.results, FULL_METHOD))
    console.print(f"{time.perf_counter() - started:.0f} s in all")
