"""Mapping files of the public registries the project loads as they are (no Python per source)."""

from pathlib import Path

CORDIS_MAPPINGS = Path(__file__).parent / "cordis"
"""The mapping files of the EU's Horizon 2020 registry: one ``NAME.mapping.yaml`` per file ``NAME.csv.gz``."""
