"""CLUSTER, READONLY, READWRITE, ASKING as a redis-server started without ``cluster-enabled``
answers them: pypika-store is never a Redis Cluster node (sharding is issue #17's, behind a
proxy), so every cluster command gets Redis' "cluster support disabled" error, after the
usual arity and unknown-subcommand checks, and client libraries that probe CLUSTER INFO fall
back to standalone mode as they do with Redis."""

from __future__ import annotations

from pypika_store.errors import ClusterDisabledError

from ..connection import Client
from ..registry import command, container

#: CLUSTER's subcommands with Redis 7.0's arity and flags.
_SUBCOMMANDS = {
    "addslots": (-3, "admin stale no_async_loading"), "addslotsrange": (-4, "admin stale no_async_loading"),
    "bumpepoch": (2, "admin stale no_async_loading"), "count-failure-reports": (3, "admin stale"),
    "countkeysinslot": (3, "stale"), "delslots": (-3, "admin stale no_async_loading"),
    "delslotsrange": (-4, "admin stale no_async_loading"), "failover": (-2, "admin stale no_async_loading"),
    "flushslots": (2, "admin stale no_async_loading"), "forget": (3, "admin stale no_async_loading"),
    "getkeysinslot": (4, "stale"), "help": (2, "loading stale"), "info": (2, "stale"), "keyslot": (3, "stale"),
    "links": (2, "stale"), "meet": (-4, "admin stale no_async_loading"), "myid": (2, "stale"), "nodes": (2, "stale"),
    "replicas": (3, "admin stale"), "replicate": (3, "admin stale no_async_loading"),
    "reset": (-2, "admin noscript stale"), "saveconfig": (2, "admin stale no_async_loading"),
    "set-config-epoch": (3, "admin stale no_async_loading"), "setslot": (-4, "admin stale no_async_loading"),
    "shards": (2, "stale"), "slaves": (3, "admin stale"), "slots": (2, "stale"),
}
#: The usage lines of the subcommands that take arguments (COMMAND DOCS).
_SUBCOMMAND_SYNTAX = {
    "addslots": "slot:integer [slot ...]",
    "addslotsrange": "start-slot_end-slot:<start-slot:integer end-slot:integer> [start-slot_end-slot ...]",
    "count-failure-reports": "node-id", "countkeysinslot": "slot:integer",
    "delslots": "slot:integer [slot ...]",
    "delslotsrange": "start-slot_end-slot:<start-slot:integer end-slot:integer> [start-slot_end-slot ...]",
    "failover": "options:[FORCE | TAKEOVER]", "forget": "node-id", "getkeysinslot": "slot:integer count:integer",
    "keyslot": "key:string", "meet": "ip port:integer [cluster_bus_port:integer]", "replicas": "node-id",
    "replicate": "node-id", "reset": "hard_soft:[HARD | SOFT]", "set-config-epoch": "config-epoch:integer",
    "setslot": "slot:integer subcommand:<IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE>",
    "slaves": "node-id",
}


def cluster_disabled(client: Client, argv: list[bytes]) -> object:
    """Answer as a node without cluster support."""
    raise ClusterDisabledError()


container("cluster", arity=-2, group="cluster", summary="A container for Redis Cluster commands.")
for _name, (_arity, _flags) in _SUBCOMMANDS.items():
    command(f"cluster|{_name}", arity=_arity, flags=_flags, group="cluster", syntax=_SUBCOMMAND_SYNTAX.get(_name, ""),
            summary="Redis Cluster command: no cluster support here (as cluster-enabled no).")(cluster_disabled)

for _name, _flags in (("readonly", "loading stale fast"), ("readwrite", "loading stale fast"), ("asking", "fast")):
    command(_name, arity=1, flags=_flags, group="cluster", acl="connection",
            summary="Redis Cluster connection mode: this server has no cluster support.")(cluster_disabled)
