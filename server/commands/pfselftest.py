"""PFSELFTEST: Redis' self-test of the HyperLogLog implementation, run on ours
(:func:`pypika_store.hyperloglog.self_test`)."""

from __future__ import annotations

from pypika_store import hyperloglog

from ..connection import Client
from ..registry import command
from ..resp.replies import OK


@command("pfselftest", arity=1, flags="admin", group="hyperloglog")
def pfselftest(client: Client, argv: list[bytes]) -> object:
    """An internal command for testing HyperLogLog values"""
    hyperloglog.self_test(client.server.config.get_int("hll-sparse-max-bytes"))
    return OK
