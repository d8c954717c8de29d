"""The glob matcher in isolation: Redis' rules, and no exponential backtracking."""

from __future__ import annotations

import pytest

from pypika_store.glob import compile_glob, glob_match


@pytest.mark.parametrize("pattern, text, expected", [
    (b"*", b"", True), (b"?", b"", False), (b"a*b", b"ab", True), (b"a*b", b"axxb", True), (b"a*b", b"axxbc", False),
    (b"*.txt", b"a.txt", True), (b"h[ae]llo", b"hallo", True), (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hcllo", False), (b"[z-a]", b"m", True), (b"\\*", b"*", True), (b"\\*", b"a", False),
    (b"[\\]]", b"]", True), (b"a[", b"a", False), (b"[abc", b"b", True), (b"[]", b"]", False),
    (b"x\\", b"x\\", True), (b"**a", b"a", True), (b"a**", b"a", True), (b"\x00*", b"\x00\xff", True),
])
def test_matches_like_redis(pattern, text, expected):
    assert glob_match(pattern, text) is expected


def test_nocase():
    assert glob_match(b"MAX*", b"maxclients", nocase=True)
    assert not glob_match(b"MAX*", b"maxclients")
    assert glob_match(b"[A-C]x", b"bX", nocase=True)


@pytest.mark.timeout(10)
def test_no_exponential_backtracking():
    matches = compile_glob(b"a*" * 100 + b"b")
    assert not matches(b"a" * 10_000)
    assert compile_glob(b"*a*a*a*a*a*a*a*a*a*a*")(b"a" * 10 + b"b" * 10_000)
