"""Property-based checks: hypothesis models of what any gateway must do.

- `strategies`: `Prefer` header values built from the RFC 7240 grammar, each
  with the mode `conformance.contract.prefer` says it selects and the requirement IDs
  it exercises;
- `requests`: inference requests (methods, encoded paths, queries, bodies);
- `behaviours`: what the mock container is asked to answer (query fields);
- `search`: runs a property with hypothesis on a worker thread and turns its
  shrunk counterexamples into per-ID failures;
- `machine`: the stateful model (submit, poll, read, unknown ids).

The checks that use them live in `conformance/checks/properties.py`.
"""
