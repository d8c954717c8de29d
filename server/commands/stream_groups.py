"""Consumer-group commands (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), with Redis
7.0's replies, error texts and the order Redis checks its arguments in, over the stream store
(pypika_store/types/stream_groups.py holds the groups and logs their changes)."""

from __future__ import annotations

from pypika_store.errors import (
    AutoclaimCountError,
    DollarInXreadgroupError,
    EntriesReadRangeError,
    GroupGoneWhileBlockedError,
    InvalidStreamIdError,
    MissingGroupOptionError,
    NotIntegerError,
    StreamGoneWhileBlockedError,
    SyntaxErrorReply,
    WrongTypeError,
    XgroupKeyMissingError,
    invalid_claim_argument,
    invalid_interval_id,
    no_such_group,
    no_such_key_or_group,
    subcommand_syntax_error,
    unrecognized_xclaim_option,
)
from pypika_store.types.collection import Collection
from pypika_store.types.stream_groups import UNKNOWN_ENTRIES_READ, Group
from pypika_store.types.stream_ids import MAX_ID, MIN_ID, StreamId, format_id, next_id
from pypika_store.types.streams import StreamStore

from ..arguments import Arguments, c_string, parse_int
from ..blocking import Block
from ..connection import Client
from ..registry import after_keyword, command, container, help_reply, key_at
from ..resp.replies import NULL_ARRAY, OK, Map
from .streams import entries_reply, entry_reply, interval, parse_id, parse_read_options

#: XREADGROUP's COUNT once it blocked without one (Redis' XREAD_BLOCKED_DEFAULT_COUNT).
_BLOCKED_DEFAULT_COUNT = 1000
#: XAUTOCLAIM's COUNT without the option, and the largest it takes (LONG_MAX / 16).
_AUTOCLAIM_COUNT = 100
_AUTOCLAIM_COUNT_MAX = (2**63 - 1) // 16


def _streams(client: Client) -> StreamStore:
    return client.keyspace.streams


def _group_of(streams: StreamStore, key: bytes, name: bytes, in_xreadgroup: bool = False
              ) -> tuple[Collection, Group]:
    """The stream and its group, or NOGROUP naming both (WRONGTYPE first)."""
    collection = streams.open(key)
    group = None if collection is None else streams.group(collection, name)
    if group is None:
        raise no_such_key_or_group(c_string(key), c_string(name), in_xreadgroup)
    return collection, group  # type: ignore[return-value]


# -- XGROUP ---------------------------------------------------------------------------------------------

container("xgroup", arity=-2, flags="", group="stream")


def _group_options(argv: list[bytes], create: bool) -> tuple[bool, int]:
    """CREATE's MKSTREAM and ENTRIESREAD, SETID's ENTRIESREAD (from argv[5]): whether to make
    the stream, and the read counter (-1 without)."""
    mkstream = False
    entries_read = UNKNOWN_ENTRIES_READ
    args = Arguments(argv, 5)
    while args:
        option = args.keyword()
        if create and option == b"MKSTREAM":
            mkstream = True
        elif option == b"ENTRIESREAD" and args:
            entries_read = args.take_int()
            if entries_read < UNKNOWN_ENTRIES_READ:
                raise EntriesReadRangeError()
        else:
            raise subcommand_syntax_error(argv)
    return mkstream, entries_read


def _group_target(client: Client, argv: list[bytes], may_create: bool = False) -> Collection | None:
    """The stream XGROUP works on: WRONGTYPE, or Redis' error when it is missing (unless
    MKSTREAM will make it)."""
    collection = _streams(client).open(argv[2])
    if collection is None and not may_create:
        raise XgroupKeyMissingError()
    return collection


def _existing_group(client: Client, argv: list[bytes]) -> tuple[Collection, Group]:
    """XGROUP's stream and group (``argv[3]``), or Redis' errors."""
    collection = _group_target(client, argv)
    group = _streams(client).group(collection, argv[3])  # type: ignore[arg-type]
    if group is None:
        raise no_such_group(c_string(argv[2]), c_string(argv[3]))
    return collection, group  # type: ignore[return-value]


def _position(streams: StreamStore, collection: Collection | None, arg: bytes, strict: bool) -> StreamId:
    """A group's position argument: ``$`` (the stream's last ID) or an ID."""
    if arg == b"$":
        return MIN_ID if collection is None else streams.state(collection).last_id
    return parse_id(arg, strict=strict)


@command("xgroup|create", arity=-5, flags="write denyoom", keys=(key_at(2, "RW insert"),), group="stream",
         help=("CREATE <key> <groupname> <id|$> [option]", "    Create a new consumer group. Options are:",
               "    * MKSTREAM", "      Create the empty stream if it does not exist.",
               "    * ENTRIESREAD entries_read", "      Set the group's entries_read counter (internal use)."),
         syntax="key groupname id:<id | new_id:$> [MKSTREAM] [ENTRIESREAD entries_read:integer]")
