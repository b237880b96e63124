"""Container mode: the CT-* requirements judged directly against a running container.

`conformance container` (conformance/cli/container.py) is the command;
`run_container_suite` (run.py) the same from Python. The checks themselves
live with the others in conformance/checks/container_side.py.
"""
