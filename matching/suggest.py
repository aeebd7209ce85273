"""Explained partner suggestions: the one entry point the CLI, the GraphQL API, the web pages and the
evaluation call. It picks the ranking: the learned model on the collaboration snapshot when one is trained
and an organization asks (``matching.learned``), else the hand-weighted signals (``matching.signal_ranking``).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from graph.db import Graph
from matching.filters import Filters
from matching.reasons import TO_SEEKER, Suggestion, Voice
from matching.signal_ranking import signal_suggest
from matching.signals import Place
from schema.errors import MatchingError
from schema.graph_model import Role
from schema.settings import Settings
from schema.settings_loader import get_settings

if TYPE_CHECKING:
    from matching.ranker import LearnedRanker


def suggest(
    graph: Graph,
    organization_id: str | None = None,
    *,
    need: str | None = None,
    location: Place | None = None,
    role: str = Role.FIRM.value,
    limit: int = 10,
    filters: Filters | None = None,
    include_partners: bool = False,
    settings: Settings | None = None,
    as_of: dt.date | None = None,
    ranker: LearnedRanker | None = None,
    voice: Voice = TO_SEEKER,
) -> list[Suggestion]:
    """Suggest up to ``limit`` partners for the organization ``organization_id``, or, without one, for an
    anonymous ``need`` (free text, optional ``location``, seeker ``role``).

    One ranking: an organization asking without a need text is ranked by the learned model (``ranker``, by
    default the one ``clusterkg tune`` saved) on the collaboration snapshot, as of the day ``as_of`` (None:
    now; ``eval`` asks as of its split day); without a model, or for a need text, by the hand-weighted
    signals. Each suggestion's ``ranking`` says which ran.

    Excluded: the seeker, its partners (unless ``include_partners``) and organizations it declined. The
    reasons speak to the seeker, or of it in ``voice`` (``reasons.OF_MEMBER``: to a manager of its clusters).
    A cluster, region or sector filter value that names nothing in the graph is
    :class:`~schema.errors.UnknownFilterValue`.
    """
    settings = settings or get_settings()
    filters = filters or Filters()
    if limit < 1:
        raise MatchingError("limit must be at least 1")
    filters.check_known(graph)
    if organization_id and need is None:
        learned = _learned(
            graph, organization_id, limit, filters, include_partners, settings, as_of, ranker, voice
        )
        if learned is not None:
            return learned
    if as_of is not None:
        raise MatchingError(
            "Only the learned ranking suggests as of a past day: train it with `clusterkg tune`"
        )
    return signal_suggest(
        graph,
        organization_id,
        need=need,
        location=location,
        role=role,
        limit=limit,
        filters=filters,
        include_partners=include_partners,
        settings=settings,
        voice=voice,
    )


def _learned(
    graph: Graph,
    organization_id: str,
    limit: int,
    filters: Filters,
    include_partners: bool,
    settings: Settings,
    as_of: dt.date | None,
    ranker: LearnedRanker | None,
    voice: Voice,
) -> list[Suggestion] | None:
    """The learned ranking's suggestions, or None when no model is trained. Imported here, not at the top:
    LightGBM and scikit-learn take a second to import, which the signal ranking and every other command
    would pay."""
    if ranker is None and not model_path(settings).exists():
        return None
    from matching import snapshot
    from matching.learned import learned_suggest

    ranker = ranker or served_ranker(settings)
    if ranker is None:
        return None
    day = None if as_of is None else np.datetime64(as_of, "D")
    # The ranking runs on the snapshot held, and the graph's stamp comes with the candidates' details
    # (``checked``): a round trip less, and the request starts again on a fresh snapshot when the stamp says
    # the held one is stale.
    with ThreadPoolExecutor(2, thread_name_prefix="suggest") as background:
        answer = partial(
            learned_suggest,
            graph,
            ranker=ranker,
            organization_id=organization_id,
            as_of=day,
            limit=limit,
            filters=filters,
            include_partners=include_partners,
            settings=settings,
            background=background,
            voice=voice,
        )
        held = snapshot.held(graph, settings)
        version = None
        if held is not None:
            try:
                return answer(held, checked=True)
            except snapshot.Stale as stale:
                version = stale.version
        return answer(snapshot.current(graph, settings, version))


def served_ranker(settings: Settings) -> LearnedRanker | None:
    """The model ``clusterkg tune`` saved, as ``suggest`` serves it: its trees compiled in the background
    unless ``matching_compile_trees`` is off; None when none was trained."""
    from matching import ranker as ranker_module

    trees = settings.cache_dir / "trees" if settings.matching_compile_trees else None
    return ranker_module.load(model_path(settings), compile_into=trees)


def model_path(settings: Settings) -> Path:
    """Where ``clusterkg tune`` saves the learned ranking and ``suggest`` loads it."""
    return settings.matching_model_file or settings.home / "matching_model.json"
