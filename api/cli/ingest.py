"""``clusterkg ingest`` (registries into the graph) and ``clusterkg generate`` (synthetic regions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.measure import Measurement
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from api.cli.common import (
    OFF_TERMINAL_WIDTH,
    PATH,
    console,
    echo_json,
    err_console,
    given_path,
    open_graph,
    say_error,
    settings_of,
    shown,
    text_option,
)
from ingest import load, open_rejects
from ingest.generate import MAX_LINKS_PER_ORG, MAX_ORGS, most_collaborations
from ingest.generate import generate as generate_region
from ingest.report import IngestFailed, Outcome, Summary
from ingest.resolve import DEFAULT_RULES, check_rules
from schema.errors import IngestError, echo
from schema.models import RecordKind


class _RateColumn(ProgressColumn):
    """Rows per second of the current file."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="progress.data.speed")


class _Bar:
    """The rich progress display of a run: one line per file, shown once a file passes its first batch
    (so small files do not flicker), with rows read and rows/s."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None
        self.label = ""

    def start_file(self, file: str, kind: RecordKind) -> None:
        self.task = None
        self.label = shown(f"{Path(file).name} ({kind.value})")  # read as markup

    def advance(self, rows: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task(self.label, total=None)
        self.progress.advance(self.task, rows)


def _title(summary: Summary) -> str:
    return f"Ingest run {summary.run_id}" + (" (dry run: nothing written)" if summary.dry_run else "")


def _counts(summary: Summary) -> list[tuple[str, list[str]]]:
    """Each column of counts: its header, then a cell per file and the total."""
    totals = summary.counts()
    columns = [("rows", [f"{f.rows:,}" for f in summary.files] + [f"{totals['rows']:,}"])]
    for o in Outcome:
        columns.append((o.value, [f"{f.outcomes[o]:,}" for f in summary.files] + [f"{totals[o.value]:,}"]))
    return columns


def _summary_table(summary: Summary) -> Table:
    """One row a file: name, kind, format, the counts and its seconds (about 110 columns)."""
    table = Table(title=_title(summary))
    for column in ("file", "kind", "format"):
        table.add_column(column)
    counts = _counts(summary)
    for header, _ in counts:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    for i, f in enumerate(summary.files):
        cells = (cells[i] for _, cells in counts)
        table.add_row(
            shown(Path(f.file).name), f.kind.value, f"{f.format} {f.encoding}", *cells, f"{f.seconds:.1f}"
        )
    table.add_row("[b]total", "", "", *(f"[b]{cells[-1]}" for _, cells in counts), "")
    return table


NARROW_FILE_WIDTH = 12
"""The least width the narrow table leaves its file column, whose names fold onto further lines."""


def _narrow_table(summary: Summary) -> Table | None:
    """The summary for a console too narrow for :func:`_summary_table`: the counts beside each file's name,
    its kind, format and seconds on the line under the name, columns set apart by spaces alone. None where
    even so the counts would not fit whole (a run of millions of rows on 80 columns)."""
    counts = _counts(summary)
    widths = [max(len(header), *map(len, cells)) for header, cells in counts]
    if sum(widths) + 3 * len(widths) + NARROW_FILE_WIDTH > console.width:
        return None
    table = Table(title=_title(summary), box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("file", overflow="fold")
    for header, _ in counts:
        table.add_column(header, justify="right", no_wrap=True)
    for i, f in enumerate(summary.files):
        about = f"{f.kind.value}, {f.format} {f.encoding}, {f.seconds:.1f} s"
        table.add_row(f"{shown(Path(f.file).name)}\n[dim]{shown(about)}", *(cells[i] for _, cells in counts))
    table.add_row("[b]total", *(f"[b]{cells[-1]}" for _, cells in counts))
    return table


def _print_counts(summary: Summary) -> None:
    """The run's counts as the widest layout the console holds with every number whole: the table, the
    narrow table, or a file a paragraph (rich cuts a cell to fit, ``20,0…``, where a table is too wide)."""
    wide = _summary_table(summary)
    natural = Measurement.get(console, console.options.update(max_width=OFF_TERMINAL_WIDTH), wide)
    if natural.maximum <= console.width:
        console.print(wide)
    elif narrow := _narrow_table(summary):
        console.print(narrow)
    else:
        console.print(_title(summary))
        counts = _counts(summary)
        for i, f in enumerate(summary.files):
            about = f"{Path(f.file).name} ({f.kind.value}, {f.format} {f.encoding}, {f.seconds:.1f} s)"
            console.print(shown(about) + ": " + ", ".join(f"{h} {cells[i]}" for h, cells in counts))
        console.print("total: " + ", ".join(f"{h} {cells[-1]}" for h, cells in counts))


INTERRUPTED = "the rows read before it are written; the same command run again loads the rest"
"""What an ingest interrupted with Ctrl-C leaves (``ingest.stream``: the rows read are written first)."""


def _rules(text: str) -> list[str]:
    return [rule.strip() for rule in text.split(",") if rule.strip()]


def _match_on(text: str) -> str:
    """``none`` means no resolution at all: beside a key (``none,vat``) it would be ignored, so refuse it. An
    unknown key is refused here, before Neo4j is reached, where the run refused it only once connected."""
    rules = _rules(text)
    if "none" in rules and len(rules) > 1:
        raise typer.BadParameter(f"none stands alone (no resolution), got {echo(text)}")
    try:
        check_rules(rule for rule in rules if rule != "none")
    except IngestError as e:
        raise typer.BadParameter(str(e)) from None
    return text


def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Registry files: CSV, JSON array or JSONL, optionally .gz.")
    ],
    kind: Annotated[
        RecordKind | None, typer.Option(help="Kind of every file; by default recognized from its columns.")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            parser=given_path,
            metavar=PATH,
            help="YAML mapping for every file, or a folder of NAME.mapping.yaml for each NAME.csv; "
            "by default NAME.mapping.yaml beside NAME.csv.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            callback=text_option(name=True),
            help="Source name recorded as provenance; by default each file's name.",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Write rejected rows (file, row, field, reason) here: JSON lines if the name ends in .jsonl "
            "or .json, CSV otherwise."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and resolve, write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    match_on: Annotated[
        str,
        typer.Option(
            help="Entity-resolution keys in the order tried (registry_id, vat, domain, name_city), or none.",
            callback=_match_on,
        ),
    ] = ",".join(DEFAULT_RULES),
    derive_collaborations: Annotated[
        bool,
        typer.Option(
            "--derive-collaborations",
            help="Link organizations sharing a project of 2-30 participants (joint_project).",
        ),
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1, max=100_000, help="Rows per write transaction (default: CLUSTERKG_BATCH_SIZE, 5000)."
        ),
    ] = None,
    writers: Annotated[
        int | None,
        typer.Option(
            min=1, max=16, help="Write transactions at once (default: CLUSTERKG_INGEST_WRITERS, 2)."
        ),
    ] = None,
) -> None:
    """Load registry files into the graph: validated, resolved across registries, idempotent.

    Files load in dependency order (clusters, organizations, then links). Bad rows are rejected and
    reported; the run goes on. Loading the same files again changes nothing.
    """
    settings = settings_of(ctx)
    rules = tuple(rule for rule in _rules(match_on) if rule != "none")
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} rows"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json or not err_console.is_terminal,  # off a terminal it drew nothing but an empty line
    ) as progress:
        options: dict[str, Any] = {
            "mapping": mapping,
            "source": source,
            "kind": kind,
            "dry_run": dry_run,
            "batch_size": batch_size or settings.batch_size,
            "writers": writers or settings.ingest_writers,
            "rules": rules,
            "derive_collaborations": derive_collaborations,
            "progress": _Bar(progress),
        }
        # The reject file is emptied before Neo4j is reached, so a run that reaches none leaves no earlier
        # run's rejects to be read as its own. A dry run reads the graph too: resolution and change
        # detection compare with what is there.
        with open_rejects(rejects, paths, mapping) as reject_file, open_graph(ctx) as graph:
            try:
                summary, failure = load(graph, paths, rejects=reject_file, **options), None
            except IngestFailed as e:
                summary, failure = e.summary, e
            except KeyboardInterrupt as e:
                raise KeyboardInterrupt(INTERRUPTED) from e
    if as_json:
        echo_json(summary.as_dict())
    else:
        _print_summary(summary, rejects)
    if failure is not None:
        say_error(str(failure))
        raise typer.Exit(1)


def _print_summary(summary: Summary, rejects: Path | None) -> None:
    """The table, then merges, ambiguities, unresolved managers and the first rejects; every text that comes
    from a registry is :func:`~api.cli.common.shown`, so a value like ``[/x]`` prints as itself."""
    _print_counts(summary)
    for merge in summary.merges[:20]:
        where = f"{Path(merge.file).name}:{merge.row}"
        console.print(shown(f"merged {merge.record} ({where}) into {merge.node} by {merge.rule}"))
    if len(summary.merges) > 20:
        console.print(f"... and {len(summary.merges) - 20} more merges (see --json)")
    for amb in summary.ambiguities[:20]:
        console.print(
            "[yellow]ambiguous[/] "
            + shown(
                f"{amb.record} ({Path(amb.file).name}:{amb.row}): {amb.rule} matches "
                f"{', '.join(amb.candidates)}; loaded as its own organization"
            )
        )
    for line in summary.unresolved_managers:
        console.print(f"[yellow]cluster manager not found[/] {shown(line)}")
    if summary.derived_collaborations is not None:
        console.print(
            f"joint-project collaborations derived from co-participation: {summary.derived_collaborations:,}"
        )
    for file in summary.files:
        for warning in file.warnings:
            console.print(f"[yellow]{shown(Path(file.file).name)}[/] {shown(warning)}")
        if file.error:
            console.print(f"[red]{shown(Path(file.file).name)} stopped at[/] {shown(file.error)}")
    for path in summary.not_loaded:
        console.print(f"[red]not loaded:[/] {shown(path)}")
    rejected = summary.total(Outcome.REJECTED)
    if rejected:
        where = f"; every reason is in {rejects}" if rejects else "; pass --rejects FILE for all reasons"
        console.print(f"[red]{rejected:,} row{'s' if rejected > 1 else ''} rejected[/]{shown(where)}")
        for reject in summary.rejects[:10]:
            where = f"{Path(reject.file).name}:{reject.row}"
            console.print(shown(f"  {where} {reject.field}: {reject.reason}"), highlight=False)


def generate(
    out: Annotated[
        Path, typer.Option(parser=given_path, metavar=PATH, help="Folder to write the registry files into.")
    ],
    orgs: Annotated[int, typer.Option(min=2, max=MAX_ORGS, help="Number of organizations.")],
    collaborations: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Number of collaborations (default: 3 per organization; at most one per pair and "
            f"{MAX_LINKS_PER_ORG} per organization).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same files.")] = 0,
    noise: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of collaborations that are random, not planted.")
    ] = 0.1,
    gzip: Annotated[bool, typer.Option("--gzip", help="Write .csv.gz files.")] = False,
) -> None:
    """Write a seeded synthetic region; its collaborations are planted from complementary needs and offers."""
    if collaborations is not None and collaborations > most_collaborations(orgs):
        raise typer.BadParameter(
            f"{collaborations:,} is more than {orgs:,} organizations take: at most "
            f"{most_collaborations(orgs):,} (each pair once, {MAX_LINKS_PER_ORG} per organization)",
            param_hint="'--collaborations'",
        )
    result = generate_region(
        out, orgs=orgs, collaborations=collaborations, seed=seed, noise=noise, compress=gzip
    )
    table = Table(title=f"Synthetic region in {result.out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    counts = [result.clusters, result.organizations, result.memberships, result.collaborations]
    for path, count in zip(result.files, counts, strict=True):
        table.add_row(path.name, f"{count:,}")
    table.add_row("truth/planted.csv", f"{result.collaborations:,} ({result.planted:,} planted)")
    console.print(table)
    if result.collaborations < result.asked:
        console.print(
            f"[yellow]{result.asked - result.collaborations:,} of the {result.asked:,} collaborations asked "
            "for were not written: the region has too few organizations whose needs others offer (try more "
            f"organizations, or a --noise above {noise:g}: a random collaboration needs no offer).[/yellow]"
        )
    console.print(f"load it with: clusterkg ingest {' '.join(str(p) for p in result.files)}")
