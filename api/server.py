"""The HTTP server that ``clusterkg serve`` runs: uvicorn with the request head bounded (``api.http_head``),
its refusals logged as counts (``api.refusal_log``) and its access lines bounded (``api.access_log``). The
tests and benchmarks that serve the app start it through :func:`api_server` too, so what they measure and
check is the server users run, not stock uvicorn.

uvicorn's own records (``uvicorn.error``: starting, stopping, errors; ``uvicorn.access``: a line per request)
go where the process's other records go, through the root logger's handler (the CLI's
``api.cli.common.LogHandler``): uvicorn is given no logging configuration of its own, which would write them
through handlers of its own, with no date or time, its access lines on stdout apart from the rest."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from api.access_log import BOUNDED_ACCESS_LINE
from api.http_head import bounded_head
from api.refusal_log import RefusalLog
from schema.settings import Settings


def api_server(app: FastAPI, settings: Settings, *, host: str, port: int, log_level: str) -> uvicorn.Server:
    """uvicorn serving ``app`` on ``host``:``port`` with one worker, logging at ``log_level`` through the root
    logger's handler; ``run()`` it (it sets ``started`` once it listens, and stops when ``should_exit`` is
    set)."""
    logging.getLogger("uvicorn.access").addFilter(BOUNDED_ACCESS_LINE)
    protocol = bounded_head(RefusalLog(settings.api_refusal_log_seconds))
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, log_config=None, http=protocol)
    return uvicorn.Server(config)
