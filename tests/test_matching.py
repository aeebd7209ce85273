"""Partner suggestions on the demo region, with the real model and the real Neo4j: ranking, filters,
exclusions, declines, the anonymous need, reasons, privacy of needs, feedback and tuning."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import numpy as np
import pytest
from typer.testing import CliRunner

import ingest
from api.cli import app
from graph import admin
from graph.db import Graph
from graph.queries.matching import vector_indexes as queries
from graph.query import Query
from ingest import demo as demo_region
from matching import Filters, Place, Suggestion, embed, index_check, record_feedback, suggest
from matching.feedback import feedback_of
from matching.insights import cluster_insights
from matching.signal_ranking import MAX_INDEX_K, mmr, widened
from matching.signals import SIGNALS, WEAK_FIT, distance_km
from schema.errors import MatchingError, NotFound, UnknownFilterValue
from schema.settings import Settings

BAKERY = "FN100000a"  # wants AI-based visual quality control for its bakery line
VISION = {"FN242542i", "R-002", "R-006"}  # the machine-vision vendor, the computer-vision lab and institute
UNRELATED = {"FN511788c", "FN472193h", "FN480112i"}  # drone services, a photo studio, a UX agency
PRIVATE_NEED_OWNER = "FN321732i"  # a foundry whose need (defect detection on castings) is private
PRIVATE_NEED = "automatic defect detection on castings from X-ray and camera images"

ORGANIZATION = Query(
    "test.matching.organization",
    "MATCH (o:Organization {id: $id}) RETURN o.role AS role, o.region AS region, o.lat AS lat, o.lon AS lon, "
    "o.size_class AS size_class, o.sectors AS sectors, [(o)-[:MEMBER_OF]->(c) | c.id] AS clusters, "
    "[(o)-[:COLLABORATES_WITH]-(p) | p.id] AS partners, o.needs AS needs",
)


@pytest.fixture(scope="module")
def settings(neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The test server's settings, with a weights file and a model file that do not exist: the signal
    ranking with the configured weights."""
    folder = tmp_path_factory.mktemp("matching")
    update = {"matching_weights_file": folder / "weights.json", "matching_model_file": folder / "model.json"}
    return neo4j_settings.model_copy(update=update)


@pytest.fixture(scope="module")
def demo(session_graph: Graph, settings: Settings) -> Iterator[Graph]:
    """The demo region, loaded through the ingest pipeline and embedded once for this module."""
    admin.delete_data(session_graph)
    ingest.load(session_graph, demo_region.paths())
    embed(session_graph, settings)
    yield session_graph


def held_sample_of(graph: Graph, settings: Settings) -> None:
    """Wait until the sample this process holds to check the vector index is of this graph: one held from an
    earlier test's graph is read again once a search sees that the graph changed (``matching.index_check``),
    and that read is a query of its own."""
    stored = {row["id"] for row in graph.run(queries.CAPABILITY_VECTORS_PAGE, after="", limit=100_000)}
    suggest(graph, BAKERY, settings=settings)
    deadline = time.monotonic() + 30
    while set(index_check.held_sample(graph).ids) != stored and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(index_check.held_sample(graph).ids) == stored


def org(graph: Graph, id: str) -> dict:
    return graph.run(ORGANIZATION, id=id)[0]


def ids(found: list[Suggestion]) -> list[str]:
    return [s.id for s in found]


def test_a_computer_vision_need_ranks_the_vision_vendor_and_lab_above_unrelated(
    demo: Graph, settings: Settings
) -> None:
    need = "We need computer vision for automated quality control of the products on our production line."
    found = suggest(demo, need=need, location=Place(city="Linz", lat=48.306, lon=14.286), settings=settings)
    ranked = ids(found)
    assert len(found) == 10
    assert ranked[0] in VISION
    assert len(VISION & set(ranked[:4])) >= 2
    for vision in VISION & set(ranked):
        for unrelated in UNRELATED & set(ranked):
            assert ranked.index(vision) < ranked.index(unrelated)
    assert all(0.0 <= s.score <= 1.0 for s in found)


