"""Where the evaluation's data comes from: the graph (through ``graph/``), loaded first when needed.

A registry folder (e.g. the CORDIS files) is loaded with the ingest engine and the mapping files of its
source; the files' hashes recorded by completed ingest runs tell whether that already happened, so a second
``clusterkg eval`` does not load again.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

import ingest
from graph.db import Graph
from graph.queries import evaluation as queries
from ingest import readers
from matching.evaluation.dataset import EvalData
from matching.evaluation.embedding_cache import cached_encode
from matching.evaluation.history import TextVectors
from schema.errors import IngestError
from schema.graph_model import CollaborationKind
from schema.settings import Settings

log = logging.getLogger(__name__)


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
        raise IngestError(f"{mappings} holds no *.mapping.yaml files")
    return files


def ensure_loaded(graph: Graph, data_dir: Path, *, mappings: Path, source: str, batch_size: int) -> bool:
    """Load the registry in ``data_dir`` unless completed ingest runs already loaded these exact files.

    The same as ``clusterkg ingest DIR/* --mapping MAPPINGS --match-on none --derive-collaborations``: each
    record is its own organization (the registry's ids are unique), and the dated joint-project
    collaborations the benchmark reads are derived. Returns whether it loaded.
    """
    files = registry_files(data_dir, mappings)
    loaded = set(graph.run(queries.LOADED_FILE_HASHES)[0]["hashes"])
    joint = [CollaborationKind.JOINT_PROJECT.value]
    derived = graph.run(queries.COUNT_COLLABORATIONS, kinds=joint)[0]["count"]
    if derived and all(readers.file_hash(path) in loaded for path in files):
        return False
    log.info("loading %s with the mappings in %s", ", ".join(map(str, files)), mappings)
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


def read(graph: Graph, *, kinds: list[str] | None = None) -> EvalData:
    """The organizations, projects, participations and collaborations (of ``kinds``; all when None)."""
    return EvalData.from_rows(
        graph.run(queries.ORGANIZATIONS),
        graph.run(queries.PROJECTS),
        graph.run(queries.PARTICIPATIONS),
        graph.run(queries.COLLABORATIONS, kinds=kinds),
    )


def text_vectors(data: EvalData, settings: Settings) -> TextVectors:
    """Embeddings of every project text and organization description, cached by content hash."""
    texts = [*data.project_text, *data.org_text]
    vectors = cached_encode(
        texts,
        model_name=settings.embedder,
        cache_dir=settings.cache_dir / "embeddings",
        batch_size=settings.embedding_batch_size,
    )
    return TextVectors(
        projects=vectors[: data.n_projects], organizations=np.asarray(vectors[data.n_projects :])
    )
