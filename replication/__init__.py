"""Master/slave replication (see docs/replication-protocol.md): the slave's state machine and
sync, the master's per-slave sessions, and the full-sync file transfer. It imports the engine,
never the server, which it reaches through the interface in :mod:`.host`."""
