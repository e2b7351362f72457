"""`python -m docaudit` runs the CLI."""

from .cli import main

main()
