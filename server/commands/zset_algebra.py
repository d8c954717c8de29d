"""ZUNION, ZINTER, ZDIFF (and their STORE forms), ZINTERCARD: sorted sets (and plain sets,
whose members count with score 1) combined with weights and an aggregate."""

from __future__ import annotations

import math
from typing import Callable

from pypika_store.errors import LimitNegativeError, SyntaxErrorReply, WeightNotFloatError, WrongTypeError, no_input_key
from pypika_store.keyspace import Keyspace
from pypika_store.storage.records import TAG_SET, TAG_ZSET

from ..connection import Client
from ..registry import command, key_at, keynum
from ..arguments import Arguments, parse_int
from .zsets import scored

UNION, INTER, DIFF = "union", "inter", "diff"

_AGGREGATES: dict[bytes, Callable[[float, float], float]] = {
    b"SUM": lambda total, value: total + value,
    b"MIN": min,
    b"MAX": max,
}


def _scores_of(keyspace: Keyspace, key: bytes) -> dict[bytes, float] | None:
    """The members of a sorted set or a set (score 1); None for a missing key."""
    record = keyspace.get_record(key)
    if record is None:
        return None
    if record.tag == TAG_ZSET:
        store = keyspace.zsets
        return dict(store.iter_scores(store.open(key)))  # type: ignore[arg-type]
    if record.tag == TAG_SET:
        return dict.fromkeys(keyspace.sets.members(key), 1.0)
    raise WrongTypeError()


def _numkeys(argv: list[bytes], index: int) -> int:
    numkeys = parse_int(argv[index])
    if numkeys < 1:
        raise no_input_key(argv)
    if numkeys > len(argv) - index - 1:
        raise SyntaxErrorReply()
    return numkeys


def _combine(kind: str, inputs: list[dict[bytes, float] | None], weights: list[float],
             aggregate: Callable[[float, float], float]) -> list[tuple[bytes, float]]:
    """The result in Redis' order (by score, then member)."""
    def weighted(value: float, weight: float) -> float:
        product = value * weight
        return 0.0 if math.isnan(product) else product

    result: dict[bytes, float] = {}
    if kind == DIFF:
        result = dict(inputs[0] or {})
        for other in inputs[1:]:
            for member in other or ():
                result.pop(member, None)
    elif kind == UNION:
        for scores, weight in zip(inputs, weights):
            for member, value in (scores or {}).items():
                value = weighted(value, weight)
                if member in result:
                    value = aggregate(result[member], value)
                    value = 0.0 if math.isnan(value) else value
                result[member] = value
    elif all(inputs):
        smallest = min(range(len(inputs)), key=lambda i: len(inputs[i]))  # type: ignore[arg-type]
        for member in inputs[smallest]:  # type: ignore[union-attr]
            if all(member in scores for scores in inputs):  # type: ignore[operator]
                total = weighted(inputs[0][member], weights[0])  # type: ignore[index]
                for scores, weight in zip(inputs[1:], weights[1:]):
                    total = aggregate(total, weighted(scores[member], weight))  # type: ignore[index]
                    total = 0.0 if math.isnan(total) else total
                result[member] = total
    return sorted(result.items(), key=lambda pair: (pair[1], pair[0]))


def _algebra(client: Client, argv: list[bytes], kind: str, store_into: bytes | None) -> object:
    """``[dst] numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]``."""
    numkeys_index = 2 if store_into is not None else 1
    numkeys = _numkeys(argv, numkeys_index)
    keys = argv[numkeys_index + 1:numkeys_index + 1 + numkeys]
    inputs = [_scores_of(client.keyspace, key) for key in keys]
    weights = [1.0] * numkeys
    aggregate = _AGGREGATES[b"SUM"]
    with_scores = False
    args = Arguments(argv, numkeys_index + 1 + numkeys)
    while args:
        option = args.keyword()
        if kind != DIFF and option == b"WEIGHTS" and args.remaining() >= numkeys:
            weights = [args.take_double(WeightNotFloatError) for _ in range(numkeys)]
        elif kind != DIFF and option == b"AGGREGATE" and args:
            aggregate = _AGGREGATES.get(args.keyword())  # type: ignore[assignment]
            if aggregate is None:
                raise SyntaxErrorReply()
        elif store_into is None and option == b"WITHSCORES":
            with_scores = True
        else:
            raise SyntaxErrorReply()
    pairs = _combine(kind, inputs, weights, aggregate)
    if store_into is not None:
        return client.keyspace.zsets.replace(store_into, pairs, b"z%sstore" % kind.encode())
    return scored(client, pairs, with_scores)


