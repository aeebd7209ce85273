"""Features of (seeker, candidate) pairs for the learned ranking, computed for blocks of seekers at once.

Every feature is read from a :class:`History`, so a model fitted on an earlier history (labels: the links
that appeared after it) can score a later one without seeing its future. The groups:

- *graph*: common partners, Adamic-Adar, resource allocation, 3-hop path counts (a truncated Katz index),
  shared projects of any size (big consortia are no link, but they are acquaintance); the same paths through
  recent links (Adamic-Adar over links decayed by age, common partners over the last two years' links: who
  works together now brings partners now); and a personalized PageRank from the seeker (every path length,
  hubs damped);
- *text*: TF-IDF and embedding cosine of the two organizations' project texts, the seeker's partners' mean
  embedding against the candidate (who the seeker works with tells what it looks for), and "organizations
  with a text like mine worked with the candidate";
- *context*: shared programme parts, same country, both roles;
- *activity*: each side's partner count, project count, projects and new partners in the last two years and
  the last year, age, as percentiles among the active organizations (counts grow with time, ranks do not),
  and years since its last project (who is active now gains partners now).

Path-count features are divided by the seeker's largest one for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from matching.history import History
from schema.graph_model import Role

RECENT_DAYS = 730
DECAY_DAYS = 730.0
"""Links weigh exp(-age / DECAY_DAYS) in the decayed Adamic-Adar."""
PAGERANK_RESTART = 0.3
PAGERANK_STEPS = 6
POPULAR_CANDIDATES = 3000
TEXT_CANDIDATES = 300
TEXT_NEIGHBOURS = 50
ROLE_CODES = {role.value: code for code, role in enumerate(Role)}

PAIR_FEATURES = (
    "common_partners",
    "adamic_adar",
    "resource_allocation",
    "paths_3",
    "shared_projects",
    "tfidf",
    "embedding",
    "partners_embedding",
    "similar_orgs_worked_with",
    "programme_parts",
    "same_country",
    "country_affinity",
    "jaccard",
    "candidate_partners_of_seeker_role",
    "decayed_adamic_adar",
    "recent_common_partners",
    "recent_partners_paths",
    "personalized_pagerank",
)
SIDE_FEATURES = (
    "partners",
    "projects",
    "recent_projects",
    "recent_partners",
    "last_year_partners",
    "age",
    "years_since_last",
    "role",
)
FEATURE_NAMES = (
    PAIR_FEATURES
    + tuple(f"candidate_{name}" for name in SIDE_FEATURES)
    + tuple(f"seeker_{name}" for name in SIDE_FEATURES)
)
REASON_OF_FEATURE = {
    **dict.fromkeys(
        (
            "common_partners",
            "adamic_adar",
            "resource_allocation",
            "paths_3",
            "shared_projects",
            "jaccard",
            "decayed_adamic_adar",
            "recent_common_partners",
            "recent_partners_paths",
            "personalized_pagerank",
        ),
        "ties",
    ),
    **dict.fromkeys(
        ("tfidf", "embedding", "partners_embedding", "similar_orgs_worked_with", "programme_parts"), "work"
    ),
    **dict.fromkeys(("same_country", "country_affinity"), "proximity"),
    **dict.fromkeys(("candidate_partners_of_seeker_role", "candidate_role", "seeker_role"), "role"),
    **{f"candidate_{name}": "activity" for name in SIDE_FEATURES if name != "role"},
    **{f"seeker_{name}": "base" for name in SIDE_FEATURES if name != "role"},
}
"""The readable reason each feature's contribution counts toward: ties you share, similar work, proximity,
role, the candidate's activity; the seeker's own activity only moves every candidate alike (the base)."""
CATEGORICAL = np.array([name in ("candidate_role", "seeker_role") for name in FEATURE_NAMES])


@dataclass
class PairFeatures:
    """Pair features over one history; candidates are the history's active organizations (``columns``)."""

    history: History

    @cached_property
    def columns(self) -> np.ndarray:
        return np.flatnonzero(self.history.active)

    @cached_property
    def position(self) -> np.ndarray:
        """Each organization's column among the candidates, -1 for those not active before the day."""
        position = np.full(self.history.data.n_orgs, -1)
        position[self.columns] = np.arange(len(self.columns))
        return position

    @cached_property
    def _graph(self) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        h = self.history
        adjacency = h.adjacency
        inverse = np.zeros_like(h.degree)
        inverse[h.degree > 0] = 1.0 / h.degree[h.degree > 0]
        to_columns = adjacency[:, self.columns]
        return (
            to_columns.tocsr(),
            h.adamic_adar[:, self.columns].tocsr(),
            (sp.diags(inverse) @ to_columns).tocsr(),
        )

    @cached_property
    def _recent_graph(self) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Links weighted exp(-age / DECAY_DAYS), the same times 1 / log(degree) of the middle organization
        (the decayed Adamic-Adar's right-hand factor), and the 0/1 links of the last RECENT_DAYS."""
        h = self.history
        links = h.links
        age = h.age_days
        decayed = links.weighted_adjacency(np.exp(-age / DECAY_DAYS))
        recent = links.weighted_adjacency((age < RECENT_DAYS).astype(np.float64))
        recent.eliminate_zeros()
        degree = h.degree
        inverse_log = np.zeros_like(degree)
        inverse_log[degree > 1] = 1.0 / np.log(degree[degree > 1])
        return decayed, (sp.diags(inverse_log) @ decayed).tocsr(), recent

    @cached_property
    def _walk(self) -> sp.csr_matrix:
        """The transposed random-walk matrix (D^-1 A)^T, for walks from blocks of seekers."""
        h = self.history
        inverse = np.zeros_like(h.degree)
        inverse[h.degree > 0] = 1.0 / h.degree[h.degree > 0]
        return (sp.diags(inverse) @ h.adjacency).T.tocsr()

    def _pagerank(self, queries: np.ndarray) -> np.ndarray:
        """Personalized PageRank from each seeker by PAGERANK_STEPS power iterations (queries x orgs)."""
        restart = np.zeros((len(queries), self.history.data.n_orgs))
        restart[np.arange(len(queries)), queries] = 1.0
        rank = restart
        for _ in range(PAGERANK_STEPS):
            rank = PAGERANK_RESTART * restart + (1 - PAGERANK_RESTART) * (self._walk @ rank.T).T
        return rank

    @cached_property
    def _programme_parts(self) -> sp.csr_matrix:
        d = self.history.data
        parts, codes = np.unique(d.project_part, return_inverse=True)
        by_project = sp.csr_matrix(
            (np.ones(d.n_projects), (np.arange(d.n_projects), codes)), shape=(d.n_projects, len(parts))
        )
        shares = (self.history.participation @ by_project).tocsr()
        # A registry without projects (a generated region) has no programme parts to normalize.
        return normalize(shares).tocsr() if shares.shape[1] else shares

    @cached_property
    def _partners_embedding(self) -> np.ndarray:
        h = self.history
        return normalize(np.asarray(h.adjacency @ h.embeddings, dtype=np.float32))

    @cached_property
    def _roles(self) -> np.ndarray:
        return np.array([ROLE_CODES.get(r, len(ROLE_CODES)) for r in self.history.data.org_role])

    @cached_property
    def _partners_by_role(self) -> np.ndarray:
        """Per organization, log(1 + its partners of each role): does it take partners like the seeker?"""
        roles = self._roles
        one_hot = sp.csr_matrix(
            (np.ones(len(roles)), (np.arange(len(roles)), roles)), shape=(len(roles), len(ROLE_CODES) + 1)
        )
        return np.log1p((self.history.adjacency @ one_hot).toarray()).astype(np.float32)

    @cached_property
    def _countries(self) -> tuple[np.ndarray, np.ndarray]:
        """Country code per organization and the lift of links between each two countries (log(1 + lift)):
        firms link across some borders far more often than across others."""
        names, codes = np.unique(self.history.data.org_country, return_inverse=True)
        links = self.history.links
        k = len(names)
        counts = np.zeros((k, k))
        np.add.at(counts, (codes[links.a], codes[links.b]), 1.0)
        counts = counts + counts.T
        margins = counts.sum(axis=1)
        expected = np.outer(margins, margins) / max(counts.sum(), 1.0)
        lift = np.log1p(counts / np.maximum(expected, 1e-9))
        return codes, lift.astype(np.float32)

    @cached_property
    def side(self) -> np.ndarray:
        """Per-organization activity features (organizations x SIDE_FEATURES)."""
        h = self.history
        d = h.data
        start = d.project_start[d.part_project]
        before = h.seen & ~np.isnat(start)
        recent_start = h.day - np.timedelta64(RECENT_DAYS, "D")
        n = d.n_orgs
        projects = np.bincount(d.part_org[before], minlength=n)
        recent = np.bincount(d.part_org[before & (start >= recent_start)], minlength=n)
        links = h.links
        new = links.since >= recent_start
        recent_partners = np.bincount(links.a[new], minlength=n) + np.bincount(links.b[new], minlength=n)
        newest = links.since >= h.day - np.timedelta64(365, "D")
        last_year = np.bincount(links.a[newest], minlength=n) + np.bincount(links.b[newest], minlength=n)
        days = np.where(before, (h.day - start).astype("timedelta64[D]").astype(np.float64), np.nan)
        first = np.full(n, np.nan)
        last = np.full(n, np.nan)
        order = np.argsort(days[before])
        org_sorted = d.part_org[before][order]
        days_sorted = days[before][order]
        last[org_sorted[::-1]] = days_sorted[::-1]  # smallest age wins: written last
        first[org_sorted] = days_sorted  # largest age wins: written last
        roles = self._roles.astype(np.float64)
        active = h.active
        counts = [_percentile(v, active) for v in (h.degree, projects, recent, recent_partners, last_year)]
        return np.column_stack([*counts, _percentile(first, active), last / 365.25, roles]).astype(np.float32)

    def pairs(self, queries: np.ndarray) -> np.ndarray:
        """Features of every (query, candidate) pair: shape (queries, candidates, features), float32."""
        h = self.history
        cols = self.columns
        adjacency, adamic_adar, resource = self._graph
        seeker_rows = h.adjacency[queries]
        two_hop = seeker_rows @ h.adjacency
        embeddings = h.embeddings
        seeker_text = embeddings[queries]
        text_sims = seeker_text @ embeddings.T
        text_sims[np.arange(len(queries)), queries] = -np.inf
        neighbours = min(TEXT_NEIGHBOURS, h.data.n_orgs - 1)
        nearest = np.argpartition(-text_sims, neighbours, axis=1)[:, :neighbours]
        weights = np.clip(np.take_along_axis(text_sims, nearest, axis=1), 0, None)
        similar = sp.csr_matrix(
            (weights.ravel(), (np.repeat(np.arange(len(queries)), neighbours), nearest.ravel())),
            shape=(len(queries), h.data.n_orgs),
        )
        participation = h.participation
        countries = h.data.org_country
        country_codes, lift = self._countries
        common = (seeker_rows @ adjacency).toarray()
        degree = h.degree
        union = degree[queries][:, None] + degree[cols][None, :] - common
        decayed, decayed_aa, recent = self._recent_graph
        pair = [
            common,
            _row_scaled((seeker_rows @ adamic_adar).toarray()),
            _row_scaled((seeker_rows @ resource).toarray()),
            _row_scaled((two_hop @ adjacency).toarray()),
            (participation[queries] @ participation[cols].T).toarray(),
            (h.tfidf[queries] @ h.tfidf[cols].T).toarray(),
            seeker_text @ embeddings[cols].T,
            self._partners_embedding[queries] @ embeddings[cols].T,
            _row_scaled((similar @ adjacency).toarray()),
            (self._programme_parts[queries] @ self._programme_parts[cols].T).toarray(),
            (countries[queries][:, None] == countries[cols][None, :]) & (countries[queries][:, None] != ""),
            lift[country_codes[queries]][:, country_codes[cols]],
            common / np.maximum(union, 1.0),
            self._partners_by_role[cols][:, self._roles[queries]].T,
            _row_scaled((decayed[queries] @ decayed_aa[:, cols]).toarray()),
            (recent[queries] @ recent[:, cols]).toarray(),
            _row_scaled((recent[queries] @ h.adjacency[:, cols]).toarray()),
            _row_scaled(self._pagerank(queries)[:, cols]),
        ]
        shape = (len(queries), len(cols))
        side = self.side
        blocks = [np.asarray(p, dtype=np.float32)[:, :, None] for p in pair]
        blocks.append(np.broadcast_to(side[cols][None, :, :], (*shape, side.shape[1])))
        blocks.append(np.broadcast_to(side[queries][:, None, :], (*shape, side.shape[1])))
        return np.concatenate(blocks, axis=2)

    @cached_property
    def _popular(self) -> np.ndarray:
        """Candidates (column positions) among the most connected: new partners are often the busy ones."""
        degree = self.history.degree[self.columns]
        top = min(POPULAR_CANDIDATES, len(degree))
        mask = np.zeros(len(degree), dtype=bool)
        mask[np.argsort(-degree, kind="stable")[:top]] = True
        return mask

    def sources(self, queries: np.ndarray) -> dict[str, np.ndarray]:
        """Where candidates come from, each a (queries x candidates) mask: partners of partners, each
        seeker's nearest texts, and the most connected organizations (new partners are often the busy ones).
        """
        h = self.history
        common = (h.adjacency[queries] @ h.adjacency[:, self.columns]).toarray() > 0
        text = h.embeddings[queries] @ h.embeddings[self.columns].T
        top = min(TEXT_CANDIDATES, text.shape[1])
        nearest = np.zeros(text.shape, dtype=bool)
        np.put_along_axis(nearest, np.argpartition(-text, top - 1, axis=1)[:, :top], True, axis=1)
        return {
            "partner_of_partner": common,
            "similar_text": nearest,
            "most_active": np.broadcast_to(self._popular[None, :], text.shape),
        }

    def pool(self, queries: np.ndarray) -> np.ndarray:
        """Which pairs the model scores at all: those of any source. The rest (far in the graph, unknown,
        unrelated) are never suggested, which keeps scoring cheap; training uses the same pool so the model
        learns the choice it faces."""
        return np.logical_or.reduce(list(self.sources(queries).values()))


def _percentile(values: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Each organization's rank among the active ones, in [0, 1]. Counts that only grow with time (partners,
    projects, age) are compared within one history, so a model fitted two years earlier still reads them
    right on a denser graph."""
    reference = np.sort(np.nan_to_num(values[active], nan=-1.0))
    if not len(reference):
        return np.zeros(len(values))
    return np.searchsorted(reference, np.nan_to_num(values, nan=-1.0), side="right") / len(reference)


def _row_scaled(scores: np.ndarray) -> np.ndarray:
    """Scores divided by each seeker's best one: path counts grow with the graph, their order does not."""
    top = scores.max(axis=1, keepdims=True)
    return scores / np.where(top > 0, top, 1.0)
