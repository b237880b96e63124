"""A gateway run: its target (given, reference, or --gateway-cmd), the pre-flight, `run_suite`."""