def xgroup_create(client: Client, argv: list[bytes]) -> object:
    """Create a consumer group."""
    mkstream, entries_read = _group_options(argv, create=True)
    collection = _group_target(client, argv, may_create=mkstream)
    if len(argv) > 8:
        raise subcommand_syntax_error(argv)
    streams = _streams(client)
    last_id = _position(streams, collection, argv[4], strict=True)
    streams.create_group(argv[2], argv[3], last_id, entries_read)  # MKSTREAM: the stream too
    return OK


@command("xgroup|createconsumer", arity=5, flags="write denyoom", keys=(key_at(2, "RW insert"),), group="stream",
         help=("CREATECONSUMER <key> <groupname> <consumer>", "    Create a new consumer in the specified group."),
         syntax="key groupname consumername")
def xgroup_createconsumer(client: Client, argv: list[bytes]) -> object:
    """Create a consumer in a consumer group."""
    collection, group = _existing_group(client, argv)
    return int(_streams(client).create_consumer(collection, group, argv[4]))


@command("xgroup|delconsumer", arity=5, flags="write", keys=(key_at(2, "RW delete"),), group="stream",
         help=("DELCONSUMER <key> <groupname> <consumer>", "    Remove the specified consumer."),
         syntax="key groupname consumername")
def xgroup_delconsumer(client: Client, argv: list[bytes]) -> object:
    """Delete a consumer from a consumer group; how many entries it had pending."""
    collection, group = _existing_group(client, argv)
    return _streams(client).delete_consumer(collection, group, argv[4])


@command("xgroup|destroy", arity=4, flags="write", keys=(key_at(2, "RW delete"),), group="stream",
         help=("DESTROY <key> <groupname>", "    Remove the specified group."),
         syntax="key groupname")
def xgroup_destroy(client: Client, argv: list[bytes]) -> object:
    """Destroy a consumer group."""
    collection = _group_target(client, argv)
    return int(_streams(client).destroy_group(collection, argv[3]))  # type: ignore[arg-type]


@command("xgroup|setid", arity=-5, flags="write", keys=(key_at(2, "RW update"),), group="stream",
         help=("SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
               "    Set the current group ID and entries_read counter."),
         syntax="key groupname id:<id | new_id:$> [ENTRIESREAD entries_read:integer]")
def xgroup_setid(client: Client, argv: list[bytes]) -> object:
    """Set the last delivered ID of a consumer group."""
    _mkstream, entries_read = _group_options(argv, create=False)
    collection, group = _existing_group(client, argv)
    if len(argv) not in (5, 7):
        raise subcommand_syntax_error(argv)
    streams = _streams(client)
    streams.set_group_id(collection, group, _position(streams, collection, argv[4], strict=False), entries_read)
    return OK


@command("xgroup|help", arity=2, flags="loading stale", group="stream", help=("HELP", "    Prints this help."))
def xgroup_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)


# -- XREADGROUP -----------------------------------------------------------------------------------------


def _read_group_entries(streams: StreamStore, collection: Collection, group: Group, consumer: bytes,
                        after: StreamId | None, count: int, noack: bool) -> list | None:
    """One stream's part of XREADGROUP: new entries (``after`` None: ``>``) or the consumer's
    history from after ``after``; None when there is nothing new to serve."""
    if after is None:
        if not collection.count or streams.edge_id(collection, last=True) <= group.last_id:
            return None
        entries = streams.range(collection, next_id(group.last_id), MAX_ID, count)  # type: ignore[arg-type]
        streams.deliver_new(collection, group, consumer, [entry.id for entry in entries], noack)
        return entries_reply(entries)
    streams.seen_consumer(collection, group, consumer)
    start = next_id(after)
    reply = []
    if start is None:
        return reply
    for pending in streams.pending_entries(collection, group, start, consumer):
        if count and len(reply) == count:
            break
        found = streams.range(collection, pending.id, pending.id)
        if found:
            reply.append(entry_reply(found[0]))
            streams.redeliver(collection, group, pending)
        else:  # the entry was deleted: its ID with null fields
            reply.append([format_id(pending.id), NULL_ARRAY])
    return reply


def _blocked_again(client: Client, streams: StreamStore, key: bytes, group_name: bytes) -> None:
    """A blocked XREADGROUP runs again: Redis' errors when its stream or group went meanwhile."""
    try:
        collection = streams.open(key)
    except WrongTypeError:
        collection = None
    if collection is None:
        raise StreamGoneWhileBlockedError()
    if streams.group(collection, group_name) is None:
        raise GroupGoneWhileBlockedError()


