"""`conformance`: the command line of the kit, one module per command (main.py holds the group)."""

from conformance.cli.main import main

__all__ = ["main"]
