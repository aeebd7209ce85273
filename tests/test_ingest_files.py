"""The file side of ingest, without a graph: kind detection, streaming readers, models, the generator."""

from __future__ import annotations

import csv
import gzip
import json
import tracemalloc
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from api.cli import app
from graph.server import free_port
from ingest import Outcome, load
from ingest.encodings import SAMPLE_BYTES
from ingest.generate import generate
from ingest.kinds import detect_kind
from ingest.normalize import domain, name_key
from ingest.readers import CHUNK, detect, read
from schema.errors import IngestError
from schema.models import OrganizationRecord, RecordKind
from tests.utils.registry import org, write_csv


@pytest.mark.parametrize(
    ("columns", "kind"),
    [
        ({"id", "name", "role", "city"}, RecordKind.ORGANIZATIONS),
        ({"id", "name", "sector", "stage"}, RecordKind.CLUSTERS),
        ({"organization", "cluster", "since"}, RecordKind.MEMBERSHIPS),
        ({"source", "target", "kind"}, RecordKind.COLLABORATIONS),
        ({"id", "title", "start", "end"}, RecordKind.PROJECTS),
        ({"project", "organization", "role"}, RecordKind.PARTICIPATIONS),
    ],
)
def test_the_kind_of_a_file_is_recognized_from_its_columns(columns: set[str], kind: RecordKind) -> None:
    assert detect_kind(columns, "f.csv") is kind


def test_a_file_that_fits_two_kinds_asks_for_kind(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="fit .* equally well; pass --kind"):
        detect_kind({"organization", "cluster", "project"}, "f.csv")
    path = write_csv(tmp_path / "x.csv", [{"organization": "a", "cluster": "c", "project": "p"}])
    summary = load(None, [path], kind="participations", dry_run=True)
    assert summary.files[0].kind is RecordKind.PARTICIPATIONS
    assert summary.files[0].ignored_columns == ["cluster"]


def test_a_json_array_is_streamed_item_by_item_across_chunks(tmp_path: Path) -> None:
    items = [{"id": f"o{i}", "name": "ä" * 500, "role": "firm", "note": "]},{"} for i in range(5000)]
    path = tmp_path / "big.json.gz"
    path.write_bytes(gzip.compress(json.dumps(items, ensure_ascii=False).encode()))
    assert len(gzip.decompress(path.read_bytes())) > 2 * CHUNK
    rows = list(read(path, detect(path)))
    assert [r.number for r in rows[:2]] == [1, 2] and len(rows) == 5000
    assert rows[-1].values == items[-1]


