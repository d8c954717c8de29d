"""Sorted-set commands: ZADD, scores, ranks, ranges (by rank, score or lex), removal, pops.

Ranges and ranks come from the store's rank cache (see pypika_store/types/zsets.py), so they
cost O(log n) plus the reply. Every write logs ``zadd`` (with the final scores) or ``zrem``
records, whatever the command was (ZINCRBY, ZPOPMIN, ZREMRANGEBYSCORE...).
"""

from __future__ import annotations

import math

from pypika_store.errors import CommandError, SyntaxErrorReply
from pypika_store.types.collection import Collection
from pypika_store.types.zsets import ZsetStore, format_score

from ..blocking import Block
from ..connection import Client
from ..registry import command
from ..resp.replies import NULL_ARRAY, Double
from ..arguments import parse_count, parse_double, parse_int, parse_timeout, random_count
from ..scanning import scan_collection
from .zset_ranges import LexRange, ScoreRange, rank_bounds

Pairs = list[tuple[bytes, float]]


def scored(client: Client, pairs: Pairs, with_scores: bool) -> list:
    """Members, or members with scores (flat in RESP2, ``[member, score]`` pairs in RESP3)."""
    if not with_scores:
        return [member for member, _ in pairs]
    if client.resp == 3:
        return [[member, Double(score)] for member, score in pairs]
    return [part for member, score in pairs for part in (member, Double(score))]


def remove_members(store: ZsetStore, collection: Collection, pairs: Pairs) -> None:
    """Remove ``pairs`` (members with their scores), save, and log one ``zrem``."""
    if not pairs:
        return
    for member, score in pairs:
        store.delete(collection, member, score)
    store.save(collection)
    store.log(collection, [b"zrem", collection.key, *(member for member, _ in pairs)])


def store_result(client: Client, key: bytes, pairs: Pairs) -> int:
    """Make ``key`` a sorted set of ``pairs`` whatever it held (ZRANGESTORE, ZUNIONSTORE...)."""
    store = client.keyspace.zsets
    collection = store.new(key)
    for member, score in pairs:
        store.put(collection, member, score, None)
    store.store_whole(collection)
    return collection.count


# -- adding ---------------------------------------------------------------------------------------


