"""Cluster insights: the network analysis a cluster manager needs (composition, density, components,
centralities, communities, isolates and periphery, brokers with their Gould–Fernandez roles, openness,
capability gaps with outside suppliers, a computed stage and the trend), optionally as of a past date.

The surface other packages use: :func:`cluster_insights` (one cluster, :class:`ClusterInsights`) and
:func:`region_insights` (every cluster of a region, :class:`RegionInsights`), or a region a page at a
time: :func:`region_clusters`, :func:`page_of`, :func:`analyse_clusters` (:func:`page_after` pages any list
by id as ``page_of`` pages the clusters). Definitions of every figure are in
``docs/insights.md``.
"""

from matching.insights.cluster import cluster_insights
from matching.insights.region import (
    RegionInsights,
    analyse_clusters,
    page_after,
    page_of,
    region_clusters,
    region_insights,
)
from matching.insights.result import ClusterInsights

__all__ = [
    "ClusterInsights",
    "RegionInsights",
    "analyse_clusters",
    "cluster_insights",
    "page_after",
    "page_of",
    "region_clusters",
    "region_insights",
]
