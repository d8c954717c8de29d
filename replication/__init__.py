"""Master/slave replication (see docs/replication-protocol.md): the slave's state machine and
sync, the master's per-slave sessions, and the full-sync file transfer."""
