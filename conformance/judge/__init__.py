"""How a verdict is given: the vocabulary checks judge with, and the result model reports read.

`verdicts` (Failure, Blocked, the per-ID ledger), `model` (the result
document and its records), `document` (check records -> one verdict per
requirement, counts, exit code), `selection` (which IDs a run judges),
`config` / `container_config` (what a run is pointed at, the contract's timing
parameters), `unchanged` (the one rule for "the container got the request
unchanged").
"""
