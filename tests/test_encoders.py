"""The embedding backends with the real model: torch and the ONNX copies agree, stored embeddings carry the
backend (a change re-embeds every text), and a missing ONNX copy is exported again, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from graph.db import Graph
from graph.query import Query
from matching import onnx_export
from matching.embed import content_hash, embed, key_prefix
from matching.encoders import OnnxEncoder, TorchEncoder
from matching.model import embed_texts, load_model, model_folder
from schema.embedders import parse_embedder
from schema.errors import MatchingError
from schema.settings import Settings
from tests.utils.matching_region import create_region

TEXTS = [
    "We build machine vision cameras for inspection. Our software finds defects on production lines.",
    "Tax advisory and payroll for small firms.",
    "We are looking for a partner for predictive maintenance of our packaging machines.",
]
HASHES = Query(
    "test.encoders.hashes",
    "MATCH (o:Organization) RETURN o.id AS id, o.description AS description, o.capability_hash AS hash, "
    "o.capability_key AS key, o.capability_embedding AS vector",
)


def test_the_backend_is_a_setting_and_part_of_the_embedders_name() -> None:
    torch = Settings(embedding_backend="torch")
    int8 = Settings(embedding_backend="onnx-int8")
    assert torch.embedder == torch.embedding_model  # the name embeddings were stored under before backends
    assert int8.embedder == f"{int8.embedding_model}@onnx-int8/token-2"
    assert parse_embedder(int8.embedder) == (int8.embedding_model, "onnx-int8")
    # Vectors of another int8 scheme (quantized per run) or graph are not this backend's: encoded again.
    for other in ("onnx-int8", "onnx-int8/token"):
        assert parse_embedder(f"{int8.embedding_model}@{other}") != parse_embedder(int8.embedder)
    assert parse_embedder("/models/me@work") == ("/models/me@work", "torch")
    with pytest.raises(ValidationError, match="embedding_backend"):
        Settings(embedding_backend="tensorflow")


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_an_onnx_backend_gives_the_models_vectors_and_sentence_vectors(backend: str) -> None:
    name = Settings(embedding_backend=backend).embedder
    torch_name = Settings(embedding_backend="torch").embedder
    assert isinstance(load_model(name), OnnxEncoder) and isinstance(load_model(torch_name), TorchEncoder)
    fast, exact = embed_texts(TEXTS, model_name=name), embed_texts(TEXTS, model_name=torch_name)
    floor = 0.9999 if backend == "onnx" else 0.995
    for a, b in zip(fast, exact, strict=True):
        assert float(a.vector @ b.vector) > floor
        assert a.sentences == b.sentences
        assert np.all(np.sum(a.sentence_vectors * b.sentence_vectors, axis=1) > floor)
    # The first text's two sentences are about different things: each sentence vector is its own.
    assert float(fast[0].sentence_vectors[0] @ fast[0].sentence_vectors[1]) < 0.9


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_a_texts_vector_does_not_depend_on_the_texts_it_runs_with(backend: str) -> None:
    """Texts run 16 at a time, padded to the longest: alone or among others, a text gets the same vectors."""
    encoder = load_model(Settings(embedding_backend=backend).embedder)
    others = [f"{TEXTS[0]} {' '.join(['Welding, coating and assembly.'] * n)}" for n in range(1, 40)]
    alone = [encoder.passes([text], batch_size=1)[0] for text in TEXTS]
    among = encoder.passes([*others[:20], *TEXTS, *others[20:]], batch_size=64)[20:23]
    for a, b in zip(alone, among, strict=True):
        assert a.offsets == b.offsets
        np.testing.assert_allclose(a.vector, b.vector, atol=1e-6)
        np.testing.assert_allclose(a.tokens, b.tokens, atol=1e-5)


def test_changing_the_backend_re_embeds_every_text(graph: Graph, neo4j_settings: Settings) -> None:
    create_region(graph)
    torch = neo4j_settings.model_copy(update={"embedding_backend": "torch"})
    int8 = neo4j_settings.model_copy(update={"embedding_backend": "onnx-int8"})
    assert embed(graph, torch).encoded == {"capability": 10, "needs": 1, "private_needs": 1}
    before = {row["id"]: row for row in graph.run(HASHES)}
    assert embed(graph, torch).total_encoded == 0

    switched = embed(graph, int8)
    # No vector of the old backend is left.
    assert switched.encoded == {"capability": 10, "needs": 1, "private_needs": 1}
    after = {row["id"]: row for row in graph.run(HASHES)}
    for row in after.values():
        assert row["hash"] == content_hash(int8.embedder, row["description"])
        assert row["key"] == key_prefix(int8.embedder) + row["description"]
        assert row["hash"] != before[row["id"]]["hash"]
        assert float(np.dot(row["vector"], before[row["id"]]["vector"])) > 0.98
    assert embed(graph, int8).total_encoded == 0
    assert embed(graph, torch).encoded == {"capability": 10, "needs": 1, "private_needs": 1}  # and back


def test_a_missing_onnx_copy_is_exported_again_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    source = model_folder(Settings().embedding_model)
    # an older copy of the same model (another format) is removed; a copy of another model stays
    for name, of in (("old-copy", str(Path(source).resolve())), ("other-model", "/models/other")):
        (tmp_path / "encoders" / name).mkdir(parents=True)
        (tmp_path / "encoders" / name / "encoder.json").write_text(json.dumps({"source": of}))
    folder = onnx_export.ensure(source, "onnx-int8", tmp_path)
    assert folder.parent == tmp_path / "encoders"
    assert not (tmp_path / "encoders" / "old-copy").exists()
    assert (tmp_path / "encoders" / "other-model" / "encoder.json").is_file()
    files = {name: folder / name for name in ("model.onnx", "model-int8.onnx", "tokenizer.json")}
    assert all(path.is_file() for path in files.values())
    exact = load_model(Settings(embedding_backend="torch").embedder).encode(TEXTS, batch_size=8)

    files["model-int8.onnx"].unlink()  # only the int8 copy lost: written again, the float32 one kept
    kept = files["model.onnx"].stat().st_mtime_ns
    assert onnx_export.ensure(source, "onnx-int8", tmp_path) == folder
    assert files["model-int8.onnx"].is_file() and files["model.onnx"].stat().st_mtime_ns == kept

    files["model.onnx"].unlink()  # the float32 copy lost: exported again from the model folder
    files["tokenizer.json"].unlink()
    onnx_export.ensure(source, "onnx", tmp_path)
    for backend in ("onnx", "onnx-int8"):
        encoder = OnnxEncoder(folder / onnx_export.FILES[backend], files["tokenizer.json"])
        cosines = np.sum(encoder.encode(TEXTS, batch_size=2) * exact, axis=1)
        assert np.all(cosines > (0.9999 if backend == "onnx" else 0.98))
    left = {p.name for p in (tmp_path / "encoders").iterdir() if p != folder}
    assert left == {"other-model"}  # no temporary folder left


def test_the_onnx_backend_embeds_ranks_and_serves_without_importing_torch_or_transformers() -> None:
    """torch stays installed only because the model's package requires it: nothing the default backend runs
    (the export, embedding, both rankings, the API and the CLI) imports it, so a deployment that provides
    the model folder another way can leave it out."""
    code = """
import sys
from api.app import create_app
from api.cli import app
from matching import learned, ranker, signal_ranking, suggest
from matching.model import embed_texts
from schema.settings import Settings
create_app(Settings())
assert len(embed_texts(["Machine vision for inspection."], model_name=Settings().embedder)) == 1
print(sorted({"torch", "transformers", "sentence_transformers"} & set(sys.modules)))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("backend", ["onnx-int8", "torch"])
def test_a_model_name_that_cannot_load_is_repeated_in_at_most_100_characters(backend: str) -> None:
    """A settings value is the operator's, but it comes back in an error: a 5,000-character name came back
    whole."""
    with pytest.raises(MatchingError) as caught:
        load_model(Settings(embedding_model="m" * 5000, embedding_backend=backend).embedder)
    message = str(caught.value)
    assert "(5,000 characters)" in message and len(message) < 800, message[:300]
