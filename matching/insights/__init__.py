"""Cluster insights: the network analysis a cluster manager needs (composition, density, components,
centralities, communities, isolates and periphery, brokers with their Gould–Fernandez roles, openness,
capability gaps with outside suppliers, a computed stage and the trend), optionally as of a past date.

The surface other packages use: :func:`cluster_insights` (one cluster, :class:`ClusterInsights`) and
:func:`region_insights` (every cluster of a region, :class:`RegionInsights`). Definitions of every figure
are in ``docs/insights.md``.
"""

from matching.insights.cluster import cluster_insights
from matching.insights.region import RegionInsights, region_insights
from matching.insights.result import ClusterInsights

__all__ = ["ClusterInsights", "RegionInsights", "cluster_insights", "region_insights"]
