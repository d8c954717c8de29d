"""Embedding pypika-store: start a real server on a free port from Python.

    from pypika_store.testing import PikaServer

    with PikaServer() as server:            # a background thread, a temporary data folder
        r = server.client()                 # a redis.Redis connected to it
        r.set("k", "v")

    with PikaServer(mode="process") as server:   # a separate `pypika-server` process
        ...

    with PikaServer(tls=True) as server:         # TLS too, with throw-away certificates
        server.tls_client().ping()

    with PikaGroup(slaves=2) as group:           # a master and two slaves following it
        group.master.client().set("k", "v")
        group.wait_synced()

Every server they start allows CHAOS, the faults on demand (docs/fault-injection.md):
``server.clock``, ``server.fault(...)``, ``slave.link``, ``server.stall()``,
``group.partition(...)``, ``group.heal()``.

The pytest fixtures built on this live in :mod:`pypika_store.testing.plugin`.
"""

from .certificates import Certificates
from .chaos import Healing
from .embedded import PikaServer, free_port
from .group import PikaGroup
from .sentinel import SentinelGroup

__all__ = ["Certificates", "Healing", "PikaGroup", "PikaServer", "SentinelGroup", "free_port"]
