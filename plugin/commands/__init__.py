"""`nice-tx` subcommands, one module each; `plugin.cli` registers them."""
