"""Registries into the graph: validated, resolved, idempotent, streamed.

``load(graph, paths, ...)`` is the one entry point (the CLI's ``clusterkg ingest`` calls it);
``generate`` writes large synthetic regions for benchmarks and evaluation.
"""

from ingest.mapping import Mapping
from ingest.pipeline import load
from ingest.report import Outcome, Summary

__all__ = ["Mapping", "Outcome", "Summary", "load"]
