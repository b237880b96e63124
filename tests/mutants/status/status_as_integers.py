"""Mutant (of a SHOULD): Status as the integers 0-3 for every request.

The same gateway as legal_integer_status, which runs the full suite to
show it is legal at the MUST level; here it proves, within its family, that
the GW-STATUS-07 check fails a gateway the provider's current client (which
parses only the names) cannot read.

Breaks GW-STATUS-07 (SHOULD: names, not integers).
Realistic: the provider's own tutorial shows `"Status": 2`.
"""

from __future__ import annotations

from tests.mutants.legal.integer_status import Gateway

BREAKS = "GW-STATUS-07"
AIMED_AT = "status_lifecycle"

__all__ = ["BREAKS", "Gateway"]
