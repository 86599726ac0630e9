"""The subcommands of the CLI: each module has ``register(subparsers)`` and ``run(args, ui)``."""
