"""``clusterkg eval``: how good are the suggestions? The product against baselines, on real outcomes.

A registry folder given with ``--data`` is loaded here, through the ingest engine and the mapping files of
its source (matching never imports ingest); the evaluation then reads the graph like ``suggest`` does."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.table import Table

import ingest
from api.cli.common import DAY, console, err_console, open_graph, settings_of
from graph.db import Graph
from graph.queries import evaluation as eval_queries
from ingest import Mapping, readers
from ingest.sources import CORDIS_MAPPINGS
from schema.errors import IngestError, MatchingError, echo
from schema.graph_model import CollaborationKind, Role
from schema.models import EARLIEST_DATE, LATEST_YEAR

if TYPE_CHECKING:
    from matching.evaluation.benchmark import Difference, MethodResult
    from matching.evaluation.hidden import HiddenResult


def registry_files(data_dir: Path, mappings: Path) -> list[Path]:
    """The file of ``data_dir`` for every ``NAME.mapping.yaml`` in ``mappings`` (``NAME.csv.gz``, ...)."""
    files = []
    for mapping in sorted(mappings.glob("*.mapping.yaml")):
        name = mapping.name.removesuffix(".mapping.yaml")
        found = sorted(p for p in data_dir.glob(f"{name}.*") if p.is_file())
        if not found:
            raise IngestError(f"{data_dir} has no {name}.* file for the mapping {mapping}")
        files.append(found[0])
    if not files:
        raise IngestError(f"{mappings} holds no *.mapping.yaml files (--mappings: the registry's mappings)")
    return files


def ensure_loaded(graph: Graph, data_dir: Path, *, mappings: Path, source: str, batch_size: int) -> bool:
    """Load the registry in ``data_dir`` unless completed ingest runs already loaded these exact files (by
    file hash): the same as ``clusterkg ingest DIR/* --mapping MAPPINGS --match-on none
    --derive-collaborations``, each record its own organization, the dated joint-project collaborations
    derived. Returns whether it loaded."""
    files = registry_files(data_dir, mappings)
    loaded = set(graph.run(eval_queries.LOADED_FILE_HASHES)[0]["hashes"])
    joint = [CollaborationKind.JOINT_PROJECT.value]
    derived = graph.run(eval_queries.COUNT_COLLABORATIONS, kinds=joint)[0]["count"]
    if derived and all(readers.file_hash(path) in loaded for path in files):
        return False
    ingest.load(
        graph,
        files,
        mapping=mappings,
        source=source,
        batch_size=batch_size,
        rules=(),
        derive_collaborations=True,
    )
    return True


def query_roles(types: str, mappings: Path) -> set[str]:
    """``PRC,HES`` (the registry's own codes, read from its organizations mapping) or role names. A code
    asked for where ``mappings`` holds no organizations mapping says that the mapping is missing: "Unknown
    query type 'PRC'" (the default) left a user to guess why a code of the registry was unknown."""
    codes: dict[str, str] = {}
    organizations = mappings / "organizations.mapping.yaml"
    if organizations.exists():
        codes = {k: str(v) for k, v in Mapping.load(organizations).values.get("role", {}).items()}
    roles = set()
    for item in (t.strip() for t in types.split(",") if t.strip()):
        role = codes.get(item.upper(), item.lower())
        if role in Role.__members__.values():
            roles.add(role)
        elif not organizations.exists():
            raise MatchingError(
                f"Query type {echo(item)} is no role, and {mappings} holds no organizations.mapping.yaml "
                "to read the registry's own codes from: give --mappings the folder holding it, or "
                f"--query-types role names ({', '.join(Role)})"
            )
        else:
            raise MatchingError(f"Unknown query type {echo(item)}: use {', '.join([*codes, *Role])}")
    return roles


def split_day(text: str) -> str:
    """``--split`` as a day from 1900 to 2100, written YYYY-MM-DD: numpy read ``20190101`` as the year
    20,190,101 and ``2019`` as its first day, and a split centuries away leaves no history or no outcome."""
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as e:
        raise typer.BadParameter(f"{echo(text)} is not a date (YYYY-MM-DD)") from e
    if not EARLIEST_DATE <= day <= dt.date(LATEST_YEAR, 12, 31):
        raise typer.BadParameter(
            f"{day} is not a plausible day: dates lie from {EARLIEST_DATE.year} to {LATEST_YEAR}"
        )
    return day.isoformat()


WITH_DATA = ("split", "queries", "query_types", "mappings", "source_name")
"""The options of the evaluation on a registry's outcomes (``--data``); ``--hide`` is that of the graph's."""


def check_unused(ctx: typer.Context, with_data: bool) -> None:
    """Refuse an option given that the evaluation asked for does not use, which it would ignore silently:
    ``--split 2019-01-01`` without ``--data`` hid the newest collaborations whatever the day."""
    unused = ("hide",) if with_data else WITH_DATA
    options = {param.name: param.opts[0] for param in ctx.command.params}
    for name in unused:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            option = options[name]
            said = (
                "applies without --data only"
                if with_data
                else "applies with --data only (without it, --hide)"
            )
            raise typer.BadParameter(said, param_hint=f"'{option}'")


def _table(title: str, results: list[MethodResult], full_method: str) -> Table:
    table = Table(title=title)
    for column in ("method", "recall@10", "95% interval", "hit@10", "nDCG@10", "s"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for r in results:
        style = "bold" if r.method == full_method else None
        low, high = r.recall_interval
        figures = (
            f"{r.recall_at_10:.4f}",
            f"{low:.4f}–{high:.4f}",
            f"{r.hit_at_10:.3f}",
            f"{r.ndcg_at_10:.4f}",
            f"{r.seconds:.1f}",
        )
        table.add_row(r.method, *figures, style=style)
    return table


def _differences_table(differences: list[Difference], full_method: str) -> Table:
    table = Table(
        title=f"{full_method} against each method on the same queries: recall@10 difference, and its 95% "
        "interval over resampled queries (above 0: not the luck of the draw)"
    )
    for column in ("method", "difference", "95% interval"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for d in differences:
        low, high = d.interval
        table.add_row(d.method, f"{d.difference:+.4f}", f"{low:+.4f} … {high:+.4f}")
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
    split: Annotated[
        str,
        typer.Option(
            callback=split_day,
            metavar=DAY,
            help="With --data: history before this day, outcomes on or after it.",
        ),
    ] = "2019-01-01",
    queries: Annotated[int, typer.Option(min=1, help="Number of query organizations drawn.")] = 1000,
    query_types: Annotated[
        str,
        typer.Option(
            help="With --data: roles of the queries, as the registry's codes (PRC,HES,..., read from "
            "organizations.mapping.yaml of --mappings) or role names."
        ),
    ] = "PRC",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the query draw (numpy default_rng).")] = 7,
    hide: Annotated[
        float,
        typer.Option(
            min=0.01, max=0.9, help="Without --data: share of collaborations hidden (newest, or at random)."
        ),
    ] = 0.2,
    mappings: Annotated[
        Path,
        typer.Option(
            help="With --data: the folder of the registry's NAME.mapping.yaml files.",
            exists=True,
            file_okay=False,
        ),
    ] = CORDIS_MAPPINGS,
    source_name: Annotated[
        str, typer.Option("--source", help="With --data: source name recorded when it is loaded.")
    ] = "cordis-h2020",
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print JSON: with --data {methods, cold_start, cold_start_queries, pool_recall, versus}, "
            "each method {method, recall_at_10, recall_at_10_interval, hit_at_10, ndcg_at_10}, versus "
            "{method, difference, interval}; without, the list of methods.",
        ),
    ] = False,
) -> None:
    """Measure the suggestions: recall@10, hit@10 and nDCG@10 of the full method (clusterkg) and of random,
    most-connected, Adamic-Adar, AA-DC (Adamic-Adar over links decayed by age), TF-IDF and embedding-only
    baselines (with --data also the cold-start slice, the candidate pool's recall, and 95% intervals of
    recall@10 and of the full method's lead over each baseline, resampling the queries), on the same
    queries."""
    # Imported here, not at the top: scikit-learn and the evaluation take over a second to import, which
    # every other clusterkg command would pay.
    from matching import snapshot, suggest
    from matching.evaluation.benchmark import FULL_METHOD, temporal_benchmark
    from matching.evaluation.hidden import hidden_benchmark

    check_unused(ctx, data is not None)
    settings = settings_of(ctx)
    if data is not None:  # the registry's files and codes are checked before Neo4j is reached
        registry_files(data, mappings)
        roles = query_roles(query_types, mappings)
    day = np.datetime64(split, "D")
    started = time.perf_counter()
    with open_graph(ctx) as graph:
        if data is None:
            held = snapshot.read(graph, settings)
            hidden = hidden_benchmark(
                graph,
                held.data,
                lambda org_id: [s.id for s in suggest(graph, org_id, limit=10, settings=settings)],
                fraction=hide,
                seed=seed,
                vectors=held.vectors,
            )
            if as_json:
                typer.echo(json.dumps([vars(r) for r in hidden.results], indent=2))
                return
            title = f"{hidden.queries:,} organizations lost some of {hidden.hidden:,} links: {hidden.how}"
            console.print(_hidden_table(title, hidden.results, FULL_METHOD))
            return
        if ensure_loaded(graph, data, mappings=mappings, source=source_name, batch_size=settings.batch_size):
            err_console.print(f"loaded {data} in {time.perf_counter() - started:.1f} s")
        report = temporal_benchmark(
            graph,
            snapshot.current(graph, settings),
            day,
            roles=roles,
            n_queries=queries,
            seed=seed,
            settings=settings,
        )
    if as_json:
        rows = {
            "methods": [r.to_dict() for r in report.results],
            "cold_start": [r.to_dict() for r in report.cold_start],
            "cold_start_queries": report.cold_queries,
            "pool_recall": report.pool_recall,
            "versus": [d.to_dict() for d in report.differences],
        }
        typer.echo(json.dumps(rows, indent=2))
        return
    title = (
        f"{report.queries} queries ({', '.join(sorted(roles))}), split {split}, seed {seed}: "
        f"{report.test_links:,} new partners among {report.active:,} active organizations"
    )
    console.print(_table(title, report.results, FULL_METHOD))
    console.print(_differences_table(report.differences, FULL_METHOD))
    cold = (
        f"Cold start: the {report.cold_queries} queries none of whose new partners shares a partner with them"
    )
    console.print(_table(cold, report.cold_start, FULL_METHOD))
    console.print(f"The learned ranking's candidate pool holds {report.pool_recall:.3f} of the new partners")
    console.print(f"{time.perf_counter() - started:.0f} s in all")