def test_the_bakery_gets_the_vision_vendor_first_with_reasons_that_add_up(
    demo: Graph, settings: Settings
) -> None:
    held_sample_of(demo, settings)
    before = demo.queries_run
    found = suggest(demo, BAKERY, settings=settings)
    assert demo.queries_run - before == 2  # the profile with the candidates, then the best few's texts
    top = found[0]
    assert top.id == "FN242542i"
    assert {s.ranking for s in found} == {"signals"}  # no model trained: the signal ranking
    for suggestion in found:
        assert set(suggestion.signals) == set(SIGNALS) == set(suggestion.shares)
        assert all(0.0 <= value <= 1.0 for value in suggestion.signals.values())
        assert sum(suggestion.shares.values()) == pytest.approx(suggestion.score, abs=1e-9)
        assert suggestion.reasons[0].startswith(f"Score {suggestion.score:.2f} = ")
    # The best-matching sentences: the bakery's own need sentence and the vendor's capability sentence.
    bakery_needs = org(demo, BAKERY)["needs"]
    assert top.best_pair is not None and top.best_pair.need in bakery_needs
    assert "machine-vision" in top.best_pair.capability and top.best_pair.similarity > 0.5
    assert any(top.best_pair.capability in reason for reason in top.reasons)
    # Shared ties in words: the technology-transfer office works with both and can introduce them.
    assert [p["id"] for p in top.shared_partners] == ["M-TT"]
    assert top.introducers[0].id == "M-TT" and "knowledge broker" in top.introducers[0].how
    assert any("Could introduce you: TechTransfer Upper Austria" in reason for reason in top.reasons)
    assert {c["id"] for c in top.shared_clusters} == {"FOOD"}
    bakery, vendor = org(demo, BAKERY), org(demo, top.id)
    expected_km = distance_km(bakery["lat"], bakery["lon"], vendor["lat"], vendor["lon"])
    assert top.distance_km == pytest.approx(expected_km, abs=0.1)
    assert any(f"{expected_km:.0f} km away" in reason for reason in top.reasons)


def test_exclusions_the_seeker_its_partners_unless_asked(demo: Graph, settings: Settings) -> None:
    partners = set(org(demo, BAKERY)["partners"])
    assert partners
    found = ids(suggest(demo, BAKERY, limit=40, settings=settings))
    assert BAKERY not in found and not partners & set(found)
    with_partners = ids(suggest(demo, BAKERY, limit=40, include_partners=True, settings=settings))
    assert partners & set(with_partners) and BAKERY not in with_partners


def test_a_declined_suggestion_is_not_suggested_again(demo: Graph, settings: Settings) -> None:
    assert "FN242542i" in ids(suggest(demo, BAKERY, settings=settings))
    answer = record_feedback(demo, BAKERY, "FN242542i", False, comment="too expensive", by="anna@baeckerei")
    assert answer.accepted is False and answer.by == "anna@baeckerei" and answer.at
    try:
        assert "FN242542i" not in ids(suggest(demo, BAKERY, limit=30, settings=settings))
        [stored] = feedback_of(demo, BAKERY)
        assert (stored.partner, stored.accepted, stored.comment) == ("FN242542i", False, "too expensive")
    finally:
        record_feedback(demo, BAKERY, "FN242542i", True, comment="changed our mind", by="anna@baeckerei")
    assert "FN242542i" in ids(suggest(demo, BAKERY, settings=settings))
    with pytest.raises(NotFound, match=r"^No organization 'no-such-org'$"):  # names the unknown side only
        record_feedback(demo, BAKERY, "no-such-org", True)
    with pytest.raises(MatchingError):
        record_feedback(demo, BAKERY, BAKERY, True)


def test_role_filter(demo: Graph, settings: Settings) -> None:
    found = suggest(
        demo, BAKERY, filters=Filters(roles=["university", "research_institute"]), settings=settings
    )
    assert found and {s.role for s in found} <= {"university", "research_institute"}
    assert {"R-002", "R-006"} & set(ids(found))
    with pytest.raises(MatchingError):
        Filters(roles=["wizard"])


def test_a_filtered_search_widens_by_the_share_the_filters_let_through() -> None:
    assert widened(50, 10, passed=4) == 250  # 4 of 50 passed: 250 should give about 20
    assert widened(50, 10, passed=8) == 125
    assert widened(50, 10, passed=0) == 400  # nothing passed: 8 times as deep
    assert widened(50, 10, passed=40) == 100  # at least twice as deep
    assert widened(4000, 10, passed=1) == MAX_INDEX_K


