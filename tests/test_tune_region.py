"""``clusterkg tune`` on a generated region: described organizations, clusters and dated collaborations, but
no projects (no programme parts, no project texts). The whole path a new region takes, through the CLI on
the real Neo4j with the real model: generate, ingest, embed, tune, then suggest ranks with the model; the
snapshot reuses the descriptions' vectors that ``embed`` stored instead of encoding them again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from api.cli import app
from graph import admin
from graph.db import Graph
from graph.queries.snapshot import STORED_VECTORS
from matching import snapshot, suggest
from matching.embed import key_prefix
from matching.model import DIMENSIONS
from schema.settings import Settings


def test_tune_on_a_generated_region_without_projects(
    session_graph: Graph, neo4j_settings: Settings, tmp_path: Path
) -> None:
    admin.delete_data(session_graph)
    model_file = tmp_path / "model.json"
    flags = ["--neo4j-uri", neo4j_settings.neo4j_uri, "--neo4j-password", neo4j_settings.neo4j_password]
    env = {"CLUSTERKG_MATCHING_MODEL_FILE": str(model_file)}
    runner = CliRunner()
    region = tmp_path / "region"
    generated = ["generate", "--out", str(region), "--orgs", "300", "--collaborations", "900", "--seed", "3"]
    assert runner.invoke(app, generated).exit_code == 0
    files = [str(p) for p in sorted(region.glob("*.csv"))]
    for step in ([*flags, "ingest", *files], [*flags, "embed"], [*flags, "tune"]):
        result = runner.invoke(app, step, env=env)
        assert result.exit_code == 0, (step, result.output)
    assert "Held-out seekers" in result.output and model_file.exists()

    settings = neo4j_settings.model_copy(
        update={"matching_model_file": model_file, "cache_dir": tmp_path / "fresh-cache"}
    )
    # Every description was embedded by `embed`: the snapshot reads those vectors into its cache (they are the
    # graph's, not encoded again); the next read finds them all there and asks the graph for none.
    before = session_graph.queries_run
    held = snapshot.read(session_graph, settings)
    first = session_graph.queries_run - before
    again = snapshot.read(session_graph, settings)
    assert session_graph.queries_run - before - first == first - 1
    assert np.array_equal(again.vectors.organizations, held.vectors.organizations)
    ids = [str(i) for i in held.data.org_ids[:20]]
    prefix = key_prefix(settings.embedder)
    for row in session_graph.run(STORED_VECTORS, ids=ids, key_prefix=prefix):
        stored = np.array(row["vector"], dtype=np.float32)
        unit = stored / np.linalg.norm(stored)
        assert held.vectors.organizations[held.index[row["id"]]] == pytest.approx(unit, abs=1e-6)
    described = held.data.org_text != ""
    assert described.any() and held.vectors.organizations.shape == (held.data.n_orgs, DIMENSIONS)
    norms = np.linalg.norm(held.vectors.organizations[described], axis=1)
    assert norms == pytest.approx(np.ones(int(described.sum())), abs=1e-5)

    seeker = str(held.data.org_ids[np.argmax(held.view().history.degree)])
    found = suggest(session_graph, seeker, settings=settings)
    assert found and {s.ranking for s in found} == {"learned"}
    for s in found:
        assert sum(s.shares.values()) == pytest.approx(s.score, abs=1e-6)
    table = runner.invoke(app, [*flags, "suggest", seeker, "--limit", "3"], env=env)
    assert table.exit_code == 0 and "Ranked by the learned ranking" in table.output, table.output
