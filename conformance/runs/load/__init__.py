"""Load and soak conformance on Locust (GW-LOAD-01, GW-LOAD-02, GW-PROXY-05, GW-RESULT-05).

`locustfile.py` is the entry Locust loads (`locust -f`); the user class lives
in `user.py`, what each load process records in `tally.py`, the Locust event
wiring (worker -> master tallies, the end-of-run judgement) in `hooks.py`,
the mock container's journal and webhook sink in `journal.py`, finishing
in-flight work in `settle.py`, the verdicts in `verdicts.py`, and the
`conformance load` command in `command.py`.
"""
