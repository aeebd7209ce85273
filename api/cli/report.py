"""``clusterkg report``: a cluster's insights as one self-contained HTML file to share (and a PDF of it,
printed by the system Chromium, where one is installed)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import as_of_option, console, open_graph, settings_of, shown
from schema.errors import InvalidInput, naming

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PDF_SECONDS = 120


def report(
    ctx: typer.Context,
    cluster_id: Annotated[str, typer.Argument(help="The cluster's id.")],
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path("report.html"),
    as_of: Annotated[
        dt.datetime | None, as_of_option("The cluster as of this date, today at the latest.")
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to a PDF beside the HTML (needs Chromium).")
    ] = False,
) -> None:
    """Write a cluster's report: one HTML file that opens without network (drawing, tables, date)."""
    from api.web import dashboard

    if out.is_dir():  # said before the insights are computed for nothing
        example = out / "report.html"
        raise InvalidInput(f"{out}: is a folder; --out names the HTML file to write, e.g. {example}")
    settings = settings_of(ctx)
    with open_graph(ctx) as graph:
        found = dashboard.insights(
            graph,
            cluster_id,
            settings,
            manager=None,
            suppliers=dashboard.SUPPLIERS,
            as_of=as_of.date() if as_of else None,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with naming(out):
        out.write_text(dashboard.report(found, dt.date.today()), encoding="utf-8")
    size = out.stat().st_size // 1024
    console.print(f"wrote {shown(out)} ({size} KiB): {shown(found.name)}, {found.members} members")
    if pdf:
        target = out.with_suffix(".pdf")
        print_pdf(out, target)
        console.print(f"wrote {shown(target)}")


def print_pdf(html: Path, target: Path) -> None:
    """Print ``html`` to ``target`` with a headless Chromium (no network: the file needs none)."""
    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is None:
        raise InvalidInput("--pdf needs Chromium (`apt-get install chromium`); the HTML report is written")
    with tempfile.TemporaryDirectory(prefix="clusterkg-pdf-") as profile:
        try:
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--proxy-server=127.0.0.1:9",
                    f"--user-data-dir={profile}",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={target.resolve()}",
                    html.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=PDF_SECONDS,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            raise InvalidInput(
                f"{browser} could not print {html} to a PDF ({e}); the HTML report is written"
            ) from e