@command("zunion", arity=-3, flags="readonly", keys=(keynum(1, "RO access"),), group="sorted-set",
         syntax="numkeys:integer key [key ...] [WEIGHTS weight:integer [weight ...]] "
                "[AGGREGATE aggregate:<SUM | MIN | MAX>] [WITHSCORES]")
def zunion(client: Client, argv: list[bytes]) -> object:
    """Add multiple sorted sets."""
    return _algebra(client, argv, UNION, None)


@command("zinter", arity=-3, flags="readonly", keys=(keynum(1, "RO access"),), group="sorted-set",
         syntax="numkeys:integer key [key ...] [WEIGHTS weight:integer [weight ...]] "
                "[AGGREGATE aggregate:<SUM | MIN | MAX>] [WITHSCORES]")
def zinter(client: Client, argv: list[bytes]) -> object:
    """Intersect multiple sorted sets."""
    return _algebra(client, argv, INTER, None)


@command("zdiff", arity=-3, flags="readonly", keys=(keynum(1, "RO access"),), group="sorted-set",
         syntax="numkeys:integer key [key ...] [WITHSCORES]")
def zdiff(client: Client, argv: list[bytes]) -> object:
    """Subtract multiple sorted sets."""
    return _algebra(client, argv, DIFF, None)


@command("zunionstore", arity=-4, flags="write denyoom", keys=(key_at(1, "OW update"), keynum(2, "RO access")),
         group="sorted-set",
         syntax="destination:key numkeys:integer key [key ...] [WEIGHTS weight:integer [weight ...]] "
                "[AGGREGATE aggregate:<SUM | MIN | MAX>]")
def zunionstore(client: Client, argv: list[bytes]) -> object:
    """Add multiple sorted sets and store the resulting sorted set in a new key."""
    return _algebra(client, argv, UNION, argv[1])


@command("zinterstore", arity=-4, flags="write denyoom", keys=(key_at(1, "OW update"), keynum(2, "RO access")),
         group="sorted-set",
         syntax="destination:key numkeys:integer key [key ...] [WEIGHTS weight:integer [weight ...]] "
                "[AGGREGATE aggregate:<SUM | MIN | MAX>]")
def zinterstore(client: Client, argv: list[bytes]) -> object:
    """Intersect multiple sorted sets and store the resulting sorted set in a new key."""
    return _algebra(client, argv, INTER, argv[1])


@command("zdiffstore", arity=-4, flags="write denyoom", keys=(key_at(1, "OW update"), keynum(2, "RO access")),
         group="sorted-set", syntax="destination:key numkeys:integer key [key ...]")
def zdiffstore(client: Client, argv: list[bytes]) -> object:
    """Subtract multiple sorted sets and store the resulting sorted set in a new key."""
    return _algebra(client, argv, DIFF, argv[1])


@command("zintercard", arity=-3, flags="readonly", keys=(keynum(1, "RO access"),), group="sorted-set",
         syntax="numkeys:integer key [key ...] [LIMIT limit:integer]")
def zintercard(client: Client, argv: list[bytes]) -> object:
    """Intersect multiple sorted sets and return the cardinality of the result."""
    numkeys = _numkeys(argv, 1)
    limit = 0
    rest = argv[2 + numkeys:]
    if rest:
        if len(rest) != 2 or rest[0].upper() != b"LIMIT":
            raise SyntaxErrorReply()
        limit = parse_int(rest[1], LimitNegativeError)
        if limit < 0:
            raise LimitNegativeError()
    inputs = [_scores_of(client.keyspace, key) for key in argv[2:2 + numkeys]]
    size = len(_combine(INTER, inputs, [1.0] * numkeys, _AGGREGATES[b"SUM"]))
    return min(size, limit) if limit else size
