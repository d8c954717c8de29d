"""SLAVEOF NO ONE while an item from the master is being delivered: the slave must apply
nothing after it stopped. Under Python 3.11, ``asyncio.wait_for`` returns the result of a read
that completed in the same loop iteration as the task's cancellation instead of raising it
(the cancellation is lost), so the apply loop must check that it still runs. Deterministic: the
item is fed and the slave stopped in one loop iteration, as when the master's data and a
client's SLAVEOF NO ONE arrive in the same poll."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from pypika_store.config import Config
from pypika_store.replication.frames import PING
from pypika_store.replication.host import ReplicationStats
from pypika_store.replication.link import MasterLink
from pypika_store.replication.slave import SlaveReplication


class _Writer:
    """The link's writer: what the slave sends (acks) is dropped."""

    def __init__(self) -> None:
        self.closed = False

    def write(self, data: bytes) -> None:
        pass

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def _host() -> SimpleNamespace:
    """The least of a ReplicationHost the apply loop uses."""
    return SimpleNamespace(config=Config(), engine=SimpleNamespace(keyspaces=[], binlogs=[]),
                           replication_stats=ReplicationStats(), replication_paused=lambda: None,
                           end_turn=lambda: None)


async def _deliver_while_stopping() -> tuple[list, bool, bool]:
    """Run the apply loop on a link, let it wait for the master, then in one loop iteration
    deliver a message and stop the slave; what it applied, whether the loop was cancelled,
    and whether the link was closed."""
    replica = SlaveReplication(_host(), "127.0.0.1", 1)  # type: ignore[arg-type]
    applied: list = []
    replica._apply = lambda messages: applied.extend(messages) or set()  # type: ignore[method-assign]
    reader, writer = asyncio.StreamReader(), _Writer()
    link = MasterLink(reader, writer)  # type: ignore[arg-type]
    replica._link = link
    replica._task = task = asyncio.get_running_loop().create_task(replica._follow(link))
    for _ in range(100):  # one loop step at a time, until the loop waits for the master's data
        if reader._waiter is not None:
            break
        await asyncio.sleep(0)
    assert reader._waiter is not None
    reader.feed_data(PING)  # the master's message arrives...
    replica.stop()          # ...and SLAVEOF NO ONE runs, in the same iteration
    for _ in range(100):
        if task.done():
            break
        await asyncio.sleep(0)
    cancelled = task.done() and task.cancelled()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return applied, cancelled, writer.closed


def test_an_item_delivered_as_the_slave_stops_is_not_applied():
    applied, cancelled, link_closed = asyncio.run(_deliver_while_stopping())
    assert applied == []
    assert cancelled
    assert link_closed
