"""The contracts of clusterkg: settings, errors, domain models, Cypher migrations, file formats."""
