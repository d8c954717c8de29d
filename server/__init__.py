"""The network server: RESP parsing and encoding, the command table, connections, INFO, CLI."""
