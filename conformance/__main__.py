"""`python -m conformance`: the same as the `conformance` command."""

from conformance.cli import main

if __name__ == "__main__":
    main(prog_name="conformance")
