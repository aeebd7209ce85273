"""Measuring partner suggestions: the temporal benchmark on dated registries, its metrics and baselines."""
