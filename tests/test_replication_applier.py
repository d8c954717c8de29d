"""The slave's applier (Dispatcher.execute_replicated): the master's commands skip the admission
rules that concern clients, and keep the call's bookkeeping."""

from __future__ import annotations

import asyncio

from pypika_store.testing import PikaServer

from .support import wait_until


def _digest(client) -> bytes:
    return client.execute_command("DEBUG", "DIGEST")


def test_the_masters_writes_pass_a_slave_acl_that_denies_them():
    """As Redis' master client, which has no ACL user: a slave whose default user may not
    write still applies what its master streams, plain commands and containers' subcommands."""
    with PikaServer() as master, PikaServer() as slave:
        m, s = master.client(), slave.client()
        s.slaveof("127.0.0.1", master.port)
        wait_until(lambda: s.info("replication")["master_link_status"] == "up", timeout=30, what="the link up")
        s.execute_command("ACL", "SETUSER", "default", "-@write")
        m.set("plain", "1")
        m.execute_command("XGROUP", "CREATE", "stream", "readers", "$", "MKSTREAM")
        m.hset("hash", "field", "value")
        wait_until(lambda: _digest(m) == _digest(s), timeout=30, what="the slave to converge")
        assert s.get("plain") == b"1"
        assert [group["name"] for group in s.xinfo_groups("stream")] == [b"readers"]
        assert s.acl_log() == []
        assert s.info("stats")["unexpected_error_replies"] == 0


def test_a_command_the_slave_lacks_is_an_error_reply_counted():
    """What the applier refuses is answered as any client's refusal (counted, logged), and the
    stream goes on."""
    with PikaServer() as slave:
        slave_server = slave.server

        async def apply(argv: list[bytes]) -> bytes:
            return slave_server.apply_replicated(0, argv)

        reply = asyncio.run_coroutine_threadsafe(apply([b"NOSUCHCOMMAND", b"x"]), slave_server.loop).result(10)
        assert reply.startswith(b"-ERR unknown command 'NOSUCHCOMMAND'")
        assert slave.client().info("stats")["unexpected_error_replies"] == 1
