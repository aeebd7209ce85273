"""Every Cypher query of clusterkg, as named :class:`~graph.query.Query` constants, one module per area."""
