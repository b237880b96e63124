"""`python -m mock_container` is the `mock-container` command."""

from .cli import main

if __name__ == "__main__":
    main()
