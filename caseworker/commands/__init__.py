"""Sub-commands of programmes, one module each, each with `register(subparsers)`."""

# Modules listed here add their sub-commands to `caseworker --help`.
MODULES: list[str] = [
    "caseworker.commands.elderly_print",
    "caseworker.commands.sync",
    "caseworker.commands.tabular",
    "caseworker.commands.retrofit_print",
    "caseworker.commands.children",
    "caseworker.commands.scan",
]
