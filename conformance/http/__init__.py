"""HTTP as the suite speaks it: one recording point below every send path, raw requests, capped bodies, redaction."""
