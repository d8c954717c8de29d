"""The ``syntax=`` usage lines of ``@command``: what each form of the grammar parses to, and
that a line the grammar does not read fails when the command registers."""

from __future__ import annotations

import re

import pytest

from pypika_store.server.command_syntax import Arg, SyntaxDeclarationError, parse_syntax
from pypika_store.server.registry import TABLE, command, key_at

NX_XX = (Arg("nx", "pure-token", token="NX"), Arg("xx", "pure-token", token="XX"))


def test_zadd_names_its_groups_and_types_its_arguments():
    assert parse_syntax("key condition:[NX | XX] comparison:[GT | LT] [change:CH] [increment:INCR] "
                        "score_member:<score:double member> [score_member ...]") == (
        Arg("key", "key", key_spec_index=0),
        Arg("condition", "oneof", optional=True, arguments=NX_XX),
        Arg("comparison", "oneof", optional=True,
            arguments=(Arg("gt", "pure-token", token="GT"), Arg("lt", "pure-token", token="LT"))),
        Arg("change", "pure-token", token="CH", optional=True),
        Arg("increment", "pure-token", token="INCR", optional=True),
        Arg("score_member", "block", multiple=True, arguments=(Arg("score", "double"), Arg("member"))))


def test_a_token_before_an_argument_is_its_token():
    assert parse_syntax("expiration:[EX seconds:integer | PXAT unix-time-milliseconds:unix-time | KEEPTTL]") == (
        Arg("expiration", "oneof", optional=True, arguments=(
            Arg("seconds", "integer", token="EX"), Arg("unix-time-milliseconds", "unix-time", token="PXAT"),
            Arg("keepttl", "pure-token", token="KEEPTTL"))),)


def test_a_token_before_a_required_group_is_the_groups():
    assert parse_syntax("[LIMIT offset_count:<offset:integer count:integer>] STREAMS streams:<key [key ...] id>") == (
        Arg("offset_count", "block", token="LIMIT", optional=True,
            arguments=(Arg("offset", "integer"), Arg("count", "integer"))),
        Arg("streams", "block", token="STREAMS",
            arguments=(Arg("key", "key", multiple=True, key_spec_index=0), Arg("id"))))


def test_a_token_before_an_optional_group_stands_alone():
    assert parse_syntax("TO condition:[NX | XX]") == (
        Arg("to", "pure-token", token="TO"), Arg("condition", "oneof", optional=True, arguments=NX_XX))


def test_repetitions_as_redis_writes_them():
    assert parse_syntax("[key [key ...]] WEIGHTS weight:integer [weight ...] [GET pattern [GET pattern ...]]") == (
        Arg("key", "key", optional=True, multiple=True, key_spec_index=0),
        Arg("weight", "integer", token="WEIGHTS", multiple=True),
        Arg("pattern", token="GET", optional=True, multiple=True, multiple_token=True))


def test_key_arguments_take_the_key_specs_in_order_unless_told():
    assert parse_syntax("key [BY pattern:pattern#1] [STORE destination:key] key2:key#0") == (
        Arg("key", "key", key_spec_index=0), Arg("pattern", "pattern", token="BY", optional=True, key_spec_index=1),
        Arg("destination", "key", token="STORE", optional=True, key_spec_index=2),
        Arg("key2", "key", key_spec_index=0))


def test_a_name_before_a_group_of_one_makes_a_block():
    assert parse_syntax("parameter:<parameter> [parameter ...]") == (
        Arg("parameter", "block", multiple=True, arguments=(Arg("parameter"),)),)


def test_quoted_and_symbol_tokens_and_names_with_a_colon():
    assert parse_syntax('key_or_empty:<key | empty_string:""> operator:[equal:= | ~] [ADDR ip:port:string]') == (
        Arg("key_or_empty", "oneof", arguments=(Arg("key", "key", key_spec_index=0),
                                                 Arg("empty_string", "pure-token", token=""))),
        Arg("operator", "oneof", optional=True,
            arguments=(Arg("equal", "pure-token", token="="), Arg("~", "pure-token", token="~"))),
        Arg("ip:port", token="ADDR", optional=True))


def test_no_syntax_is_no_arguments():
    assert parse_syntax("") == ()


@pytest.mark.parametrize("syntax, problem", [
    ("key [NX | XX]", "a choice needs a name"),
    ("key [min max]", "needs a name"),
    ("key choice:<NX | a b>", "an alternative of several arguments"),
    ("score:doubel", "'doubel' is not a type"),
    ("ip:port", "'port' is not a type"),
    ("key:key#x", "is not a type"),
    ("Key", "not a name"),
    ("key [member ...]", "must repeat the argument before it (key)"),
    ("GET pattern [BY pattern ...]", "must repeat the argument before it (GET pattern)"),
    ("[key ...]", "there is none"),
    ("key [key ...] [key ...]", "repeated twice"),
    ("key ...", "belongs in a repetition"),
    ("[NX", "ends too early"),
    ("[NX>", "closed by"),
    ("key ]", "unexpected ']'"),
    ("key []", "empty group"),
    ("choice:[NX | ]", "empty group or alternative"),
    ('key <""> ', "an empty token needs a name"),
    ('key "unterminated', "unreadable"),
    ("[[key]]", "optional twice"),
    ("name: member", "names a group or a quoted token"),
    ("EX <GET seconds:integer>", "two tokens"),
])
def test_malformed_syntax_says_what_is_wrong(syntax, problem):
    with pytest.raises(SyntaxDeclarationError, match=re.escape(problem)):
        parse_syntax(syntax)


def test_a_malformed_syntax_fails_the_registration():
    with pytest.raises(SyntaxDeclarationError, match="command 'no-such-test-command': .*a choice needs a name"):
        command("no-such-test-command", -2, syntax="key [NX | XX]")
    assert TABLE.get(b"no-such-test-command") is None


def test_a_key_argument_needs_the_commands_key_spec():
    with pytest.raises(SyntaxDeclarationError, match="'destination' names key spec 1, and the command has 1"):
        command("no-such-test-command", 3, keys=[key_at(1, "RO access")], syntax="key destination:key")