@command("xreadgroup", arity=-7, flags="write blocking",
         keys=(after_keyword("STREAMS", "RO access", startfrom=4, limit=2),), group="stream",
         syntax=("GROUP group_consumer:<group consumer> [COUNT count:integer] [BLOCK milliseconds:integer] "
                 "[NOACK] STREAMS streams:<key [key ...] id [id ...]>"))
def xreadgroup(client: Client, argv: list[bytes]) -> object:
    """Read entries from streams as a consumer of a group: new ones (``>``), which become
    pending for the consumer, or its own pending history (an ID); BLOCK waits for new ones.

    A blocked client runs again as the same command; it gets Redis' errors when its stream or
    group was deleted meanwhile, and is logged only once it is served."""
    options = parse_read_options(client, argv, with_group=True)
    if options.group is None:
        raise MissingGroupOptionError()
    keys, id_args = options.keys_and_ids(argv)
    streams = _streams(client)
    retrying = client.blocked is not None
    targets: list[tuple[bytes, Collection, Group, StreamId | None]] = []
    for key, arg in zip(keys, id_args):
        if retrying:
            _blocked_again(client, streams, key, options.group)
        collection, group = _group_of(streams, key, options.group, in_xreadgroup=True)
        text = c_string(arg)
        if text == b"$":
            raise DollarInXreadgroupError()
        after = None if text == b">" else parse_id(arg, strict=True)
        targets.append((key, collection, group, None if after == MAX_ID else after))
    served = []
    for key, collection, group, after in targets:
        group = streams.group(collection, group.name)  # type: ignore[assignment]  # an earlier key may be the same
        entries = _read_group_entries(streams, collection, group, options.consumer, after, options.count,
                                      options.noack)
        if entries is not None:
            served.append((key, entries))
    if served:
        return Map(served) if client.resp == 3 else served
    if options.timeout is None:
        return NULL_ARRAY
    retry = argv if options.count else [argv[0], b"COUNT", b"%d" % _BLOCKED_DEFAULT_COUNT, *argv[1:]]
    return Block(keys, options.timeout / 1000, NULL_ARRAY, retry_argv=retry, consumes=False)


# -- XACK and XPENDING ----------------------------------------------------------------------------------


@command("xack", arity=-4, flags="write fast", keys=(key_at(1, "RW update"),), group="stream",
         syntax="key group id [id ...]")
def xack(client: Client, argv: list[bytes]) -> object:
    """Acknowledge pending entries of a consumer group; how many were pending."""
    streams = _streams(client)
    collection = streams.open(argv[1])
    group = None if collection is None else streams.group(collection, argv[2])
    if group is None:  # nothing to acknowledge: the IDs are not even read
        return 0
    ids = [parse_id(arg, strict=True) for arg in argv[3:]]
    return streams.acknowledge(collection, group, ids)  # type: ignore[arg-type]


def _pending_summary(streams: StreamStore, collection: Collection, group: Group) -> list:
    bounds = streams.pending_bounds(collection, group)
    if bounds is None:
        return [0, None, None, NULL_ARRAY]
    owners = [[consumer.name, b"%d" % consumer.pending]
              for consumer in streams.consumers(collection, group) if consumer.pending]
    return [group.pending, format_id(bounds[0]), format_id(bounds[1]), owners]


@command("xpending", arity=-3, flags="readonly", keys=(key_at(1, "RO access"),), group="stream",
         syntax="key group filters:[[IDLE min-idle-time:integer] start end count:integer [consumer]]")
def xpending(client: Client, argv: list[bytes]) -> object:
    """Inspect the pending entries of a consumer group: a summary, or the entries in a range
    (IDLE: idle for that long at least; a consumer: its own only)."""
    if len(argv) != 3 and not 6 <= len(argv) <= 9:
        raise SyntaxErrorReply()
    min_idle = 0
    start_index = 3
    if len(argv) >= 6:
        if c_string(argv[3]).upper() == b"IDLE":
            min_idle = parse_int(argv[4])
            if len(argv) < 8:
                raise SyntaxErrorReply()
            start_index = 5
        count = max(parse_int(argv[start_index + 2]), 0)
        start, end = interval(argv[start_index], argv[start_index + 1])
    streams = _streams(client)
    collection, group = _group_of(streams, argv[1], argv[2])
    if len(argv) == 3:
        return _pending_summary(streams, collection, group)
    consumer = argv[start_index + 3] if len(argv) > start_index + 3 else None
    if consumer is not None and streams.consumer(collection, group, consumer) is None:
        return []
    now = client.server.engine.now_ms()
    reply = []
    for pending in streams.pending_entries(collection, group, start, consumer):
        if len(reply) == count or pending.id > end:
            break
        idle = now - pending.delivery_ms
        if min_idle and idle < min_idle:
            continue
        reply.append([format_id(pending.id), pending.consumer, max(idle, 0), pending.delivery_count])
    return reply