def test_distance_filter(demo: Graph, settings: Settings) -> None:
    found = suggest(demo, BAKERY, filters=Filters(max_km=30), limit=20, settings=settings)
    bakery = org(demo, BAKERY)
    assert found
    for suggestion in found:
        other = org(demo, suggestion.id)
        assert distance_km(bakery["lat"], bakery["lon"], other["lat"], other["lon"]) <= 30.0 + 1e-6
    everything = suggest(demo, BAKERY, limit=60, settings=settings)
    assert len(everything) > len(found)
    with pytest.raises(MatchingError):
        suggest(demo, need="cameras", filters=Filters(max_km=10), settings=settings)  # no location known


def test_region_cluster_sector_and_size_filters(demo: Graph, settings: Settings) -> None:
    in_cluster = suggest(demo, BAKERY, filters=Filters(clusters=["PREC"]), settings=settings)
    assert in_cluster and all("PREC" in org(demo, s.id)["clusters"] for s in in_cluster)
    by_name = suggest(
        demo,
        BAKERY,
        filters=Filters(clusters=["Upper Austria Precision Engineering Cluster"]),
        settings=settings,
    )
    assert ids(by_name) == ids(in_cluster)
    medium = suggest(demo, BAKERY, filters=Filters(size_classes=["medium"]), settings=settings)
    assert medium and all(org(demo, s.id)["size_class"] == "medium" for s in medium)
    food = suggest(demo, BAKERY, filters=Filters(sectors=["dairy"]), settings=settings)
    assert food and all("dairy" in org(demo, s.id)["sectors"] for s in food)
    with pytest.raises(UnknownFilterValue, match=r"^regions 'Tyrol': no organization is in a region"):
        suggest(demo, BAKERY, filters=Filters(regions=["Tyrol"]), settings=settings)  # none is there
    upper_austria = suggest(demo, BAKERY, filters=Filters(regions=["Upper Austria"]), settings=settings)
    assert upper_austria and all(org(demo, s.id)["region"] == "Upper Austria" for s in upper_austria)
    austria = suggest(demo, BAKERY, filters=Filters(regions=["AT"]), settings=settings)
    by_country_name = suggest(demo, BAKERY, filters=Filters(regions=["austria"]), settings=settings)
    assert austria and ids(by_country_name) == ids(austria)  # a country by name as by the code kept


def test_anonymous_need_without_location_and_unknown_organization(demo: Graph, settings: Settings) -> None:
    found = suggest(demo, need="drone inspection of roofs and solar plants", limit=3, settings=settings)
    assert found[0].id == "FN511788c"
    assert found[0].signals["proximity"] == 0.0 and found[0].distance_km is None
    assert found[0].signals["trust"] == 0.0 and found[0].signals["novelty"] == 0.0
    with pytest.raises(NotFound):
        suggest(demo, "no-such-org", settings=settings)
    with pytest.raises(MatchingError):
        suggest(demo, settings=settings)


def test_private_needs_never_reach_anyone_else(demo: Graph, settings: Settings) -> None:
    # Someone searching with words close to the foundry's private need sees nothing of that need.
    found = suggest(demo, need="defect detection on castings using X-ray images", limit=20, settings=settings)
    private = org(demo, PRIVATE_NEED_OWNER)["needs"]
    assert PRIVATE_NEED in private
    for suggestion in found:
        text = json.dumps(suggestion.to_dict(), ensure_ascii=False)
        assert private not in text and "castings from X-ray" not in text
    # Another organization's suggestions explain with its own needs only.
    for suggestion in suggest(demo, BAKERY, limit=20, settings=settings):
        assert suggestion.best_pair is None or suggestion.best_pair.need in org(demo, BAKERY)["needs"]
    # The foundry itself is shown its own private need as the reason.
    own = suggest(demo, PRIVATE_NEED_OWNER, settings=settings)
    assert own[0].best_pair is not None and own[0].best_pair.need in private


def test_diversity_reranking_pushes_near_duplicates_down() -> None:
    scores = np.array([0.9, 0.89, 0.6])
    similarities = np.array([[1.0, 0.99, 0.1], [0.99, 1.0, 0.1], [0.1, 0.1, 1.0]])
    assert mmr(scores, similarities, 3, lam=1.0) == [0, 1, 2]
    assert mmr(scores, similarities, 3, lam=0.7) == [0, 2, 1]
    assert mmr(scores, similarities, 2, lam=0.7) == [0, 2]


