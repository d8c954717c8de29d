"""What the pop commands of lists and sorted sets share: LMPOP's and ZMPOP's call shape, and
how their blocking forms (BLPOP ... BZMPOP) are served when a key they wait for is ready.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, NamedTuple

from pypika_store.errors import CountNotPositiveError, NumkeysError, SyntaxErrorReply

from .arguments import Arguments, c_string, parse_int, parse_timeout
from .blocking import Block, RetryFor
from .resp.replies import NULL_ARRAY

if TYPE_CHECKING:
    from .connection import Client


class MultiPop(NamedTuple):
    """``numkeys key [key ...] <end> [COUNT count]`` read (LMPOP's LEFT|RIGHT, ZMPOP's MIN|MAX)."""

    keys: list[bytes]
    #: The end named, upper case: one of the two the command accepts.
    end: bytes
    count: int

    def retry_argv(self, name: bytes, timeout: bytes, key: bytes) -> list[bytes]:
        """The blocking form's call that pops from ``key`` alone, with the same end and count."""
        return [name, timeout, b"1", key, self.end, b"COUNT", b"%d" % self.count]


def parse_multipop(argv: list[bytes], numkeys_at: int, ends: tuple[bytes, bytes]) -> MultiPop:
    """The arguments from ``argv[numkeys_at]`` on, checked in Redis' order: numkeys (1 or
    more), the end after the keys, then the options (COUNT once, 1 or more)."""
    numkeys = parse_int(argv[numkeys_at], NumkeysError)
    if numkeys < 1:
        raise NumkeysError()
    end_at = numkeys_at + 1 + numkeys
    if end_at >= len(argv):
        raise SyntaxErrorReply()
    end = c_string(argv[end_at]).upper()
    if end not in ends:
        raise SyntaxErrorReply()
    count: int | None = None
    args = Arguments(argv, end_at + 1)
    while args:
        if args.keyword() != b"COUNT" or count is not None or not args:
            raise SyntaxErrorReply()
        count = args.take_int(CountNotPositiveError)
        if count < 1:
            raise CountNotPositiveError()
    return MultiPop(argv[numkeys_at + 1:end_at], end, 1 if count is None else count)


#: Pops up to ``count`` elements at ``end`` from the first of ``keys`` that has some: the
#: reply, or None when none has.
PopFirst = Callable[[list[bytes], bytes, int], "object | None"]


def answer_multipop(client: "Client", argv: list[bytes], blocking: bool, ends: tuple[bytes, bytes],
                    type_name: str, pop_first: PopFirst) -> object:
    """LMPOP/ZMPOP (``blocking``: BLMPOP/BZMPOP, the timeout first, read after the other
    arguments as Redis does): what ``pop_first`` pops, else nil, or else wait for the keys."""
    call = parse_multipop(argv, 2 if blocking else 1, ends)
    timeout = parse_timeout(argv[1]) if blocking else 0.0
    reply = pop_first(call.keys, call.end, call.count)
    if reply is not None:
        return reply
    if not blocking:
        return NULL_ARRAY
    return Block(call.keys, timeout, NULL_ARRAY,
                 retry_for=retry_when_holding(client, type_name, partial(call.retry_argv, argv[0], argv[1])))


def retry_when_holding(client: "Client", type_name: str, argv_for_key: Callable[[bytes], list[bytes]]) -> RetryFor:
    """A blocked pop's :data:`~.blocking.RetryFor`: ``argv_for_key(key)`` when the ready key
    holds a ``type_name`` value (Redis serves a client blocked on a list from lists only)."""

    def retry_for(key: bytes) -> list[bytes] | None:
        return argv_for_key(key) if client.keyspace.type_name(key) == type_name else None

    return retry_for
