"""Registries into the graph: validated, resolved, idempotent, streamed.

Two ways in, one way through: ``load(graph, paths, ...)`` for registry files (the CLI's ``clusterkg ingest``
calls it) and ``load_records(graph, kind, records, source=...)`` for records already validated (the API's
``upsertOrganization``); both resolve, detect changes, write and report the same way. ``generate`` writes
large synthetic regions for benchmarks and evaluation.
"""

from ingest.mapping import Mapping
from ingest.pipeline import load, load_records, open_rejects
from ingest.report import Outcome, Summary

__all__ = ["Mapping", "Outcome", "Summary", "load", "load_records", "open_rejects"]
