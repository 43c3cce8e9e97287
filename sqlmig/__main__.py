"""`python -m sqlmig`."""

from .cli import main

main()
