"""Pika's own commands: PKSCANRANGE, PKRSCANRANGE, PKHSCANRANGE, PKHRSCANRANGE,
PKPATTERNMATCHDEL (the cases of Pika's storage tests, and its errors)."""

from __future__ import annotations

import pytest
import redis

LETTERS = "ACEGIKMOQS"


@pytest.fixture
def letters(r):
    r.mset({f"PK_{letter}": "VALUE" for letter in LETTERS})
    r.hset("hash_like", "f", "v")  # another type in the range: never listed as a string
    return r


def _scan(r, *args):
    next_key, found = r.execute_command("PKSCANRANGE", *args)
    return next_key, found


@pytest.mark.parametrize("start, end, expected", [
    ("", "", "ACEGIKMOQS"), ("PK_B", "", "CEGIKMOQS"), ("", "PK_R", "ACEGIKMOQ"), ("PK_D", "PK_P", "EGIKMO"),
    ("PK_C", "PK_Q", "CEGIKMOQ"), ("PK_I", "PK_K", "IK"), ("PK_I", "PK_I", "I"),
])
def test_pkscanrange_is_an_inclusive_range(letters, start, end, expected):
    next_key, keys = _scan(letters, "string", start, end, "LIMIT", "100")
    assert keys == [f"PK_{letter}".encode() for letter in expected] and next_key == b""


def test_pkscanrange_limit_match_values_and_next_key(letters):
    assert _scan(letters, "string", "", "") == (b"", [f"PK_{letter}".encode() for letter in LETTERS])
    assert _scan(letters, "string", "", "", "LIMIT", "3") == (b"PK_G", [b"PK_A", b"PK_C", b"PK_E"])
    assert _scan(letters, "string_with_value", "PK_Q", "", "LIMIT", "5") == (b"", [b"PK_Q", b"VALUE", b"PK_S", b"VALUE"])
    assert _scan(letters, "string", "", "", "MATCH", "*[IK]", "LIMIT", "1") == (b"PK_K", [b"PK_I"])
    assert _scan(letters, "hash", "", "") == (b"", [b"hash_like"])
    assert letters.execute_command("PKRSCANRANGE", "string", "PK_J", "PK_E") == [b"", [b"PK_I", b"PK_G", b"PK_E"]]
    assert letters.execute_command("PKRSCANRANGE", "string", "", "", "LIMIT", "2") == [b"PK_O", [b"PK_S", b"PK_Q"]]


@pytest.mark.parametrize("args, message", [
    (("PKSCANRANGE", "stream", "", ""), "invalid DB for 'pkscanrange'"),
    (("PKSCANRANGE", "string", "b", "a"), "WRONGTYPE"),
    (("PKRSCANRANGE", "string", "a", "b"), "WRONGTYPE"),
    (("PKSCANRANGE", "string", "", "", "LIMIT", "0"), "value is not an integer"),
    (("PKSCANRANGE", "string", "", "", "LIMIT"), "syntax error"),
    (("PKSCANRANGE", "string", "", "", "COUNT", "1"), "syntax error"),
    (("PKHSCANRANGE", "h", "b", "a"), "error in given range"),
    (("PKPATTERNMATCHDEL", "*", "101"), "value is not an integer"),
    (("PKPATTERNMATCHDEL", "*", "0"), "value is not an integer"),
])
def test_pika_command_errors(r, args, message):
    with pytest.raises(redis.ResponseError, match=message):
        r.execute_command(*args)


def test_pkhscanrange_and_reverse(r):
    r.hset("h", mapping={letter: letter.lower() for letter in LETTERS})
    assert r.execute_command("PKHSCANRANGE", "h", "B", "F") == [b"", [b"C", b"c", b"E", b"e"]]
    assert r.execute_command("PKHSCANRANGE", "h", "", "", "LIMIT", "2") == [b"E", [b"A", b"a", b"C", b"c"]]
    assert r.execute_command("PKHSCANRANGE", "h", "", "", "MATCH", "[AE]", "LIMIT", "3") == [b"G", [b"A", b"a", b"E", b"e"]]
    assert r.execute_command("PKHRSCANRANGE", "h", "F", "B") == [b"", [b"E", b"e", b"C", b"c"]]
    assert r.execute_command("PKHRSCANRANGE", "h", "", "", "LIMIT", "1") == [b"Q", [b"S", b"s"]]
    assert r.execute_command("PKHSCANRANGE", "missing", "", "") == [b"", []]


def test_pkpatternmatchdel_deletes_matching_keys_in_batches(r):
    r.mset({f"user:{n}": n for n in range(150)})
    r.sadd("user:set", "x")
    r.set("other", "1")
    assert r.execute_command("PKPATTERNMATCHDEL", "user:*") == 100
    assert r.execute_command("PKPATTERNMATCHDEL", "user:*", "20") == 20
    assert r.execute_command("PKPATTERNMATCHDEL", "user:*") == 31
    assert r.keys("*") == [b"other"]
