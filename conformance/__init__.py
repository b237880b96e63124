"""Conformance suite, reference gateway and container checks for async inference gateways."""
