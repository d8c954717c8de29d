"""The glob matcher in isolation: Redis' rules, and no exponential backtracking."""

from __future__ import annotations

import pytest

from pypika_store.glob import compile_glob, glob_match


@pytest.mark.parametrize("pattern, text, expected", [
    (b"*", b"", False), (b"**", b"", False), (b"", b"", True), (b"?", b"", False), (b"a*b", b"ab", True), (b"a*b", b"axxb", True), (b"a*b", b"axxbc", False),
    (b"*.txt", b"a.txt", True), (b"h[ae]llo", b"hallo", True), (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hcllo", False), (b"[z-a]", b"m", True), (b"\\*", b"*", True), (b"\\*", b"a", False),
    (b"[\\]]", b"]", True), (b"a[", b"a", False), (b"[abc", b"b", True), (b"[]", b"]", False),
    (b"x\\", b"x\\", True), (b"**a", b"a", True), (b"a**", b"a", True), (b"\x00*", b"\x00\xff", True),
    # Range ends compare as signed chars: 0x00-0xff spans -1..0, so only those two bytes.
    (b"[\x00-\xff]", b"\x00", True), (b"[\x00-\xff]", b"\xff", True), (b"[\x00-\xff]", b"a", False),
    (b"[\x80-a]", b"\x90", True), (b"[\x80-a]", b"b", False), (b"a[b-]x", b"a]", True), (b"a[b-]x", b"ax", True), (b"a[b-]x", b"ac", False),
    (b"[^]", b"x", True), (b"*\n*", b"a\nb", True), (b"?", b"\n", True),
])
def test_matches_like_redis(pattern, text, expected):
    assert glob_match(pattern, text) is expected


def test_nocase():
    assert glob_match(b"MAX*", b"maxclients", nocase=True)
    assert not glob_match(b"MAX*", b"maxclients")
    assert glob_match(b"[A-C]x", b"bX", nocase=True)
    assert glob_match(b"[a]", b"A", nocase=True)
    assert not glob_match(b"[\\a]", b"A", nocase=True)  # an escaped class member ignores nocase
    assert glob_match(b"\\a", b"A", nocase=True)


def test_patterns_nesting_more_than_1000_stars_match_nothing():
    """The server caps its matcher's recursion; a trailing star does not count."""
    text = b"a" * 1100
    assert glob_match(b"*a" * 1000, text)
    assert not glob_match(b"*a" * 1001, text)
    assert glob_match(b"a*" * 1001, text)
    assert not glob_match(b"a*" * 1001 + b"a", text)


@pytest.mark.timeout(10)
def test_no_exponential_backtracking():
    matches = compile_glob(b"a*" * 100 + b"b")
    assert not matches(b"a" * 10_000)
    assert compile_glob(b"*a*a*a*a*a*a*a*a*a*a*")(b"a" * 10 + b"b" * 10_000)


@pytest.mark.timeout(10)
def test_huge_patterns_are_cheap_against_short_subjects():
    """Keys are short; a megabyte pattern must not stall the server compiling a regex for them."""
    assert not glob_match(b"[ab]?" * 200_000, b"x" * 511)
    assert not glob_match(b"*" + b"[^]" * 300_000, b"x" * 511)
    assert glob_match(b"[" + b"ab" * 500_000 + b"]*", b"b" * 511)
