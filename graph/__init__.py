"""The one door to Neo4j: the driver wrapper, every Cypher query, migrations and the managed local server."""
