"""The learned ranking's features by name, and the readable reason each one counts toward.

Apart from the code that computes them (``matching.features``), so that what reads a model (the ranker's
saved feature list, the reasons) does not depend on how a feature is computed.
"""

from __future__ import annotations

import numpy as np

from schema.graph_model import Role

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
REASONS = ("ties", "work", "proximity", "role", "activity", "base")
REASON_INDEX = np.array([REASONS.index(REASON_OF_FEATURE[name]) for name in FEATURE_NAMES])
"""Each feature's reason as a position in ``REASONS``: the ranker's TreeSHAP sums contributions by it."""
CATEGORICAL = np.array([name in ("candidate_role", "seeker_role") for name in FEATURE_NAMES])
