"""pypika-store: a pure-Python, Pika-compatible storage engine and Redis-protocol server.

This package is the engine: LMDB keyspace, value types, expiry, configuration. It knows nothing
of sockets or RESP; the network server lives in :mod:`pypika_store.server`.
"""

__version__ = "0.1.0"
#: The Pika release whose behaviour and INFO fields we reproduce.
PIKA_VERSION = "4.0.0"
#: The Redis release whose replies and errors we match (Debian 12's redis-server).
REDIS_VERSION = "7.0.15"
