"""CLIENT UNBLOCK of a client blocked in WAIT, as Redis 7.0: the client is answered at once
with the number of slaves that acknowledged its offset so far (or, with ERROR, UNBLOCKED)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pypika_store.testing import PikaGroup

from .support import RawConnection, wait_until

if TYPE_CHECKING:
    from typing import Callable


def _flags_of(admin: RawConnection, client_id: int) -> str:
    line = admin.call("CLIENT", "LIST", "ID", str(client_id)).decode()
    return dict(field.split("=", 1) for field in line.split())["flags"]


def _unblock_wait(port: int, wait_args: tuple[str, ...], reason: tuple[str, ...],
                  before_unblock: Callable[[], object] = lambda: None) -> tuple[object, object, object]:
    """Block a client in WAIT on the server at ``port``, unblock it (once ``before_unblock``
    returned); (UNBLOCK's reply, the WAIT client's reply, a second UNBLOCK's reply)."""
    admin, waiting = RawConnection(port), RawConnection(port)
    try:
        waiting_id = waiting.call("CLIENT", "ID")
        waiting.call("SET", "k", "v")  # an offset the slaves (if any) must reach
        waiting.send_raw(b"WAIT " + " ".join(wait_args).encode() + b"\r\n")
        wait_until(lambda: _flags_of(admin, waiting_id) == "b", what="the client to block in WAIT")
        before_unblock()
        unblocked = admin.call("CLIENT", "UNBLOCK", str(waiting_id), *reason)
        answer = waiting.read_reply()
        again = admin.call("CLIENT", "UNBLOCK", str(waiting_id), *reason)
        waiting.call("DEL", "k")
        return unblocked, answer, again
    finally:
        admin.close()
        waiting.close()


@pytest.mark.parametrize("reason", [(), ("TIMEOUT",), ("ERROR",), ("error",)])
def test_unblocking_wait_answers_as_redis(real_redis, pika_server, reason):
    expected = _unblock_wait(real_redis.port, ("1", "0"), reason)
    assert _unblock_wait(pika_server.port, ("1", "0"), reason) == expected
    assert expected[1] == (0 if reason in ((), ("TIMEOUT",)) else expected[1])


def test_unblocking_wait_counts_the_slaves_that_acknowledged():
    with PikaGroup(slaves=1) as group:
        group.wait_synced()
        master = group.master.client()

        def slave_acknowledged() -> None:
            def acked() -> bool:
                info = master.info("replication")
                return info["slave0"]["offset"] == info["master_repl_offset"]
            wait_until(acked, what="the slave to acknowledge the write")

        unblocked, answer, again = _unblock_wait(group.master.port, ("2", "0"), (), slave_acknowledged)
        master.close()
        assert (unblocked, answer, again) == (1, 1, 0)


def test_a_wait_that_timed_out_is_not_unblocked_again(pika_server):
    admin, waiting = RawConnection(pika_server.port), RawConnection(pika_server.port)
    waiting_id = waiting.call("CLIENT", "ID")
    assert waiting.call("WAIT", "1", "10") == 0
    assert admin.call("CLIENT", "UNBLOCK", str(waiting_id)) == 0
    admin.close()
    waiting.close()
