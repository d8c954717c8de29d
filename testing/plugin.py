"""The pytest plugin (entry point ``pytest11``): fixtures ``pika_proc``, ``pika_noproc``,
``pika_db`` and ``pika_group`` (a master and two slaves).

    def test_counter(pika_db):
        pika_db.incr("hits")
        assert pika_db.get("hits") == b"1"

    def test_reads_from_a_slave(pika_group):
        pika_group.master.client().set("k", "v")
        pika_group.wait_synced()
        assert pika_group.slaves[0].client().get("k") == b"v"

Their servers allow CHAOS (``enable-chaos-command yes``): ``pika_proc.clock.freeze()``,
``pika_proc.fault(...)``, ``pika_group.partition(...)``... (docs/fault-injection.md).

Options: ``--pika-host``, ``--pika-port``, ``--pika-mode`` (thread|process), ``--pika-password``,
and the same as ini keys ``pika_host``, ``pika_port``, ``pika_mode``, ``pika_password``, plus
``pika_decode`` (decode replies to str).
"""

from __future__ import annotations

import pytest

from . import factories

_OPTIONS = {
    "host": "Host pypika-store listens on (default 127.0.0.1)",
    "port": "Port for pypika-store (default: one the OS picks)",
    "mode": "thread (in this process) or process (a pypika-server child)",
    "password": "requirepass for the server, and AUTH for the clients",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pypika-store")
    for name, help_text in _OPTIONS.items():
        parser.addini(f"pika_{name}", help_text, default=None)
        group.addoption(f"--pika-{name}", action="store", dest=f"pika_{name}", default=None, help=help_text)
    parser.addini("pika_decode", "Decode replies to str in pika_db", type="bool", default=False)


pika_proc = factories.pika_proc()
pika_noproc = factories.pika_noproc()
pika_db = factories.pika_db("pika_proc")
pika_group = factories.pika_group()
