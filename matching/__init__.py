"""Partner matching: embeddings of what organizations offer and seek, explained suggestions, feedback."""
