"""The int8 text screen finds exactly the nearest texts and cosines of the full float32 product."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from matching import model
from matching.dataset import GraphData
from matching.feature_arrays import cosines, largest
from matching.history import TextVectors, temporal_split
from matching.seeker_rows import TEXT_CANDIDATES, TEXT_NEIGHBOURS, SeekerRows
from matching.text_screen import TextScreen
from schema.settings import Settings

TOPICS = ("laser welding of steel", "bakery production lines", "battery cells for cars", "crop sensors")


def real_vectors() -> np.ndarray:
    """Unit vectors of the real model for texts that are near each other (four topics, each said in many
    ways), repeated (organizations with the same text tie exactly) and a few zero rows (no text)."""
    texts = [f"{topic}, {detail}" for topic in TOPICS for detail in ("research", "services", "design", "")]
    encoded = model.encode(texts, model_name=Settings().embedder).astype(np.float32)
    rng = np.random.default_rng(5)
    noise = rng.normal(scale=0.05, size=(1500, encoded.shape[1])).astype(np.float32)
    vectors = encoded[rng.integers(0, len(encoded), 1500)] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[rng.integers(0, 1500, 200)] = vectors[rng.integers(0, 1500, 200)]  # ties
    vectors[rng.integers(0, 1500, 30)] = 0.0
    return np.ascontiguousarray(vectors)


def test_the_screen_bounds_every_cosine_and_finds_exactly_the_nearest_with_ties_to_the_first() -> None:
    vectors = real_vectors()
    screen = TextScreen(vectors)
    everyone = np.ones(len(vectors), dtype=bool)
    some = np.random.default_rng(1).random(len(vectors)) < 0.7
    three = np.arange(len(vectors)) < 3
    for seeker in [*range(0, 1500, 37), int(np.flatnonzero(~vectors.any(axis=1))[0])]:
        screened = screen.screen(seeker)
        exact = cosines(vectors, vectors[seeker])
        assert (np.abs(screened.approximate - exact) <= screened.bound).all()
        assert np.array_equal(screened.exact(np.flatnonzero(some)), exact[some])
        for among, k in ((everyone, 300), (some, 50), (some, 5000), (three, 1), (three, 0)):
            nearest, values = screened.nearest(among, k)
            columns = np.flatnonzero(among)
            wanted = columns[largest(exact[columns][None, :], min(k, len(columns)))[0]]
            assert np.array_equal(nearest, wanted) and np.array_equal(values, exact[wanted])


def test_a_vector_outside_the_rows_is_bounded_and_finds_exactly_the_rows_above_a_cut() -> None:
    """``against`` screens any unit vector (the index check's search vectors are not among its sample): every
    cosine lies within its bound, and the rows whose upper bound passes a cut, compared exactly, are those
    of the full float32 product above it."""
    vectors = real_vectors()
    screen = TextScreen(vectors[:1000]).prepare()
    rng = np.random.default_rng(3)
    for seeker in range(1000, 1500, 23):
        vector = vectors[seeker] + rng.normal(scale=0.02, size=vectors.shape[1]).astype(np.float32)
        vector /= max(float(np.linalg.norm(vector)), 1e-12)
        screened = screen.against(vector)
        exact = cosines(vectors[:1000], vector)
        assert (np.abs(screened.approximate - exact) <= screened.bound).all()
        for cut in (np.sort(exact)[-50], np.sort(exact)[-1], float(np.median(exact)), -2.0):
            maybe = np.flatnonzero(screened.approximate + screened.bound > cut)
            assert np.array_equal(maybe[screened.exact(maybe) > cut], np.flatnonzero(exact > cut))


def test_one_seekers_sources_and_cosines_are_those_of_its_full_row() -> None:
    """A served seeker's nearest texts (the "similar text" source), its 50 neighbours with their cosines and
    its pool's cosines, all from the screen, are those of its full row of exact cosines, ties included."""
    vectors = real_vectors()
    n = len(vectors)
    rng = np.random.default_rng(2)
    orgs = [{"id": f"o{i:04d}", "role": "firm", "country": "AT", "text": f"maker {i}"} for i in range(n)]
    links = [
        {"a": f"o{a:04d}", "b": f"o{b:04d}", "since": "2015-01-01"} for a, b in rng.integers(0, n, (900, 2))
    ]
    project = {"id": "p", "start": "2012-01-01", "part": "H2020-EU.2.1.1", "texts": ["sensors"]}
    data = GraphData.from_rows(orgs, [project], [{"org": "o0000", "project": "p"}], links)
    texts = TextVectors(projects=np.zeros((1, vectors.shape[1]), dtype=np.float32), organizations=vectors)
    history = temporal_split(
        data, np.datetime64("2020-01-01"), roles=None, n_queries=None, seed=1, vectors=texts
    ).history
    embeddings = history.embeddings
    columns = np.flatnonzero(history.active)
    background = ThreadPoolExecutor(2)
    for q in range(0, n, 61):
        rows, one = SeekerRows(history), np.array([q])
        if q % 2:  # as a served request computes them: the nearest texts beside the paths
            rows.prepare(q, background)
        row = cosines(embeddings, embeddings[q])
        assert np.array_equal(rows.candidates(one)[0], largest(row[columns][None, :], TEXT_CANDIDATES)[0])
        assert np.array_equal(rows.text_at(one, columns)[0], row[columns])
        others = row.copy()
        others[q] = -np.inf
        nearest = np.flatnonzero(largest(others[None, :], TEXT_NEIGHBOURS)[0])
        expected = sp.csr_matrix(
            (np.clip(row[nearest], 0, None), (np.zeros(len(nearest), dtype=int), nearest)), shape=(1, n)
        )
        neighbours = rows.neighbours(one)
        assert np.array_equal(neighbours.indices, expected.indices)
        assert np.array_equal(neighbours.toarray(), expected.toarray())
