"""`python -m plugin` runs the `nice-tx` command line."""

from plugin.cli import main

main()