# -- XCLAIM and XAUTOCLAIM ------------------------------------------------------------------------------


def _claim_number(arg: bytes, what: str, command_name: str = "XCLAIM") -> int:
    try:
        return parse_int(arg)
    except NotIntegerError:
        raise invalid_claim_argument(what, command_name) from None


def _claimed_reply(streams: StreamStore, collection: Collection, ids: list[StreamId], just_id: bool) -> list:
    if just_id:
        return [format_id(entry_id) for entry_id in ids]
    return [entry_reply(streams.range(collection, entry_id, entry_id)[0]) for entry_id in ids]


@command("xclaim", arity=-6, flags="write fast", keys=(key_at(1, "RW update"),), group="stream",
         syntax=("key group consumer min-idle-time id [id ...] [IDLE ms:integer] "
                 "[TIME unix-time-milliseconds:unix-time] [RETRYCOUNT count:integer] [FORCE] [JUSTID] [LASTID id]"))
def xclaim(client: Client, argv: list[bytes]) -> object:
    """Change the owner of pending entries idle for long enough (FORCE: of any entry), setting
    their idle time (IDLE, TIME) and delivery count (RETRYCOUNT); JUSTID replies IDs only."""
    streams = _streams(client)
    collection, group = _group_of(streams, argv[1], argv[2])
    min_idle = max(_claim_number(argv[4], "min-idle-time"), 0)
    ids: list[StreamId] = []
    args = Arguments(argv, 5)
    while args:
        try:
            ids.append(parse_id(args.peek(), strict=True))  # type: ignore[arg-type]
        except InvalidStreamIdError:
            break  # the options begin
        args.take()
    now = client.server.engine.now_ms()
    delivery_ms: int | None = None
    retry_count = -1
    force = just_id = False
    last_id = MIN_ID
    while args:
        option = args.take()
        name = c_string(option).upper()
        more = bool(args)
        if name == b"FORCE":
            force = True
        elif name == b"JUSTID":
            just_id = True
        elif name == b"IDLE" and more:
            delivery_ms = now - _claim_number(args.take(), "IDLE option")
        elif name == b"TIME" and more:
            delivery_ms = _claim_number(args.take(), "TIME option")
        elif name == b"RETRYCOUNT" and more:
            retry_count = _claim_number(args.take(), "RETRYCOUNT option")
        elif name == b"LASTID" and more:
            last_id = parse_id(args.take(), strict=True)
        else:
            raise unrecognized_xclaim_option(c_string(option))
    if delivery_ms is None or delivery_ms < 0 or delivery_ms > now:  # a bogus time means now, as in Redis
        delivery_ms = now
    claimed = streams.claim(collection, group, argv[3], ids, min_idle, delivery_ms, retry_count, force, just_id,
                            last_id)
    return _claimed_reply(streams, collection, claimed, just_id)


@command("xautoclaim", arity=-6, flags="write fast", keys=(key_at(1, "RW delete"),), group="stream",
         syntax="key group consumer min-idle-time start [COUNT count:integer] [JUSTID]")
def xautoclaim(client: Client, argv: list[bytes]) -> object:
    """Claim the pending entries idle for long enough from a start ID, COUNT at most (100);
    the ID to go on from, the entries (JUSTID: IDs) and the deleted entries dropped."""
    min_idle = max(_claim_number(argv[4], "min-idle-time", "XAUTOCLAIM"), 0)
    start = _autoclaim_start(argv[5])
    count = _AUTOCLAIM_COUNT
    just_id = False
    args = Arguments(argv, 6)
    while args:
        option = args.keyword()
        if option == b"COUNT" and args:
            count = parse_int(args.take(), AutoclaimCountError)
            if not 1 <= count <= _AUTOCLAIM_COUNT_MAX:
                raise AutoclaimCountError()
        elif option == b"JUSTID":
            just_id = True
        else:
            raise SyntaxErrorReply()
    streams = _streams(client)
    collection, group = _group_of(streams, argv[1], argv[2])
    result = streams.auto_claim(collection, group, argv[3], min_idle, start, count, just_id)
    return [format_id(result.cursor), _claimed_reply(streams, collection, result.ids, just_id),
            [format_id(entry_id) for entry_id in result.deleted]]


def _autoclaim_start(arg: bytes) -> StreamId:
    """XAUTOCLAIM's start: an ID (an incomplete one gets sequence 0), ``(`` for after it."""
    exclusive = len(arg) > 1 and arg[:1] == b"("
    start = parse_id(arg[1:] if exclusive else arg, 0, strict=exclusive)
    if exclusive:
        following = next_id(start)
        if following is None:
            raise invalid_interval_id("start")
        start = following
    return start