def test_a_cp1252_file_holding_utf8_letters_further_on_is_refused_naming_their_line(tmp_path: Path) -> None:
    """Read whole as cp1252, the UTF-8 ``ü`` would be stored as ``Ã¼``; the file is refused where the first
    UTF-8 letter is, even when it lies chunks further on, is split by the end of a chunk, or is a gzipped
    curly apostrophe. Real cp1252 text whose byte pairs are UTF-8 too (an accented capital and a sign:
    ``CAFÉ”``, ``NESTLÉ®``) reads as it is."""
    head = "id,name,role\na,Müller,firm\n".encode("cp1252")
    far = b"x,Name,firm\n" * (3 * CHUNK // 12)
    cases = {"far.csv": (head + far + "b,Müller,firm\n".encode(), 3 + far.count(b"\n"), "b'\\xc3\\xbc'")}
    for cut in range(-1, 3):  # the first chunk ends before "M", between "M" and "ü", in "ü", after "ü"
        filler = SAMPLE_BYTES - len(head) - len(b"b,M") - cut
        line = b"x,N" + b"a" * (filler - len(b"x,N,firm\n")) + b",firm\n"
        data = head + line + "b,Müller,firm\n".encode()
        cases[f"split{cut}.csv"] = (data, 4, "b'\\xc3\\xbc'")
    cases["apostrophe.csv.gz"] = (gzip.compress(head + "b,It’s,firm\n".encode()), 3, "'’'")
    for name, (data, line_number, letters) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(IngestError) as refused:
            detect(tmp_path / name)
        said = str(refused.value)
        assert said.startswith(f"{tmp_path / name}: line {line_number:,}: bytes "), said
        assert letters in said and "line 2 holds b'\\xfc', cp1252 for 'ü'" in said, said
        assert "the file mixes encodings" in said

    capitals = tmp_path / "capitals.csv"
    capitals.write_bytes("id,name,role\na,Müller,firm\nb,CAFÉ” Wien,firm\nc,NESTLÉ®,firm\n".encode("cp1252"))
    assert detect(capitals).encoding == "cp1252"
    names = [row.values["name"] for row in read(capitals, detect(capitals))]
    assert names == ["Müller", "CAFÉ” Wien", "NESTLÉ®"]


def test_a_bad_jsonl_line_is_one_rejected_row(tmp_path: Path) -> None:
    path = tmp_path / "orgs.jsonl"
    path.write_text('{"id": "a", "name": "A", "role": "firm"}\n{"id": "b", oops\n[1, 2]\n', encoding="utf-8")
    summary = load(None, [path], dry_run=True)
    assert summary.counts()["added"] == 1 and summary.counts()["rejected"] == 2
    assert [(r.row, r.reason.split(":")[0]) for r in summary.rejects] == [
        (2, "not valid JSON"),
        (3, "a JSONL line must hold one object"),
    ]


def test_records_coerce_registry_spellings_and_explain_failures() -> None:
    record = OrganizationRecord.model_validate(
        {"id": 17, "name": " Bäckerei ", "role": "Research Institute", "lat": "48,2", "lon": "14.3",
         "employees": "1.200", "sectors": "food; bakery;", "vat": "ATU 123.45", "needs_visibility": ""}
    )  # fmt: skip
    assert (record.id, record.name, record.role.value) == ("17", "Bäckerei", "research_institute")
    assert (record.lat, record.employees, record.sectors, record.vat) == (
        48.2,
        1200,
        ["food", "bakery"],
        "ATU12345",
    )
    with pytest.raises(ValidationError, match="lat and lon must be given together"):
        OrganizationRecord.model_validate({"id": "x", "name": "y", "role": "firm", "lat": 1})


def test_resolution_keys_fold_spellings() -> None:
    assert name_key("Bäckerei Huber G.m.b.H.", "Linz") == name_key("BAECKEREI HUBER GmbH", "linz")
    assert name_key("Huber", None) is None
    assert domain("https://WWW.Huber.at/shop?x=1") == domain("huber.at") == "huber.at"
    assert domain("not a website") is None


def test_the_generator_is_seeded_and_plants_links_from_needs_to_offers(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", orgs=400, collaborations=900, seed=5, noise=0.2)
    again = generate(tmp_path / "b", orgs=400, collaborations=900, seed=5, noise=0.2)
    other = generate(tmp_path / "c", orgs=400, collaborations=900, seed=6, noise=0.2)
    for a, b in zip(first.files, again.files, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert first.files[1].read_bytes() != other.files[1].read_bytes()
    assert first.collaborations == 900 and 600 < first.planted < 900

    with first.files[1].open(encoding="utf-8", newline="") as handle:
        orgs = {row["id"]: row for row in csv.DictReader(handle)}
    with (first.out / "truth" / "planted.csv").open(encoding="utf-8", newline="") as handle:
        planted = [row for row in csv.DictReader(handle) if row["capability"]]
    for link in planted:
        assert link["capability"] in orgs[link["source"]]["needed_capabilities"].split(";")
        assert link["capability"] in orgs[link["target"]]["capabilities"].split(";")
    assert len({orgs[o]["role"] for o in orgs}) >= 5

    summary = load(None, first.files, dry_run=True)
    assert summary.counts() == {"rows": 400 + 400 + 900 + first.clusters, "added": 1700 + first.clusters,
                                "updated": 0, "unchanged": 0, "merged": 0, "rejected": 0}  # fmt: skip


def test_a_small_region_plants_what_it_can_and_says_how_many_links_are_missing(tmp_path: Path) -> None:
    """50 organizations (seed 3): some needs are offered by nobody in the region; those are not planted,
    and the command says how many of the links asked for it could not write, instead of failing."""
    region = generate(tmp_path / "small", orgs=50, seed=3)
    assert 0 < region.collaborations <= region.asked == 150
    with region.files[1].open(encoding="utf-8", newline="") as handle:
        offered = {c for row in csv.DictReader(handle) for c in row["capabilities"].split(";")}
    with (region.out / "truth" / "planted.csv").open(encoding="utf-8", newline="") as handle:
        assert {row["capability"] for row in csv.DictReader(handle)} - {""} <= offered

    alone = generate(tmp_path / "two", orgs=2, seed=3, noise=0.0)
    assert (alone.collaborations, alone.asked) == (0, 6)
    command = ["generate", "--out", str(tmp_path / "cli"), "--orgs", "2", "--seed", "3", "--noise", "0"]
    result = CliRunner().invoke(app, command)
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "6 of the 6 collaborations asked for were not written" in said
    assert "(try more organizations, or a --noise above 0: a random collaboration needs no offer)" in said
    result = CliRunner().invoke(app, command[:-2])  # the default noise, 0.1: "above 0" read as if it were 0
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "or a --noise above 0.1: a random" in said, said


@pytest.mark.parametrize(
    ("name", "left"),
    [("rejects.jsonl", ""), ("rejects.csv", "file,row,field,reason\n")],
)
def test_without_a_server_the_reject_file_is_emptied_and_the_error_is_one_sentence(
    tmp_path: Path, name: str, left: str
) -> None:
    """An earlier run's rejects left in the file would read as this run's: the file is emptied when the run
    starts, before Neo4j is reached, and the run that reaches no Neo4j says how to start one."""
    orgs = write_csv(tmp_path / "orgs.csv", [{"id": "O1", "name": "Acme", "role": "firm", "city": "Graz"}])
    rejects = tmp_path / name
    rejects.write_text('{"file": "old.csv", "row": 2, "field": "id", "reason": "an earlier run"}\n')
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{free_port()}", "NEO4J_PASSWORD": "not-the-placeholder-1"}
    result = CliRunner().invoke(app, ["ingest", str(orgs), "--rejects", str(rejects)], env=env)
    assert result.exit_code == 1, result.output
    assert "clusterkg neo4j start" in result.output and "Traceback" not in result.output
    assert rejects.read_text() == left


def _peak_of_ids_mb(path: Path, ids: int) -> float:
    """The peak of Python's allocations while a dry run reads each of ``ids`` organizations, then each of
    them again in another city."""
    rows = [org(f"R{n}", f"Firm {n}", city="Wels") for n in range(ids)]
    write_csv(path, rows + [org(f"R{n}", f"Firm {n}", city="Linz") for n in range(ids)])
    tracemalloc.start()
    try:
        summary = load(None, [path], dry_run=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert summary.files[0].outcomes == {Outcome.ADDED: ids, Outcome.REJECTED: ids}
    reason = "organization 'R0' is already at row 2 of this file with city 'Wels', not 'Linz'"
    assert (summary.rejects[0].field, summary.rejects[0].reason) == ("city", reason)
    return peak / 2**20


def test_an_id_in_conflict_holds_only_the_given_values_of_its_earlier_row(tmp_path: Path) -> None:
    """Every id given again further on in a file holds its earlier row from the moment the file is read back
    until its later row. The record's whole dump (every field of the model, most of them empty) came to some
    2,000 bytes an id in conflict, all told; the row's given values only, some 1,300."""
    small = _peak_of_ids_mb(tmp_path / "small.csv", 10_000)
    large = _peak_of_ids_mb(tmp_path / "large.csv", 20_000)
    per_id = (large - small) * 2**20 / 10_000
    assert per_id < 1_600, f"{per_id:,.0f} bytes an id in conflict"
