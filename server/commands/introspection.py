"""COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS), answered from the command table."""
