"""PIKAREPL: the replication protocol's requests, sent by slaves on the client port (see
docs/replication-protocol.md). The subcommands live with the replication code they serve."""

from __future__ import annotations

from ..registry import container

container("pikarepl", arity=-2, flags="admin noscript", group="server")
