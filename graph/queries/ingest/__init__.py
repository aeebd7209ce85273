"""The queries of ingest, one module per thing they do: ``writes`` (one batched write per kind of record),
``known`` (the look-ups that entity resolution and change detection start from), ``runs`` (the provenance
of each run) and ``derived_links`` (the collaborations derived from joint projects after a load).
"""