def test_suggest_command_prints_json(demo: Graph, settings: Settings) -> None:
    flags = ["--neo4j-uri", settings.neo4j_uri, "--neo4j-password", settings.neo4j_password]
    env = {
        "CLUSTERKG_MATCHING_WEIGHTS_FILE": str(settings.matching_weights_file),
        "CLUSTERKG_MATCHING_MODEL_FILE": str(settings.matching_model_file),
    }
    result = CliRunner().invoke(
        app, [*flags, "suggest", BAKERY, "--role", "vendor", "--limit", "3", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert [s["id"] for s in found][0] == "FN242542i" and len(found) == 3
    assert all({"id", "name", "score", "reasons"} <= set(s) and s["role"] == "vendor" for s in found)
    table = CliRunner().invoke(app, [*flags, "suggest", "--need", "sourdough flour", "--limit", "2"], env=env)
    assert table.exit_code == 0 and "1. " in table.output and "Score" in table.output
    assert "Ranked by the signal ranking (no model trained)" in table.output
    missing = CliRunner().invoke(app, [*flags, "suggest", "no-such-org"], env=env)
    assert missing.exit_code == 1 and "No organization with id 'no-such-org'" in missing.output


def test_suggest_command_refuses_a_place_or_distance_that_is_no_position(
    demo: Graph, settings: Settings
) -> None:
    """`--max-km nan` answered "No partner fits these filters" (NaN compares false with every distance),
    `--lat 100` and `--lat nan --lon nan` answered with Neo4j's own error about WGS84 points, and `--lat`
    without `--lon` was dropped without a word."""
    flags = ["--neo4j-uri", settings.neo4j_uri, "--neo4j-password", settings.neo4j_password]
    need = ["suggest", "--need", "sourdough flour", "--limit", "2"]
    for extra, said in (
        (["--max-km", "nan"], "--max-km must be a number of km above 0"),
        (["--max-km", "inf"], "--max-km must be a number of km above 0"),
        (["--max-km", "0"], "--max-km must be a number of km above 0"),
        (["--lat", "100", "--lon", "14"], "--lat must be between -90 and 90"),
        (["--lat", "48", "--lon", "-200"], "--lon must be between -180 and 180"),
        (["--lat", "nan", "--lon", "nan"], "--lat must be between -90 and 90"),
        (["--lat", "48"], "--lat and --lon go together"),
    ):
        result = CliRunner().invoke(app, [*flags, *need, *extra])
        assert result.exit_code == 1, (extra, result.output)
        assert said in " ".join(result.output.split()), (extra, result.output)
        assert (
            "Neo4j" not in result.output
            and result.exception is None
            or isinstance(result.exception, SystemExit)
        ), (extra, result.output)
    near = CliRunner().invoke(app, [*flags, *need, "--lat", "48.16", "--lon", "14.03", "--max-km", "30"])
    assert near.exit_code == 0 and "1. " in near.output, near.output


def test_a_gap_supplier_offers_the_capability_or_fits_its_words(demo: Graph, settings: Settings) -> None:
    """On the demo region nobody offers anything close to energy efficiency (the best fit of words was 0.12):
    the gap says none fits instead of naming an aluminium plant; brand design keeps its design studio."""
    found = cluster_insights(demo, "FOOD", suppliers=3, settings=settings)
    gaps = {gap.capability: gap for gap in found.gaps}
    assert gaps["energy efficiency"].suppliers == []
    assert [s.id for s in gaps["brand design"].suppliers][:1] == ["FN424679b"]
    for gap in found.gaps:
        for supplier in gap.suppliers:
            fit = next(
                s.signals["semantic"]
                for s in suggest(demo, need=gap.capability, limit=9, settings=settings)
                if s.id == supplier.id
            )
            assert supplier.offers_capability or fit >= WEAK_FIT, (gap.capability, supplier.name, fit)
    flags = ["--neo4j-uri", settings.neo4j_uri, "--neo4j-password", settings.neo4j_password]
    printed = CliRunner(env={"COLUMNS": "400"}).invoke(app, [*flags, "insights", "FOOD"])
    assert printed.exit_code == 0, printed.output
    assert "energy efficiency" in printed.stdout and "suppliers: none fits" in printed.stdout
    assert "knowledge broker" in printed.stdout and "knowledge_broker" not in printed.stdout  # roles in words
