"""Persistence commands: BGSAVE, SAVE, LASTSAVE."""

from __future__ import annotations

from pypika_store.errors import BackgroundSaveInProgressError, InvalidArgumentError

from ..connection import Client
from ..registry import command
from ..resp.replies import OK, Status


@command("bgsave", arity=-1, flags="admin noscript no_async_loading", group="server", syntax="[SCHEDULE]")
def bgsave(client: Client, argv: list[bytes]) -> object:
    """Save a snapshot, paired with its binlog offsets, in the background (requests coalesce)."""
    client.server.bgsave.start()
    return Status("Background saving started")


@command("save", arity=1, flags="admin noscript no_async_loading no_multi", group="server")
def save(client: Client, argv: list[bytes]) -> object:
    """Save a snapshot now, blocking the server while it is copied."""
    if client.server.bgsave.in_progress:
        raise BackgroundSaveInProgressError()
    client.server.bgsave.save()
    return OK


@command("lastsave", arity=1, flags="loading stale fast", group="server", acl="admin dangerous")
def lastsave(client: Client, argv: list[bytes]) -> object:
    """The unix time of the last successful save."""
    return client.server.bgsave.last_save_time


@command("purgelogsto", arity=-2, flags="admin", group="server", syntax="write2file-name [db]")
def purgelogsto(client: Client, argv: list[bytes]) -> object:
    """Pika: delete binlog files up to ``write2file<N>`` (of DB ``db<K>``, default db0), as far
    as the purge rules and the holders allow."""
    name = argv[1].decode("utf-8", "replace")
    number = name[len("write2file"):]
    db = argv[2].decode("utf-8", "replace") if len(argv) > 2 else "db0"
    binlogs = client.server.engine.binlogs
    if (len(argv) > 3 or not name.startswith("write2file") or not number.isdigit() or not db.startswith("db")
            or not db[2:].isdigit() or int(db[2:]) >= len(binlogs)):
        raise InvalidArgumentError()
    client.server.purge_binlogs(int(db[2:]), target=int(number))
    return OK
