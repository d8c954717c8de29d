"""Stream commands (XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD, XSETID, XINFO), with
Redis 7.0's replies and error texts, over the stream store. The consumer-group commands
(XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) are in stream_groups.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import partial

from pypika_store.errors import (
    block_from_script,
    GreaterIdOutsideGroupError,
    InvalidStreamIdError,
    NoSuchKeyError,
    NotIntegerError,
    SyntaxErrorReply,
    TimeoutNegativeError,
    TimeoutNotIntegerError,
    UnbalancedStreamsError,
    XaddIdZeroError,
    XsetidMaxDeletedTooLargeError,
    invalid_interval_id,
    must_be_non_negative,
    must_be_positive,
    no_such_group,
    syntax_error,
    subcommand_syntax_error,
    wrong_arity,
    xreadgroup_only,
)
from pypika_store.types.collection import Collection
from pypika_store.types.stream_groups import UNKNOWN_ENTRIES_READ, Group
from pypika_store.types.stream_ids import MAX_ID, MIN_ID, U64_MAX, StreamId, format_id, next_id, previous_id
from pypika_store.types.streams import NODE_MAX_ENTRIES, Entry, StreamStore, Trim

from ..blocking import Block
from ..connection import Client
from ..registry import BeginIndex, FindRange, KeySpec, after_keyword, command, container, help_reply, key_at
from ..resp.replies import NULL_ARRAY, OK, Map
from ..arguments import Arguments, c_string, parse_int

#: Redis reads an ID argument into a 128-byte buffer: longer ones are invalid.
_ID_TEXT_MAX = 127
#: What C's isspace() skips before a number (strtoull).
_C_SPACES = b" \t\n\v\f\r"
#: Entries trimmed at most by ``~`` without LIMIT: 100 nodes, as Redis sets it.
_APPROX_LIMIT = 100 * NODE_MAX_ENTRIES
#: XREAD's COUNT once it blocked without one (Redis' XREAD_BLOCKED_DEFAULT_COUNT).
_BLOCKED_DEFAULT_COUNT = 1000


# -- IDs ----------------------------------------------------------------------------------------------


def _string2ull(text: bytes) -> int | None:
    """An unsigned 64-bit number as Redis' string2ull reads it: strictly as a signed number
    first, else as strtoull does (leading spaces, a sign, leading zeros; '-' wraps around)."""
    try:
        value = parse_int(text)
    except NotIntegerError:
        pass
    else:
        return value if value >= 0 else None
    body = text.lstrip(_C_SPACES)
    digits = body[1:] if body[:1] in (b"+", b"-") else body
    if not digits.isdigit() or int(digits) > U64_MAX:
        return None
    return (-int(digits)) % (U64_MAX + 1) if body[:1] == b"-" else int(digits)


def _parse_id(arg: bytes, missing_seq: int, strict: bool, auto_seq: bool) -> tuple[StreamId, bool]:
    """``<ms>-<seq>``, ``<ms>`` (the sequence is ``missing_seq``), ``-`` and ``+`` (refused
    when ``strict``), ``<ms>-*`` when ``auto_seq``; with whether the sequence was given."""
    if len(arg) > _ID_TEXT_MAX:
        raise InvalidStreamIdError()
    text = c_string(arg)
    if text in (b"-", b"+"):
        if strict:
            raise InvalidStreamIdError()
        return (MIN_ID if text == b"-" else MAX_ID), True
    ms_text, dash, seq_text = text.partition(b"-")
    ms = _string2ull(ms_text)
    seq_given = not (auto_seq and dash and seq_text == b"*")
    seq = (_string2ull(seq_text) if seq_given else 0) if dash else missing_seq
    if ms is None or seq is None:
        raise InvalidStreamIdError()
    return (ms, seq), seq_given


def parse_id(arg: bytes, missing_seq: int = 0, strict: bool = False) -> StreamId:
    return _parse_id(arg, missing_seq, strict, auto_seq=False)[0]


def _interval_bound(arg: bytes, missing_seq: int) -> tuple[StreamId, bool]:
    """An XRANGE bound and whether it is exclusive (``(`` before a strict ID)."""
    if len(arg) > 1 and arg[:1] == b"(":
        return parse_id(arg[1:], missing_seq, strict=True), True
    return parse_id(arg, missing_seq), False


def interval(start_arg: bytes, end_arg: bytes) -> tuple[StreamId, StreamId]:
    """XRANGE's inclusive bounds: an incomplete start gets sequence 0, an end the largest;
    exclusive bounds move one ID inwards."""
    start, exclusive = _interval_bound(start_arg, 0)
    if exclusive:
        start = next_id(start)  # type: ignore[assignment]
        if start is None:
            raise invalid_interval_id("start")
    end, exclusive = _interval_bound(end_arg, U64_MAX)
    if exclusive:
        end = previous_id(end)  # type: ignore[assignment]
        if end is None:
            raise invalid_interval_id("end")
    return start, end


# -- replies ------------------------------------------------------------------------------------------


def entry_reply(entry: Entry) -> list:
    return [format_id(entry.id), entry.fields]


def entries_reply(entries: list[Entry]) -> list:
    return [entry_reply(entry) for entry in entries]


def existing_stream(streams: StreamStore, key: bytes) -> Collection:
    collection = streams.open(key)
    if collection is None:
        raise NoSuchKeyError()
    return collection


# -- XADD and XTRIM -----------------------------------------------------------------------------------


@dataclass
class _AddOptions:
    """What XADD or XTRIM asked for, before the fields."""

    trim: Trim | None
    no_create: bool
    #: Where the ID is in XADD's argv (the fields follow it).
    id_position: int
    #: The requested ID (None: ``*``); ``seq_given`` False for ``<ms>-*``.
    new_id: StreamId | None
    seq_given: bool


def _parse_strategy(option: bytes, args: Arguments) -> Trim:
    """The rest of ``MAXLEN [=|~] n`` or ``MINID [=|~] id`` once ``option`` was read (at
    least one argument follows it)."""
    approx = False
    marker = c_string(args.peek())  # type: ignore[arg-type]
    if args.remaining() >= 2 and marker in (b"~", b"="):
        approx = marker == b"~"
        args.take()
    if option == b"MINID":
        return Trim(minid=parse_id(args.take(), strict=True), approx=approx)
    maxlen = args.take_int()
    if maxlen < 0:
        raise must_be_non_negative("MAXLEN")
    return Trim(maxlen=maxlen, approx=approx)


def _parse_trim_options(argv: list[bytes], xadd: bool) -> _AddOptions:
    """The options of XADD (up to its ID) or XTRIM, with Redis' checks in Redis' order."""
    trim: Trim | None = None
    limit: int | None = None
    options = _AddOptions(trim=None, no_create=False, id_position=len(argv), new_id=None, seq_given=True)
    args = Arguments(argv, 2)
    while args:
        position = args.index
        option = args.keyword()
        more = args.remaining()
        if xadd and option == b"*":
            options.id_position = position
            break
        if option in (b"MAXLEN", b"MINID") and more:
            if trim is not None:
                raise syntax_error("MAXLEN and MINID options at the same time are not compatible")
            trim = _parse_strategy(option, args)
        elif option == b"LIMIT" and more:
            limit = args.take_int()
            if limit < 0:
                raise must_be_non_negative("LIMIT")
        elif xadd and option == b"NOMKSTREAM":
            options.no_create = True
        elif xadd:
            options.new_id, options.seq_given = _parse_id(argv[position], 0, strict=True, auto_seq=True)
            options.id_position = position
            break
        else:
            raise SyntaxErrorReply()
    if limit and trim is None:
        raise syntax_error("LIMIT cannot be used without specifying a trimming strategy")
    if not xadd and trim is None:
        raise syntax_error("XTRIM must be called with a trimming strategy")
    if limit is not None and (trim is None or not trim.approx):
        raise syntax_error("LIMIT cannot be used without the special ~ option")
    if trim is not None:
        trim.limit = limit if limit is not None else (_APPROX_LIMIT if trim.approx else 0)
    options.trim = trim
    return options


@command("xadd", arity=-5, flags="write denyoom fast", group="stream", keys=(
    KeySpec(BeginIndex(1), FindRange(), ("RW", "update"),
            notes="UPDATE instead of INSERT because of the optional trimming feature"),),
         syntax="key [NOMKSTREAM] "
                "trim:[strategy:<MAXLEN | MINID> operator:[equal:= | approximately:~] threshold [LIMIT "
                "count:integer]] id_or_auto:<auto_id:* | id> field_value:<field value> [field_value ...]")
def xadd(client: Client, argv: list[bytes]) -> object:
    """Append a new entry to a stream (creating it unless NOMKSTREAM), then trim it if asked."""
    options = _parse_trim_options(argv, xadd=True)
    fields = argv[options.id_position + 1:]
    if len(fields) < 2 or len(fields) % 2:
        raise wrong_arity(argv)
    if options.new_id == MIN_ID and options.seq_given:
        raise XaddIdZeroError()
    new_id = client.keyspace.streams.add(argv[1], fields, options.new_id, options.seq_given,
                                         client.server.engine.now_ms(), options.trim, not options.no_create)
    return None if new_id is None else format_id(new_id)


@command("xtrim", arity=-4, flags="write", keys=(key_at(1, "RW delete"),), group="stream",
         syntax="key "
                "trim:<strategy:<MAXLEN | MINID> operator:[equal:= | approximately:~] threshold [LIMIT count:integer]>")
def xtrim(client: Client, argv: list[bytes]) -> object:
    """Trim a stream to a length (MAXLEN) or a lowest ID (MINID); how many entries went."""
    options = _parse_trim_options(argv, xadd=False)
    return client.keyspace.streams.trim(argv[1], options.trim)  # type: ignore[arg-type]


# -- reading and deleting -----------------------------------------------------------------------------


@command("xlen", arity=2, flags="readonly fast", keys=(key_at(1, "RO"),), group="stream", syntax="key")
def xlen(client: Client, argv: list[bytes]) -> object:
    """Return the number of entries in a stream."""
    return client.keyspace.streams.length(argv[1])


def _range_count(argv: list[bytes]) -> int | None:
    """XRANGE's ``COUNT n`` options (the last one counts; negative is 0); None without."""
    count = None
    args = Arguments(argv, 4)
    while args:
        if args.keyword() != b"COUNT" or not args:
            raise SyntaxErrorReply()
        count = max(args.take_int(), 0)
    return count


def _range(client: Client, argv: list[bytes], reverse: bool) -> object:
    start, end = interval(argv[3], argv[2]) if reverse else interval(argv[2], argv[3])
    count = _range_count(argv)
    streams: StreamStore = client.keyspace.streams
    collection = streams.open(argv[1])
    if collection is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return entries_reply(streams.range(collection, start, end, count or 0, reverse))


command("xrange", -4, "readonly", (1, 1, 1), group="stream",
        summary="Return the entries with IDs in a range, oldest first.",
        syntax="key start end [COUNT count:integer]")(partial(_range, reverse=False))
command("xrevrange", -4, "readonly", (1, 1, 1), group="stream",
        summary="Return the entries with IDs in a range (end first), newest first.",
        syntax="key end start [COUNT count:integer]")(partial(_range, reverse=True))


@command("xdel", arity=-3, flags="write fast", keys=(key_at(1, "RW delete"),), group="stream", syntax="key id [id ...]")
def xdel(client: Client, argv: list[bytes]) -> object:
    """Remove entries by ID; how many existed."""
    streams: StreamStore = client.keyspace.streams
    if streams.open(argv[1]) is None:  # a missing key answers 0 before its IDs are read
        return 0
    return streams.delete_entries(argv[1], [parse_id(arg, strict=True) for arg in argv[2:]])


# -- XREAD --------------------------------------------------------------------------------------------


@dataclass
class ReadOptions:
    """XREAD's and XREADGROUP's options: BLOCK milliseconds (None without), COUNT (0: all),
    the index of the first key after STREAMS, and XREADGROUP's GROUP and NOACK."""

    timeout: int | None = None
    count: int = 0
    first_key: int = 0
    group: bytes | None = None
    consumer: bytes = b""
    noack: bool = False

    def keys_and_ids(self, argv: list[bytes]) -> tuple[list[bytes], list[bytes]]:
        half = (len(argv) - self.first_key) // 2
        return argv[self.first_key:self.first_key + half], argv[self.first_key + half:]


def parse_read_options(client: Client, argv: list[bytes], with_group: bool) -> ReadOptions:
    """XREAD's (``with_group`` False) or XREADGROUP's options, checked in Redis' order (BLOCK
    refused from a script, as Redis refuses it)."""
    options = ReadOptions()
    args = Arguments(argv, 1)
    while args:
        option = args.keyword()
        more = args.remaining()
        if option == b"BLOCK" and more:
            if client.server.dispatcher.scripting.runs_as(client):
                raise block_from_script(argv[0])
            options.timeout = args.take_int(TimeoutNotIntegerError)
            if options.timeout < 0:
                raise TimeoutNegativeError()
        elif option == b"COUNT" and more:
            options.count = max(args.take_int(), 0)
        elif option == b"STREAMS" and more:
            if more % 2:
                raise UnbalancedStreamsError()
            options.first_key = args.index
            return options
        elif option == b"GROUP" and more >= 2:
            if not with_group:
                raise xreadgroup_only("GROUP")
            options.group, options.consumer = args.take(), args.take()
        elif option == b"NOACK":
            if not with_group:
                raise xreadgroup_only("NOACK")
            options.noack = True
        else:
            raise SyntaxErrorReply()
    raise SyntaxErrorReply()  # no STREAMS


def _read_positions(streams: StreamStore, keys: list[bytes], id_args: list[bytes]) -> list[StreamId]:
    """The ID after which each stream is read; ``$`` is the stream's last ID now (0-0 for a
    missing stream). Each key is type-checked before its ID is parsed, as in Redis."""
    positions = []
    for key, arg in zip(keys, id_args):
        collection = streams.open(key)
        text = c_string(arg)
        if text == b"$":
            positions.append(MIN_ID if collection is None else streams.state(collection).last_id)
        elif text == b">":
            raise GreaterIdOutsideGroupError()
        else:
            positions.append(parse_id(arg, strict=True))
    return positions


def _entries_after(streams: StreamStore, key: bytes, after: StreamId, count: int) -> list[Entry]:
    collection = streams.open(key)
    start = next_id(after)
    if collection is None or start is None:
        return []
    return streams.range(collection, start, MAX_ID, count)


@command("xread", arity=-4, flags="readonly blocking", keys=(after_keyword("STREAMS", "RO access", limit=2),),
         group="stream",
         syntax="[COUNT count:integer] [BLOCK milliseconds:integer] STREAMS streams:<key [key ...] id [id ...]>")
def xread(client: Client, argv: list[bytes]) -> object:
    """Read entries newer than the given IDs from one or more streams; BLOCK waits for some.

    A blocked client runs again with the IDs it resolved (``$`` fixed to the last ID it saw)
    and COUNT 1000 when it gave none, as Redis serves blocked readers."""
    options = parse_read_options(client, argv, with_group=False)
    timeout, count = options.timeout, options.count
    keys, id_args = options.keys_and_ids(argv)
    streams: StreamStore = client.keyspace.streams
    positions = _read_positions(streams, keys, id_args)
    served = []
    for key, after in zip(keys, positions):
        entries = _entries_after(streams, key, after, count)
        if entries:
            served.append((key, entries_reply(entries)))
    if served:
        return Map(served) if client.resp == 3 else served
    if timeout is None:
        return NULL_ARRAY
    retry = [b"xread", b"COUNT", b"%d" % (count or _BLOCKED_DEFAULT_COUNT), b"BLOCK", b"%d" % timeout,
             b"STREAMS", *keys, *(format_id(position) for position in positions)]
    return Block(keys, timeout / 1000, NULL_ARRAY, retry_argv=retry, consumes=False)


# -- XSETID ---------------------------------------------------------------------------------------------


@command("xsetid", arity=-3, flags="write denyoom fast", keys=(key_at(1, "RW update"),), group="stream",
         syntax="key last-id [ENTRIESADDED entries_added:integer] [MAXDELETEDID max_deleted_entry_id]")
def xsetid(client: Client, argv: list[bytes]) -> object:
    """Set a stream's last ID (and ENTRIESADDED, MAXDELETEDID): what replication restores."""
    last = parse_id(argv[2], strict=True)
    entries_added: int | None = None
    max_deleted: StreamId | None = None
    args = Arguments(argv, 3)
    while args:
        option = args.keyword()
        if not args or option not in (b"ENTRIESADDED", b"MAXDELETEDID"):
            raise SyntaxErrorReply()
        if option == b"ENTRIESADDED":
            entries_added = args.take_int()
            if entries_added < 0:
                raise must_be_positive("entries_added")
        else:
            max_deleted = parse_id(args.take(), strict=True)
            if last < max_deleted:
                raise XsetidMaxDeletedTooLargeError()
    client.keyspace.streams.set_id(argv[1], last, entries_added, max_deleted)
    return OK


# -- XINFO ----------------------------------------------------------------------------------------------

container("xinfo", arity=-2, flags="", group="stream")


@command("xinfo|consumers", arity=4, flags="readonly", keys=(2, 2, 1), group="stream",
         help=("CONSUMERS <key> <groupname>", "    Show consumers of <groupname>."), syntax="key groupname")
def xinfo_consumers(client: Client, argv: list[bytes]) -> object:
    """List the consumers of a consumer group: their pending counts and idle times."""
    streams: StreamStore = client.keyspace.streams
    collection = existing_stream(streams, argv[2])
    group = streams.group(collection, argv[3])
    if group is None:
        raise no_such_group(c_string(argv[2]), c_string(argv[3]))
    now = client.server.engine.now_ms()
    return [Map([(b"name", consumer.name), (b"pending", consumer.pending), (b"idle", max(now - consumer.seen_ms, 0))])
            for consumer in streams.consumers(collection, group)]


@command("xinfo|groups", arity=3, flags="readonly", keys=(2, 2, 1), group="stream",
         help=("GROUPS <key>", "    Show the stream consumer groups."), syntax="key")
def xinfo_groups(client: Client, argv: list[bytes]) -> object:
    """List the consumer groups of a stream: consumers, pending entries, position and lag."""
    streams: StreamStore = client.keyspace.streams
    collection = existing_stream(streams, argv[2])
    entries_added = streams.state(collection).entries_added
    return [Map([(b"name", group.name), (b"consumers", group.consumers), (b"pending", group.pending),
                 (b"last-delivered-id", format_id(group.last_id)), (b"entries-read", _entries_read(group)),
                 (b"lag", streams.lag(collection, group, entries_added))])
            for group in streams.groups(collection)]


def _entries_read(group: Group) -> int | None:
    return None if group.entries_read == UNKNOWN_ENTRIES_READ else group.entries_read


def _full_groups(streams: StreamStore, collection: Collection, count: int) -> list:
    """XINFO STREAM FULL's groups: each with its PEL and consumers (``count`` entries of each
    PEL at most; 0: all), delivery and seen times as unix milliseconds."""
    entries_added = streams.state(collection).entries_added
    groups = []
    for group in streams.groups(collection):
        pel = list(itertools.islice(streams.pending_entries(collection, group), count or None))
        consumers = []
        for consumer in streams.consumers(collection, group):
            owned = itertools.islice(streams.pending_entries(collection, group, consumer=consumer.name), count or None)
            consumers.append(Map([
                (b"name", consumer.name), (b"seen-time", consumer.seen_ms), (b"pel-count", consumer.pending),
                (b"pending", [[format_id(p.id), p.delivery_ms, p.delivery_count] for p in owned])]))
        groups.append(Map([
            (b"name", group.name), (b"last-delivered-id", format_id(group.last_id)),
            (b"entries-read", _entries_read(group)), (b"lag", streams.lag(collection, group, entries_added)),
            (b"pel-count", group.pending),
            (b"pending", [[format_id(p.id), p.consumer, p.delivery_ms, p.delivery_count] for p in pel]),
            (b"consumers", consumers)]))
    return groups


def _xinfo_stream_options(argv: list[bytes]) -> tuple[bool, int]:
    """``[FULL [COUNT n]]``: whether FULL, and how many entries it lists (0: all)."""
    options = [c_string(option).upper() for option in argv[3:]]
    if not options:
        return False, 0
    if len(options) not in (1, 3) or options[0] != b"FULL" or (len(options) == 3 and options[1] != b"COUNT"):
        raise subcommand_syntax_error(argv)
    count = parse_int(argv[5]) if len(options) == 3 else 10
    return True, 10 if count < 0 else count


def _edge_reply(entry: Entry | None) -> list | None:
    return None if entry is None else entry_reply(entry)


@command("xinfo|stream", arity=-3, flags="readonly", keys=(2, 2, 1), group="stream",
         help=("STREAM <key> [FULL [COUNT <count>]", "    Show information about the stream."),
         syntax="key [FULL full:<[COUNT count:integer]>]")
def xinfo_stream(client: Client, argv: list[bytes]) -> object:
    """Get information about a stream (FULL: with its entries).

    ``radix-tree-keys`` counts the emulated nodes (see pypika_store/types/streams.py);
    ``radix-tree-nodes`` has no counterpart here and is that count plus one, which is what
    Redis reports for streams of up to one node."""
    streams: StreamStore = client.keyspace.streams
    collection = existing_stream(streams, argv[2])
    full, count = _xinfo_stream_options(argv)
    state = streams.state(collection)
    fields: list[tuple[bytes, object]] = [
        (b"length", collection.count),
        (b"radix-tree-keys", state.nodes),
        (b"radix-tree-nodes", state.nodes + 1),
        (b"last-generated-id", format_id(state.last_id)),
        (b"max-deleted-entry-id", format_id(state.max_deleted_id)),
        (b"entries-added", state.entries_added),
        (b"recorded-first-entry-id", format_id(streams.edge_id(collection, last=False))),
    ]
    if full:
        fields += [(b"entries", entries_reply(streams.range(collection, MIN_ID, MAX_ID, count))),
                   (b"groups", _full_groups(streams, collection, count))]
    else:
        fields += [(b"groups", len(streams.groups(collection))),
                   (b"first-entry", _edge_reply(streams.edge_entry(collection, last=False))),
                   (b"last-entry", _edge_reply(streams.edge_entry(collection, last=True)))]
    return Map(fields)


@command("xinfo|help", arity=2, flags="loading stale", group="stream", help=("HELP", "    Prints this help."))
def xinfo_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
