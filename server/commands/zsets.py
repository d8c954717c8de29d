"""Sorted-set commands: ZADD, scores, ranks, ranges (by rank, score or lex), removal, pops
(ZPOPMIN ... BZMPOP).

Each write is one call of the sorted-set store (pypika_store/types/zsets.py), which logs
``zadd`` (with the final scores) or ``zrem`` records whatever the command was (ZINCRBY,
ZPOPMIN, ZREMRANGEBYSCORE...). Ranges come from the store's rank cache, so they cost
O(log n) plus the reply; this module reads the bounds (``(1.5``, ``[a``, ``-inf``...) as
Redis' zslParseRange and zslParseLexRange do.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from pypika_store.errors import (
    IncrPairError,
    LexRangeError,
    ScoreRangeError,
    SyntaxErrorReply,
    incompatible_options,
    syntax_error,
)
from pypika_store.types.zset_ranges import LexBound, LexRange, RankRange, ScoreRange, ZsetRange
from pypika_store.types.zsets import Pairs, ZaddFlags, ZsetStore

from ..arguments import Arguments, parse_count, parse_double, parse_int, parse_timeout, random_count
from ..blocking import Block, RetryFor
from ..connection import Client
from ..pops import answer_multipop, retry_when_holding
from ..registry import KeysArgument, before_last, command, key_at, keynum
from ..resp.replies import NULL_ARRAY, BulkStrings, Double, double_texts
from ..scanning import scan_collection


def scored(client: Client, pairs: Pairs, with_scores: bool) -> list:
    """Members, or members with scores (``[member, score]`` pairs in RESP3; flat in RESP2, where
    a score is a bulk string: the scores' texts then make an array of bulk strings only)."""
    if not with_scores:
        return BulkStrings([member for member, _ in pairs])
    if client.resp == 3:
        return [[member, Double(score)] for member, score in pairs]
    flat = BulkStrings([b""] * (2 * len(pairs)))
    flat[0::2] = [member for member, _ in pairs]
    flat[1::2] = double_texts([score for _, score in pairs])
    return flat


#: The key of the commands that remove members (ZREM, ZREMRANGEBY*) and of the pops.
_DELETES = (key_at(1, "RW delete"),)
_POPS = (key_at(1, "RW access delete"),)
#: BZPOPMIN's and BZPOPMAX's keys: every argument but the timeout.
_BLOCKING_POPS = (before_last(1, "RW access delete"),)


def _register(name: str, handler: partial, arity: int, flags: str, summary: str,
              keys: KeysArgument = (1, 1, 1), syntax: str = "") -> None:
    command(name, arity, flags, keys, group="sorted-set", summary=summary, syntax=syntax)(handler)


# -- adding ---------------------------------------------------------------------------------------


def added_reply(result: int | float | None) -> object:
    """ZADD's reply: the count, or with INCR the new score (nil when it did not change)."""
    return Double(result) if isinstance(result, float) else result


#: What a score may start with and no ZADD option does (a plain ZADD's third argument is
#: its score: no option needs reading first).
_SCORE_START = b"0123456789+-."


@command("zadd", arity=-4, flags="write denyoom fast", keys=(key_at(1, "RW update"),), group="sorted-set",
         syntax="key condition:[NX | XX] comparison:[GT | LT] [change:CH] [increment:INCR] "
                "score_member:<score:double member> [score_member ...]")
def zadd(client: Client, argv: list[bytes]) -> object:
    """Add members to a sorted set, or update their scores."""
    if len(argv) == 4 and argv[2][:1] in _SCORE_START:  # the plain ZADD key score member (the hot path)
        return client.keyspace.zsets.add_plain(argv[1], parse_double(argv[2]), argv[3])
    args = Arguments(argv, 2)
    names = []
    while (name := args.one_of(*ZaddFlags.NAMES)) is not None:
        names.append(name)
    flags = ZaddFlags.named(names)
    rest = args.rest()
    if not rest or len(rest) % 2:
        raise SyntaxErrorReply()
    if flags.nx and flags.xx:
        raise incompatible_options("XX and NX")
    if (flags.gt and flags.nx) or (flags.lt and flags.nx) or (flags.gt and flags.lt):
        raise incompatible_options("GT, LT, and/or NX")
    if flags.incr and len(rest) > 2:
        raise IncrPairError()
    pairs = [(parse_double(score), member) for score, member in zip(rest[::2], rest[1::2])]
    return added_reply(client.keyspace.zsets.add(argv[1], pairs, flags))


@command("zincrby", arity=4, flags="write denyoom fast", keys=(1, 1, 1), group="sorted-set",
         syntax="key increment:integer member")
def zincrby(client: Client, argv: list[bytes]) -> object:
    """Increment the score of a member in a sorted set."""
    return added_reply(client.keyspace.zsets.add(argv[1], [(parse_double(argv[2]), argv[3])], ZaddFlags(incr=True)))


@command("zrem", arity=-3, flags="write fast", keys=_DELETES, group="sorted-set", syntax="key member [member ...]")
def zrem(client: Client, argv: list[bytes]) -> object:
    """Remove one or more members from a sorted set."""
    return client.keyspace.zsets.remove(argv[1], argv[2:])


# -- single members ---------------------------------------------------------------------------


@command("zcard", arity=2, flags="readonly fast", keys=(key_at(1, "RO"),), group="sorted-set", syntax="key")
def zcard(client: Client, argv: list[bytes]) -> object:
    """Get the number of members in a sorted set."""
    collection = client.keyspace.zsets.open(argv[1])
    return 0 if collection is None else collection.count


@command("zscore", arity=3, flags="readonly fast", keys=(1, 1, 1), group="sorted-set", syntax="key member")
def zscore(client: Client, argv: list[bytes]) -> object:
    """Get the score associated with the given member in a sorted set."""
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    score = None if collection is None else store.score(collection, argv[2])
    return None if score is None else Double(score)


@command("zmscore", arity=-3, flags="readonly fast", keys=(1, 1, 1), group="sorted-set",
         syntax="key member [member ...]")
def zmscore(client: Client, argv: list[bytes]) -> object:
    """Get the score associated with the given members in a sorted set."""
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    scores = [None if collection is None else store.score(collection, member) for member in argv[2:]]
    return [None if score is None else Double(score) for score in scores]


def _rank(client: Client, argv: list[bytes], reverse: bool) -> object:
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    found = None if collection is None else store.rank(collection, argv[2])
    if found is None:
        return None
    return collection.count - 1 - found[0] if reverse else found[0]  # type: ignore[union-attr]


_register("zrank", partial(_rank, reverse=False), 3, "readonly fast",
          "Determine the index of a member in a sorted set.", syntax="key member")
_register("zrevrank", partial(_rank, reverse=True), 3, "readonly fast",
          "Determine the index of a member, with scores ordered from high to low.", syntax="key member")


# -- ranges -------------------------------------------------------------------------------------


RANK, SCORE, LEX = "rank", "score", "lex"


def _score_bound(arg: bytes) -> tuple[float, bool]:
    """A score bound and whether ``(`` makes it exclusive."""
    exclusive = arg[:1] == b"("
    return parse_double(arg[1:] if exclusive else arg, ScoreRangeError), exclusive


def _lex_bound(arg: bytes) -> LexBound:
    """``-``, ``+``, ``[member`` or ``(member``."""
    if arg in (b"-", b"+"):
        return arg.decode(), b""
    if arg[:1] not in (b"(", b"["):
        raise LexRangeError()
    return arg[:1].decode(), arg[1:]


def parse_range(kind: str, low: bytes, high: bytes, reverse: bool = False) -> ZsetRange:
    """The range ``low high`` of a kind (given as ``max min`` for the reversed score and lex
    forms), low bound parsed first."""
    if kind == RANK:
        return RankRange(parse_int(low), parse_int(high), reverse)
    if reverse:
        low, high = high, low
    if kind == SCORE:
        return ScoreRange(*_score_bound(low), *_score_bound(high))
    return LexRange(_lex_bound(low), _lex_bound(high))


class _RangeOptions:
    """ZRANGE's trailing options as Redis' zrangeGenericCommand reads them; BYSCORE, BYLEX
    and REV only where the command does not fix them already."""

    def __init__(self, argv: list[bytes], first: int, kind: str | None, reverse: bool | None,
                 allow_scores: bool) -> None:
        self.with_scores = False
        self.offset, self.limit = 0, -1
        has_limit = False
        args = Arguments(argv, first)
        while args:
            option = args.keyword()
            if option == b"WITHSCORES" and allow_scores:
                self.with_scores = True
            elif option == b"LIMIT" and args.remaining() >= 2:
                self.offset, self.limit, has_limit = args.take_int(), args.take_int(), True
            elif reverse is None and option == b"REV":
                reverse = True
            elif kind is None and option == b"BYLEX":
                kind = LEX
            elif kind is None and option == b"BYSCORE":
                kind = SCORE
            else:
                raise SyntaxErrorReply()
        self.kind = kind or RANK
        self.reverse = bool(reverse)
        if has_limit and self.kind == RANK:
            raise syntax_error("LIMIT is only supported in combination with either BYSCORE or BYLEX")
        if self.with_scores and self.kind == LEX:
            raise syntax_error("WITHSCORES not supported in combination with BYLEX")


def _range(client: Client, argv: list[bytes], kind: str | None, reverse: bool | None,
           store_into: bytes | None = None) -> object:
    """The ZRANGE family: ``[dst] key min max [options]``."""
    first = 2 if store_into is not None else 1
    key, low, high = argv[first], argv[first + 1], argv[first + 2]
    options = _RangeOptions(argv, first + 3, kind, reverse, allow_scores=store_into is None)
    within = parse_range(options.kind, low, high, options.reverse)
    store = client.keyspace.zsets
    collection = store.open(key)
    if collection is not None and store_into is None and not options.with_scores:  # scores never decoded
        return BulkStrings(store.select_members(collection, within, options.reverse, options.offset, options.limit))
    pairs = [] if collection is None else store.select(
        collection, within, options.reverse, options.offset, options.limit)
    if store_into is not None:
        return store.replace(store_into, pairs, b"zrangestore")
    return scored(client, pairs, options.with_scores)


@command("zrange", arity=-4, flags="readonly", keys=(1, 1, 1), group="sorted-set",
         syntax="key start stop sortby:[BYSCORE | BYLEX] [REV] [LIMIT offset_count:<offset:integer count:integer>] "
                "[WITHSCORES]")
def zrange(client: Client, argv: list[bytes]) -> object:
    """Return a range of members in a sorted set (by index, score or lex)."""
    return _range(client, argv, None, None)


@command("zrangestore", arity=-5, flags="write denyoom", keys=(key_at(1, "OW update"), key_at(2, "RO access")),
         group="sorted-set",
         syntax="dst:key src:key min max sortby:[BYSCORE | BYLEX] [REV] "
                "[LIMIT offset_count:<offset:integer count:integer>]")
def zrangestore(client: Client, argv: list[bytes]) -> object:
    """Store a range of members from a sorted set into another key."""
    return _range(client, argv, None, None, store_into=argv[1])


_register("zrevrange", partial(_range, kind=RANK, reverse=True), -4, "readonly",
          "Return a range of members by index, with scores ordered from high to low.",
          syntax="key start:integer stop:integer [WITHSCORES]")
_register("zrangebyscore", partial(_range, kind=SCORE, reverse=False), -4, "readonly",
          "Return a range of members in a sorted set, by score.",
          syntax="key min:double max:double [WITHSCORES] [LIMIT offset_count:<offset:integer count:integer>]")
_register("zrevrangebyscore", partial(_range, kind=SCORE, reverse=True), -4, "readonly",
          "Return a range of members by score, with scores ordered from high to low.",
          syntax="key max:double min:double [WITHSCORES] [LIMIT offset_count:<offset:integer count:integer>]")
_register("zrangebylex", partial(_range, kind=LEX, reverse=False), -4, "readonly",
          "Return a range of members in a sorted set, by lexicographical range.",
          syntax="key min max [LIMIT offset_count:<offset:integer count:integer>]")
_register("zrevrangebylex", partial(_range, kind=LEX, reverse=True), -4, "readonly",
          "Return a range of members by lexicographical range, ordered from higher to lower.",
          syntax="key max min [LIMIT offset_count:<offset:integer count:integer>]")


def _count(client: Client, argv: list[bytes], kind: str) -> object:
    within = parse_range(kind, argv[2], argv[3])
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    return 0 if collection is None else store.count_range(collection, within)


def _remove_range(client: Client, argv: list[bytes], kind: str) -> object:
    return client.keyspace.zsets.remove_range(argv[1], parse_range(kind, argv[2], argv[3]),
                                              b"zremrangeby%s" % kind.encode())


_register("zcount", partial(_count, kind=SCORE), 4, "readonly fast",
          "Count the members in a sorted set with scores within the given values.", syntax="key min:double max:double")
_register("zlexcount", partial(_count, kind=LEX), 4, "readonly fast",
          "Count the members in a sorted set between a given lexicographical range.", syntax="key min max")
_register("zremrangebyrank", partial(_remove_range, kind=RANK), 4, "write",
          "Remove all members in a sorted set within the given indexes.", keys=_DELETES,
          syntax="key start:integer stop:integer")
_register("zremrangebyscore", partial(_remove_range, kind=SCORE), 4, "write",
          "Remove all members in a sorted set within the given scores.", keys=_DELETES,
          syntax="key min:double max:double")
_register("zremrangebylex", partial(_remove_range, kind=LEX), 4, "write",
          "Remove all members in a sorted set between the given lexicographical range.", keys=_DELETES,
          syntax="key min max")


# -- popping and random members ----------------------------------------------------------------


def _pop(client: Client, argv: list[bytes], highest: bool) -> object:
    if len(argv) > 3:
        raise SyntaxErrorReply()
    count = 1
    if len(argv) == 3:
        count = parse_count(argv[2])
    pairs = client.keyspace.zsets.pop(argv[1], count, highest)
    if client.resp == 3 and len(argv) == 3:
        return scored(client, pairs, True)
    return [part for member, score in pairs for part in (member, Double(score))]


def _pop_first(client: Client, keys: list[bytes], highest: bool, count: int) -> tuple[bytes, Pairs] | None:
    """The first of ``keys`` holding a sorted set, with the members popped from it; None
    when none does."""
    for key in keys:
        popped = client.keyspace.zsets.pop(key, count, highest)
        if popped:
            return key, popped
    return None


def _retry_on_zsets(client: Client, argv_for_key: Callable[[bytes], list[bytes]]) -> RetryFor:
    return retry_when_holding(client, "zset", argv_for_key)


def _blocking_pop(client: Client, argv: list[bytes], highest: bool) -> object:
    timeout = parse_timeout(argv[-1])
    keys = argv[1:-1]
    found = _pop_first(client, keys, highest, 1)
    if found is None:
        return Block(keys, timeout, NULL_ARRAY,
                     retry_for=_retry_on_zsets(client, lambda key: [argv[0], key, argv[-1]]))
    key, [(member, score)] = found
    return [key, member, Double(score)]


_register("zpopmin", partial(_pop, highest=False), -2, "write fast",
          "Remove and return members with the lowest scores in a sorted set.", keys=_POPS, syntax="key [count:integer]")
_register("zpopmax", partial(_pop, highest=True), -2, "write fast",
          "Remove and return members with the highest scores in a sorted set.", keys=_POPS,
          syntax="key [count:integer]")
_register("bzpopmin", partial(_blocking_pop, highest=False), -3, "write fast noscript blocking",
          "Remove and return the member with the lowest score, or block until one is available.",
          keys=_BLOCKING_POPS, syntax="key [key ...] timeout:double")
_register("bzpopmax", partial(_blocking_pop, highest=True), -3, "write fast noscript blocking",
          "Remove and return the member with the highest score, or block until one is available.",
          keys=_BLOCKING_POPS, syntax="key [key ...] timeout:double")


def _multipop_reply(found: tuple[bytes, Pairs] | None) -> list | None:
    """ZMPOP's ``[key, [[member, score], ...]]`` (pairs in RESP2 too); None for nothing."""
    if found is None:
        return None
    key, pairs = found
    return [key, [[member, Double(score)] for member, score in pairs]]


def _multipop(client: Client, argv: list[bytes], blocking: bool) -> object:
    return answer_multipop(client, argv, blocking, (b"MIN", b"MAX"), "zset",
                           lambda keys, end, count: _multipop_reply(_pop_first(client, keys, end == b"MAX", count)))


_register("zmpop", partial(_multipop, blocking=False), -4, "write",
          "Remove and return members with scores in a sorted set (the first non-empty of several keys).",
          keys=(keynum(1, "RW access delete"),),
          syntax="numkeys:integer key [key ...] where:<MIN | MAX> [COUNT count:integer]")
_register("bzmpop", partial(_multipop, blocking=True), -5, "write blocking",
          "Remove and return members with scores in a sorted set, or block until one is available.",
          keys=(keynum(2, "RW access delete"),),
          syntax="timeout:double numkeys:integer key [key ...] where:<MIN | MAX> [COUNT count:integer]")


@command("zrandmember", arity=-2, flags="readonly", keys=(1, 1, 1), group="sorted-set",
         syntax="key options:[count:integer [WITHSCORES]]")
def zrandmember(client: Client, argv: list[bytes]) -> object:
    """Get one or multiple random members from a sorted set."""
    with_scores = len(argv) == 4 and argv[3].upper() == b"WITHSCORES"
    if len(argv) > 4 or (len(argv) == 4 and not with_scores):
        raise SyntaxErrorReply()
    count = random_count(argv[2], with_scores) if len(argv) >= 3 else None
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    if collection is None:
        return None if count is None else []
    picked = store.random_members(collection, 1 if count is None else abs(count),
                                  distinct=count is None or count >= 0, within=b"m") if count != 0 else []
    pairs = [(member, store.score(collection, member)) for member, _ in picked]
    if count is None:
        return pairs[0][0]
    return scored(client, pairs, with_scores)  # type: ignore[arg-type]


def d2string(score: float) -> bytes:
    """A score as Redis' d2string writes it (ZSCAN): integers without a fraction."""
    if -(2**52) < score < 2**52 and score == int(score):
        return b"%d" % int(score)
    return Double(score).text()


@command("zscan", arity=-3, flags="readonly", keys=(1, 1, 1), group="sorted-set",
         syntax="key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]")
def zscan(client: Client, argv: list[bytes]) -> object:
    """Incrementally iterate sorted sets elements and associated scores."""
    return scan_collection(client, client.keyspace.zsets, argv,
                           lambda member, raw: (member, d2string(ZsetStore.unpack_score(raw))), prefix=b"m")