class _AddFlags:
    """ZADD's NX XX GT LT CH INCR, before the score/member pairs."""

    NAMES = (b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR")

    def __init__(self, argv: list[bytes]) -> None:
        index = 2
        found: set[bytes] = set()
        while index < len(argv) and argv[index].upper() in self.NAMES:
            found.add(argv[index].upper())
            index += 1
        self.first_pair = index
        self.nx, self.xx, self.gt, self.lt = (name in found for name in (b"NX", b"XX", b"GT", b"LT"))
        self.ch, self.incr = b"CH" in found, b"INCR" in found


def _zadd(client: Client, key: bytes, flags: _AddFlags, pairs: list[tuple[float, bytes]]) -> object:
    store = client.keyspace.zsets
    collection = store.open(key)
    if collection is None:
        if flags.xx:
            return None if flags.incr else 0
        collection = store.new(key)
    added = changed = 0
    written: list[bytes] = [b"zadd", key]
    result: float | None = None
    for score, member in pairs:
        current = store.score(collection, member)
        if current is None:
            if flags.xx:
                continue
            new = score
        else:
            if flags.nx:
                continue
            new = current + score if flags.incr else score
            if math.isnan(new):
                raise CommandError("ERR resulting score is not a number (NaN)")
            if (flags.lt and new >= current) or (flags.gt and new <= current):
                continue
        result = new
        if current is None or new != current:
            store.put(collection, member, new, current)
            written += (format_score(new), member)
            if current is None:
                added += 1
            else:
                changed += 1
    if len(written) > 2:
        store.save(collection)
        store.log(collection, written)
        if added:
            store.keyspace.signal_ready(key)
    if flags.incr:
        return None if result is None else Double(result)
    return added + changed if flags.ch else added


@command("zadd", arity=-4, flags="write denyoom fast", keys=(1, 1, 1), group="sorted-set")
def zadd(client: Client, argv: list[bytes]) -> object:
    """Add members to a sorted set, or update their scores."""
    flags = _AddFlags(argv)
    rest = argv[flags.first_pair:]
    if not rest or len(rest) % 2:
        raise SyntaxErrorReply()
    if flags.nx and flags.xx:
        raise CommandError("ERR XX and NX options at the same time are not compatible")
    if (flags.gt and flags.nx) or (flags.lt and flags.nx) or (flags.gt and flags.lt):
        raise CommandError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if flags.incr and len(rest) > 2:
        raise CommandError("ERR INCR option supports a single increment-element pair")
    pairs = [(parse_double(score), member) for score, member in zip(rest[::2], rest[1::2])]
    return _zadd(client, argv[1], flags, pairs)


@command("zincrby", arity=4, flags="write denyoom fast", keys=(1, 1, 1), group="sorted-set")
def zincrby(client: Client, argv: list[bytes]) -> object:
    """Increment the score of a member in a sorted set."""
    flags = _AddFlags([b"zincrby", argv[1], b"INCR"])
    return _zadd(client, argv[1], flags, [(parse_double(argv[2]), argv[3])])


@command("zrem", arity=-3, flags="write fast", keys=(1, 1, 1), group="sorted-set")
def zrem(client: Client, argv: list[bytes]) -> object:
    """Remove one or more members from a sorted set."""
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    if collection is None:
        return 0
    pairs = []
    for member in dict.fromkeys(argv[2:]):
        score = store.score(collection, member)
        if score is not None:
            pairs.append((member, score))
    remove_members(store, collection, pairs)
    return len(pairs)


# -- single members ---------------------------------------------------------------------------


@command("zcard", arity=2, flags="readonly fast", keys=(1, 1, 1), group="sorted-set")
def zcard(client: Client, argv: list[bytes]) -> object:
    """Get the number of members in a sorted set."""
    collection = client.keyspace.zsets.open(argv[1])
    return 0 if collection is None else collection.count


@command("zscore", arity=3, flags="readonly fast", keys=(1, 1, 1), group="sorted-set")
def zscore(client: Client, argv: list[bytes]) -> object:
    """Get the score associated with the given member in a sorted set."""
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    score = None if collection is None else store.score(collection, argv[2])
    return None if score is None else Double(score)


@command("zmscore", arity=-3, flags="readonly fast", keys=(1, 1, 1), group="sorted-set")
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


@command("zrank", arity=3, flags="readonly fast", keys=(1, 1, 1), group="sorted-set")
def zrank(client: Client, argv: list[bytes]) -> object:
    """Determine the index of a member in a sorted set."""
    return _rank(client, argv, reverse=False)


@command("zrevrank", arity=3, flags="readonly fast", keys=(1, 1, 1), group="sorted-set")
def zrevrank(client: Client, argv: list[bytes]) -> object:
    """Determine the index of a member, with scores ordered from high to low."""
    return _rank(client, argv, reverse=True)


# -- ranges -------------------------------------------------------------------------------------


RANK, SCORE, LEX = "rank", "score", "lex"


class RangeQuery:
    """One ZRANGE-family request: what kind of range, its bounds, direction and LIMIT."""

    def __init__(self, kind: str, low: bytes, high: bytes, reverse: bool,
                 offset: int = 0, limit: int = -1) -> None:
        if reverse and kind != RANK:
            low, high = high, low  # given as max min
        self.kind = kind
        self.reverse = reverse
        self.offset, self.limit = offset, limit
        if kind == RANK:
            self.bounds = (parse_int(low), parse_int(high))
        else:
            self.range = ScoreRange(low, high) if kind == SCORE else LexRange(low, high)

    def select(self, store: ZsetStore, collection: Collection) -> Pairs:
        """The members (with scores) the request covers, in reply order."""
        entries = store.ranks(collection)
        length = len(entries)
        if self.kind == RANK:
            start, stop = rank_bounds(*self.bounds, length)
            if self.reverse:
                start, stop = length - stop, length - start
            chosen = entries[start:stop]
            return store.decode(chosen[::-1] if self.reverse else chosen)
        start, stop = self.range.bounds(entries)
        if self.offset < 0:
            return []
        if self.reverse:
            stop -= self.offset
            first = stop - self.limit if self.limit >= 0 else start
            chosen = entries[max(start, first):max(stop, start)][::-1]
        else:
            start += self.offset
            last = start + self.limit if self.limit >= 0 else stop
            chosen = entries[min(start, stop):min(stop, last)]
        return store.decode(chosen)

    def count(self, store: ZsetStore, collection: Collection) -> int:
        start, stop = self.range.bounds(store.ranks(collection))
        return stop - start


def _parse_range_options(argv: list[bytes], first: int, kind: str | None, reverse: bool | None,
                         allow_scores: bool) -> tuple[str, bool, bool, int, int]:
    """ZRANGE's trailing options as Redis' zrangeGenericCommand reads them."""
    with_scores = False
    offset, limit, has_limit = 0, -1, False
    index = first
    while index < len(argv):
        option = argv[index].upper()
        left = len(argv) - index - 1
        if option == b"WITHSCORES" and allow_scores:
            with_scores = True
        elif option == b"LIMIT" and left >= 2:
            offset, limit, has_limit = parse_int(argv[index + 1]), parse_int(argv[index + 2]), True
            index += 2
        elif reverse is None and option == b"REV":
            reverse = True
        elif kind is None and option == b"BYLEX":
            kind = LEX
        elif kind is None and option == b"BYSCORE":
            kind = SCORE
        else:
            raise SyntaxErrorReply()
        index += 1
    kind = kind or RANK
    if has_limit and kind == RANK:
        raise CommandError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    if with_scores and kind == LEX:
        raise CommandError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    return kind, bool(reverse), with_scores, offset, limit


def _range(client: Client, argv: list[bytes], kind: str | None, reverse: bool | None,
           store_into: bytes | None = None) -> object:
    """The ZRANGE family: ``[dst] key min max [options]``."""
    first = 2 if store_into is not None else 1
    key, low, high = argv[first], argv[first + 1], argv[first + 2]
    kind, reverse, with_scores, offset, limit = _parse_range_options(
        argv, first + 3, kind, reverse, allow_scores=store_into is None)
    query = RangeQuery(kind, low, high, reverse, offset, limit)
    store = client.keyspace.zsets
    collection = store.open(key)
    pairs = [] if collection is None else query.select(store, collection)
    if store_into is not None:
        return store_result(client, store_into, pairs)
    return scored(client, pairs, with_scores)


@command("zrange", arity=-4, flags="readonly", keys=(1, 1, 1), group="sorted-set")
def zrange(client: Client, argv: list[bytes]) -> object:
    """Return a range of members in a sorted set (by index, score or lex)."""
    return _range(client, argv, None, None)


@command("zrangestore", arity=-5, flags="write denyoom", keys=(1, 2, 1), group="sorted-set")
def zrangestore(client: Client, argv: list[bytes]) -> object:
    """Store a range of members from a sorted set into another key."""
    return _range(client, argv, None, None, store_into=argv[1])


@command("zrevrange", arity=-4, flags="readonly", keys=(1, 1, 1), group="sorted-set")
def zrevrange(client: Client, argv: list[bytes]) -> object:
    """Return a range of members by index, with scores ordered from high to low."""
    return _range(client, argv, RANK, True)


@command("zrangebyscore", arity=-4, flags="readonly", keys=(1, 1, 1), group="sorted-set")
def zrangebyscore(client: Client, argv: list[bytes]) -> object:
    """Return a range of members in a sorted set, by score."""
    return _range(client, argv, SCORE, False)


@command("zrevrangebyscore", arity=-4, flags="readonly", keys=(1, 1, 1), group="sorted-set")
def zrevrangebyscore(client: Client, argv: list[bytes]) -> object:
    """Return a range of members by score, with scores ordered from high to low."""
    return _range(client, argv, SCORE, True)


@command("zrangebylex", arity=-4, flags="readonly", keys=(1, 1, 1), group="sorted-set")
def zrangebylex(client: Client, argv: list[bytes]) -> object:
    """Return a range of members in a sorted set, by lexicographical range."""
    return _range(client, argv, LEX, False)


@command("zrevrangebylex", arity=-4, flags="readonly", keys=(1, 1, 1), group="sorted-set")
def zrevrangebylex(client: Client, argv: list[bytes]) -> object:
    """Return a range of members by lexicographical range, ordered from higher to lower."""
    return _range(client, argv, LEX, True)


def _count(client: Client, argv: list[bytes], kind: str) -> object:
    query = RangeQuery(kind, argv[2], argv[3], reverse=False)
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    return 0 if collection is None else query.count(store, collection)


@command("zcount", arity=4, flags="readonly fast", keys=(1, 1, 1), group="sorted-set")
def zcount(client: Client, argv: list[bytes]) -> object:
    """Count the members in a sorted set with scores within the given values."""
    return _count(client, argv, SCORE)


@command("zlexcount", arity=4, flags="readonly fast", keys=(1, 1, 1), group="sorted-set")
def zlexcount(client: Client, argv: list[bytes]) -> object:
    """Count the members in a sorted set between a given lexicographical range."""
    return _count(client, argv, LEX)


def _remove_range(client: Client, argv: list[bytes], kind: str) -> object:
    query = RangeQuery(kind, argv[2], argv[3], reverse=False)
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    if collection is None:
        return 0
    pairs = query.select(store, collection)
    remove_members(store, collection, pairs)
    return len(pairs)


@command("zremrangebyrank", arity=4, flags="write", keys=(1, 1, 1), group="sorted-set")
def zremrangebyrank(client: Client, argv: list[bytes]) -> object:
    """Remove all members in a sorted set within the given indexes."""
    return _remove_range(client, argv, RANK)


@command("zremrangebyscore", arity=4, flags="write", keys=(1, 1, 1), group="sorted-set")
def zremrangebyscore(client: Client, argv: list[bytes]) -> object:
    """Remove all members in a sorted set within the given scores."""
    return _remove_range(client, argv, SCORE)


@command("zremrangebylex", arity=4, flags="write", keys=(1, 1, 1), group="sorted-set")
def zremrangebylex(client: Client, argv: list[bytes]) -> object:
    """Remove all members in a sorted set between the given lexicographical range."""
    return _remove_range(client, argv, LEX)


# -- popping and random members ----------------------------------------------------------------



def pop_extremes(store: ZsetStore, collection: Collection, count: int, highest: bool) -> Pairs:
    """Remove and return the ``count`` lowest (or highest) members."""
    entries = store.ranks(collection)
    chosen = entries[len(entries) - count:][::-1] if highest else entries[:count]
    pairs = store.decode(chosen)
    remove_members(store, collection, pairs)
    return pairs


def _pop(client: Client, argv: list[bytes], highest: bool) -> object:
    if len(argv) > 3:
        raise SyntaxErrorReply()
    count = 1
    if len(argv) == 3:
        count = parse_count(argv[2])
    store = client.keyspace.zsets
    collection = store.open(argv[1])
    if collection is None or not count:
        return []
    pairs = pop_extremes(store, collection, count, highest)
    if client.resp == 3 and len(argv) == 3:
        return scored(client, pairs, True)
    return [part for member, score in pairs for part in (member, Double(score))]


@command("zpopmin", arity=-2, flags="write fast", keys=(1, 1, 1), group="sorted-set")
def zpopmin(client: Client, argv: list[bytes]) -> object:
    """Remove and return members with the lowest scores in a sorted set."""
    return _pop(client, argv, highest=False)


@command("zpopmax", arity=-2, flags="write fast", keys=(1, 1, 1), group="sorted-set")
def zpopmax(client: Client, argv: list[bytes]) -> object:
    """Remove and return members with the highest scores in a sorted set."""
    return _pop(client, argv, highest=True)


def _blocking_pop(client: Client, argv: list[bytes], highest: bool) -> object:
    timeout = parse_timeout(argv[-1])
    store = client.keyspace.zsets
    keys = argv[1:-1]
    for key in keys:
        collection = store.open(key)
        if collection is not None:
            member, score = pop_extremes(store, collection, 1, highest)[0]
            return [key, member, Double(score)]
    return Block(keys, timeout, NULL_ARRAY)


@command("bzpopmin", arity=-3, flags="write fast blocking", keys=(1, -2, 1), group="sorted-set")
def bzpopmin(client: Client, argv: list[bytes]) -> object:
    """Remove and return the member with the lowest score, or block until one is available."""
    return _blocking_pop(client, argv, highest=False)


@command("bzpopmax", arity=-3, flags="write fast blocking", keys=(1, -2, 1), group="sorted-set")
def bzpopmax(client: Client, argv: list[bytes]) -> object:
    """Remove and return the member with the highest score, or block until one is available."""
    return _blocking_pop(client, argv, highest=True)


@command("zrandmember", arity=-2, flags="readonly", keys=(1, 1, 1), group="sorted-set")
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


@command("zscan", arity=-3, flags="readonly", keys=(1, 1, 1), group="sorted-set")
def zscan(client: Client, argv: list[bytes]) -> object:
    """Incrementally iterate sorted sets elements and associated scores."""
    return scan_collection(client, client.keyspace.zsets, argv,
                           lambda member, raw: (member, d2string(ZsetStore.unpack_score(raw))), prefix=b"m")

