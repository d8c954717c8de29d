"""COMMAND DOCS' argument trees against redis-server's: every command both servers list documents
Redis' arguments (names, types, key-spec indexes, tokens, flags, nesting), and every command we
serve that takes arguments declares them.

Arguments' ``since`` and ``deprecated_since`` are left out on purpose: they are Redis' release
history of each option, which says nothing of this server, and redis-cli does not read them.
"""

from __future__ import annotations

import pytest

from pypika_store.server.registry import TABLE, CommandSpec

from .support import RawConnection

#: What COMMAND DOCS says of an argument and we leave to Redis (see the module's docstring).
NOT_MATCHED = {b"since", b"deprecated_since"}
#: Pika's commands that take any arguments and ignore them (arity -1: no usage to document).
IGNORE_ARGUMENTS = {"slotsreloadoff", "slotscleanupoff"}
#: Pika's SLAVEOF host port FORCE (a full resync): documented, so REPLICAOF's differs from Redis'.
PIKA_EXTENDED = {b"replicaof", b"slaveof"}


def _pairs(flat: list) -> list[tuple]:
    return list(zip(flat[::2], flat[1::2]))


def _comparable(arguments: list) -> list:
    """An argument tree as COMMAND DOCS gives it (fields in their order), without the fields
    we leave to Redis."""
    return [[(field, _comparable(value) if field == b"arguments" else value)
             for field, value in _pairs(argument) if field not in NOT_MATCHED] for argument in arguments]


def _arguments_by_command(port: int) -> dict[bytes, list]:
    """Every command's and subcommand's arguments, from one COMMAND DOCS call."""
    connection = RawConnection(port)
    try:
        reply = connection.call("COMMAND", "DOCS")
    finally:
        connection.close()
    found: dict[bytes, list] = {}

    def collect(entries: list) -> None:
        for name, fields in _pairs(entries):
            docs = dict(_pairs(fields))
            found[name] = _comparable(docs.get(b"arguments", []))
            collect(docs.get(b"subcommands", []))

    collect(reply)
    return found


@pytest.fixture(scope="module")
def documented(real_redis, pika_server) -> tuple[dict[bytes, list], dict[bytes, list]]:
    """Redis' and our arguments of every command each server documents."""
    return _arguments_by_command(real_redis.port), _arguments_by_command(pika_server.port)


def test_every_command_both_servers_know_has_redis_arguments(documented):
    redis_docs, our_docs = documented
    both = sorted(set(redis_docs) & set(our_docs))
    differing = [name for name in both if name not in PIKA_EXTENDED and our_docs[name] != redis_docs[name]]
    assert len(both) > 290
    assert differing == []


def _without_force(arguments: list) -> list:
    return [[(field, _without_force(value) if field == b"arguments" else value) for field, value in argument]
            for argument in arguments if (b"name", b"force") not in argument]


def test_replicaof_documents_pikas_force(documented):
    redis_docs, our_docs = documented
    for name in PIKA_EXTENDED:
        assert our_docs[name] != redis_docs[name] and _without_force(our_docs[name]) == redis_docs[name]


def test_every_command_that_takes_arguments_declares_them(documented):
    """A command whose arity is its name's words takes none, nor does a container itself (its
    subcommands do); where Redis documents none for a command that takes some (DEBUG's), neither
    do we."""
    redis_docs, _ = documented
    undeclared = [spec.full_name for spec in TABLE.all_specs()
                  if spec.arity != _words_of_name(spec) and not spec.shown_subcommands() and not spec.arguments
                  and redis_docs.get(spec.full_name.encode(), True) and spec.full_name not in IGNORE_ARGUMENTS]
    assert undeclared == []


def _words_of_name(spec: CommandSpec) -> int:
    return 2 if spec.parent is not None else 1
