"""Hypothesis strategies for the property checks, each value knowing by construction what it must do.

- `prefer`: `Prefer` header values built from the RFC 7240 grammar, each
  with the mode it selects and the requirement IDs it exercises, MUST-level
  values apart from the grammar's edges (GW-PREF-09);
- `requests`: inference requests (methods, encoded paths, queries, bodies),
  MUST-level paths apart from GW-SYNC-05's edges;
- `answers`: what the mock container is asked to answer (behaviour fields).

Nothing here calls the code a verdict rests on (the Prefer parser, the
reference gateway). The checks that use these live beside the hand-written
checks of their section (`conformance/checks/*_properties.py`).
"""
