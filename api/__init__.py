"""The surfaces of clusterkg: the GraphQL API and the command line."""
