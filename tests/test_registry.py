"""The command table: containers declared in any order, aliases, HELP built from the specs,
and DEBUG, whose subcommands are one command to Redis."""

from __future__ import annotations

import pytest
import redis

import pypika_store.server.commands  # noqa: F401  (registers the commands)
from pypika_store.server.registry import TABLE, CommandSpec, CommandTable, help_reply, resolve_subcommand

from .support import RawConnection


def _spec(name: str, arity: int = 2) -> CommandSpec:
    return CommandSpec(name=name, handler=lambda client, argv: name, arity=arity, flags=frozenset())


def test_a_subcommand_may_be_registered_before_its_container():
    table = CommandTable()
    table.add(_spec("box|open"))
    with pytest.raises(ValueError, match="undeclared containers: box"):
        table.check_declared()
    box = _spec("box", arity=-2)
    table.declare(box)
    table.check_declared()
    table.add(_spec("box|close"))
    assert table.get(b"BOX") is box and list(box.subcommands) == ["open", "close"]
    assert [spec.full_name for spec in table.all_specs()] == ["box", "box|open", "box|close"]
    assert resolve_subcommand(box, [b"box", b"OPEN"]).parent is box
    with pytest.raises(ValueError, match="registered twice"):
        table.declare(_spec("box", arity=-2))
    with pytest.raises(ValueError, match="registered twice"):
        table.add(_spec("box|open"))


def test_aliases_are_commands_of_their_own_with_one_handler():
    for name, alias in [(b"exists", b"touch"), (b"getrange", b"substr")]:
        spec, alias_spec = TABLE.get(name), TABLE.get(alias)
        assert spec is not alias_spec and alias_spec.full_name == alias.decode()
        assert alias_spec.handler is spec.handler
        assert (alias_spec.arity, alias_spec.flags, alias_spec.summary) == (spec.arity, spec.flags, spec.summary)


def test_help_is_built_from_the_subcommands_entries():
    lines = help_reply([b"command", b"help"])
    assert lines[0] == "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[1:3] == ["(no subcommand)", "    Return details about all Redis commands."]
    assert lines[-2:] == ["HELP", "    Print this help."]
    command = TABLE.get(b"command")
    assert lines[3:-2] == [line for sub in command.subcommands.values() if sub.name != "help" for line in sub.help]


def test_debug_is_one_command_as_in_redis(r, pika_server):
    debug = TABLE.get(b"debug")
    assert resolve_subcommand(debug, [b"debug", b"sleep", b"0"]) is debug
    assert r.execute_command("DEBUG", "SLEEP", "0") == b"OK"
    assert r.info("commandstats")["cmdstat_debug"]["calls"] >= 1
    assert not [name for name in r.command_list() if name.startswith(b"debug|")]
    raw = RawConnection(pika_server.port)
    (info,) = raw.call("COMMAND", "INFO", "debug")
    assert raw.call("COMMAND", "INFO", "debug|sleep") == [None]
    raw.close()
    assert info[9] == []
    for call in [("DEBUG", "SLEEP"), ("DEBUG", "DIGEST", "x"), ("DEBUG", "NOSUCH")]:
        with pytest.raises(redis.ResponseError, match=f"arguments for '{call[1]}'. Try DEBUG HELP."):
            r.execute_command(*call)


def test_command_subcommands_are_listed_and_counted_as_redis(r):
    names = r.command_list()
    assert {b"command|count", b"command|docs", b"command|getkeys", b"command|help", b"command|info",
            b"command|list"} <= set(names)
    assert r.command_count() == len(TABLE) == len([name for name in names if b"|" not in name])
