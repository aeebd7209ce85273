"""The ``:IngestRun`` record of a run, kept true whatever happens to the run.

It is written ``running`` before any row, with the host and process that run it, and touched every
:data:`HEARTBEAT_S` seconds while the run lasts; it ends ``completed``, ``failed`` (with the error and the
counts of what was committed) or ``interrupted`` (Ctrl-C). A run killed outright cannot say so itself: the
next run marks it ``interrupted`` when its process is gone (same host) or it has been silent for
:data:`STALE_S` seconds (any host), so no record stays ``running`` forever.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from typing import Any

from graph.db import Graph
from graph.queries.ingest import runs as q
from schema.errors import ClusterkgError

log = logging.getLogger(__name__)

HEARTBEAT_S = 30.0
STALE_S = 300.0


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def mark_interrupted(graph: Graph, run_id: str, at: dt.datetime) -> list[str]:
    """Mark the runs left ``running`` by a process that is gone as ``interrupted`` (by ``run_id``)."""
    host = socket.gethostname()
    gone = [
        row["id"]
        for row in graph.run(q.RUNNING_RUNS, at=at)
        if (row["silent"] or 0) > STALE_S
        or (row["host"] == host and row["pid"] is not None and not _process_alive(int(row["pid"])))
    ]
    if gone:
        graph.run(q.MARK_INTERRUPTED, ids=gone, run_id=run_id, at=at)
        log.warning("runs %s were left running by a process that is gone: marked interrupted", gone)
    return gone


class RunRecord:
    """Starts, keeps alive and finishes one run's ``:IngestRun``."""

    def __init__(self, graph: Graph, run_id: str, at: dt.datetime) -> None:
        self.graph = graph
        self.run_id = run_id
        self.at = at
        self.interrupted: list[str] = []
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name="ingest-heartbeat", daemon=True)

    def start(self, sources: list[str], files: list[str], file_hashes: list[str]) -> None:
        self.interrupted = mark_interrupted(self.graph, self.run_id, self.at)
        self.graph.run(
            q.START_RUN,
            run_id=self.run_id,
            at=self.at,
            sources=sources,
            files=files,
            file_hashes=file_hashes,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self.graph.run(q.RUN_ALIVE, run_id=self.run_id, at=dt.datetime.now(dt.UTC))
            except ClusterkgError as e:  # the run itself meets the same failure and reports it
                log.warning("heartbeat of run %s not recorded: %s", self.run_id, e)

    def finish(self, status: str, counts: dict[str, Any], error: str | None, not_loaded: list[str]) -> None:
        self._stop.set()
        if self._beat.is_alive():
            self._beat.join()
        self.graph.run(
            q.FINISH_RUN,
            run_id=self.run_id,
            counts=counts,
            status=status,
            error=error,
            not_loaded=not_loaded,
            at=dt.datetime.now(dt.UTC),
        )
