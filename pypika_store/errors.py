"""Errors raised by the engine and the commands.

Every error carries the exact text Redis sends (its first word is the error code), because
clients and users match on those strings. The server only prefixes ``-`` and appends CRLF.
"""

from __future__ import annotations


class CommandError(Exception):
    """A command failed; ``message`` is Redis' reply text, e.g. ``ERR syntax error``.

    An error whose text never varies is a subclass that only sets ``message``; one whose text
    quotes the call is a function building a ``CommandError`` with its text."""

    message = ""

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class WrongTypeError(CommandError):
    message = "WRONGTYPE Operation against a key holding the wrong kind of value"


class NotIntegerError(CommandError):
    message = "ERR value is not an integer or out of range"


class NotFloatError(CommandError):
    message = "ERR value is not a valid float"


class SyntaxErrorReply(CommandError):
    message = "ERR syntax error"


class NoSuchKeyError(CommandError):
    message = "ERR no such key"


class OverflowErrorReply(CommandError):
    message = "ERR increment or decrement would overflow"


class NotPositiveError(CommandError):
    message = "ERR value is out of range, must be positive"


class InvalidCursorError(CommandError):
    message = "ERR invalid cursor"


class TimeoutNotFloatError(CommandError):
    message = "ERR timeout is not a float or out of range"


class TimeoutNegativeError(CommandError):
    message = "ERR timeout is negative"


class WrongArityError(CommandError):
    """Redis' arity error, for ``name`` as COMMAND names it (``config|set`` for a subcommand)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"ERR wrong number of arguments for '{name}' command")


def wrong_arity(argv: list[bytes]) -> WrongArityError:
    """The arity error of a call whose argument count fails a check the command table cannot
    express (HSET's field/value pairs, ...)."""
    return WrongArityError(argv[0].decode("utf-8", "replace").lower())


def out_of_range(low: int | None = None, high: int | None = None) -> CommandError:
    """``ERR value is out of range``, with the bounds when Redis names them."""
    if low is None:
        return CommandError("ERR value is out of range")
    return CommandError(f"ERR value is out of range, value must between {low} and {high}")


def unknown_subcommand(container: str, subcommand: bytes) -> CommandError:
    """A container command (CONFIG, CLIENT...) called with a subcommand it lacks."""
    return CommandError(f"ERR unknown subcommand '{subcommand.decode('utf-8', 'replace')[:128]}'. "
                        f"Try {container.upper()} HELP.")


def unknown_command(argv: list[bytes]) -> CommandError:
    """An unknown command, quoting the start of its arguments as Redis does."""
    args = ""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += "'" + arg.decode("utf-8", "replace")[: 128 - len(args)] + "' "
    name = argv[0].decode("utf-8", "replace")[:128]
    return CommandError(f"ERR unknown command '{name}', with args beginning with: {args}")


def subcommand_syntax_error(argv: list[bytes]) -> CommandError:
    """Redis' addReplySubcommandSyntaxError: a container's subcommand (PUBSUB CHANNELS, XINFO
    STREAM...) called with arguments it does not take."""
    return CommandError(f"ERR unknown subcommand or wrong number of arguments for "
                        f"'{argv[1][:128].decode('utf-8', 'surrogateescape')}'. "
                        f"Try {argv[0].decode('utf-8', 'replace').upper()} HELP.")


# -- connection and server commands ------------------------------------------------------------------


class DbIndexOutOfRangeError(CommandError):
    message = "ERR DB index is out of range"


class NoPasswordConfiguredError(CommandError):
    message = ("ERR AUTH <password> called without any password configured for the default user. "
               "Are you sure your configuration is correct?")


class WrongPassError(CommandError):
    message = "WRONGPASS invalid username-password pair or user is disabled."


class ProtocolVersionError(CommandError):
    message = "ERR Protocol version is not an integer or out of range"


class NoProtocolError(CommandError):
    message = "NOPROTO unsupported protocol version"


class HelloNoAuthError(CommandError):
    message = ("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
               "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
               "select the RESP protocol version at the same time")


def hello_option_error(option: bytes) -> CommandError:
    return CommandError(f"ERR Syntax error in HELLO option '{option.decode('utf-8', 'replace')}'")


class NoShutdownInProgressError(CommandError):
    message = "ERR No shutdown in progress."


class BackgroundSaveInProgressError(CommandError):
    message = "ERR Background save already in progress"


class InvalidArgumentError(CommandError):
    """Pika's reply to a malformed argument (PURGELOGSTO)."""

    message = "ERR Invalid Argument"


def unknown_config_option(name: str) -> CommandError:
    return CommandError(f"ERR Unknown option or number of arguments for CONFIG SET - '{name}'")


def config_set_failed(name: str, reason: str) -> CommandError:
    """CONFIG SET refused ``name``: duplicated, immutable, or a bad value (``reason``)."""
    return CommandError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")


class NoConfigFileError(CommandError):
    message = "ERR The server is running without a config file"


def config_rewrite_failed(reason: str) -> CommandError:
    return CommandError(f"ERR Rewriting config file: {reason}")


def unknown_client_type(name: bytes) -> CommandError:
    return CommandError(f"ERR Unknown client type '{name.decode('utf-8', 'replace')}'")


class InvalidClientIdError(CommandError):
    message = "ERR Invalid client ID"


class ClientIdNotPositiveError(CommandError):
    message = "ERR client-id should be greater than 0"


class ClientNameError(CommandError):
    message = "ERR Client names cannot contain spaces, newlines or special characters."


class NoSuchClientError(CommandError):
    message = "ERR No such client"


class InvalidCommandError(CommandError):
    """COMMAND GETKEYS of a command that does not exist."""

    message = "ERR Invalid command specified"


class NoKeyArgumentsError(CommandError):
    message = "ERR The command has no key arguments"


class InvalidArgumentCountError(CommandError):
    """COMMAND GETKEYS of a call whose arity its command refuses."""

    message = "ERR Invalid number of arguments specified for command"


# -- keys and strings ------------------------------------------------------------------------------


def invalid_expire_time(command_name: str) -> CommandError:
    return CommandError(f"ERR invalid expire time in '{command_name}' command")


def unsupported_option(option: bytes) -> CommandError:
    return CommandError(f"ERR Unsupported option {option.decode('utf-8', 'surrogateescape')}")


class NxWithOtherConditionsError(CommandError):
    message = "ERR NX and XX, GT or LT options at the same time are not compatible"


class GtWithLtError(CommandError):
    message = "ERR GT and LT options at the same time are not compatible"


class SameObjectError(CommandError):
    """MOVE or COPY onto the key itself."""

    message = "ERR source and destination objects are the same"


class BusyKeyError(CommandError):
    message = "BUSYKEY Target key name already exists."


class InvalidTtlError(CommandError):
    message = "ERR Invalid TTL value, must be >= 0"


class InvalidIdleTimeError(CommandError):
    message = "ERR Invalid IDLETIME value, must be >= 0"


class InvalidFreqError(CommandError):
    message = "ERR Invalid FREQ value, must be >= 0 and <= 255"


class NoLfuPolicyError(CommandError):
    """OBJECT FREQ without an LFU maxmemory policy (pypika-store never has one)."""

    message = ("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
               "that when switching between policies at runtime LRU and LFU data will take some time "
               "to adjust.")


class StringTooLongError(CommandError):
    message = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"


class OffsetOutOfRangeError(CommandError):
    message = "ERR offset is out of range"


class DecrementOverflowError(CommandError):
    message = "ERR decrement would overflow"


# -- the data-type commands (sorted sets, lists, sets, hashes, streams) ---------------------------


class ScoreNaNError(CommandError):
    message = "ERR resulting score is not a number (NaN)"


class ScoreRangeError(CommandError):
    message = "ERR min or max is not a float"


class LexRangeError(CommandError):
    message = "ERR min or max not valid string range item"


class WeightNotFloatError(CommandError):
    message = "ERR weight value is not a float"


def incompatible_options(what: str) -> CommandError:
    """``ERR <what> options at the same time are not compatible`` (ZADD's XX and NX, ...)."""
    return CommandError(f"ERR {what} options at the same time are not compatible")


def cant_be_negative(name: str) -> CommandError:
    """``ERR <name> can't be negative`` (LPOS' COUNT and MAXLEN, the LIMIT of *INTERCARD)."""
    return CommandError(f"ERR {name} can't be negative")


class IncrPairError(CommandError):
    message = "ERR INCR option supports a single increment-element pair"


def syntax_error(detail: str) -> CommandError:
    """``ERR syntax error, <detail>``: Redis' syntax error that says what is wrong."""
    return CommandError(f"ERR syntax error, {detail}")


class IndexOutOfRangeError(CommandError):
    message = "ERR index out of range"


def rank_zero() -> CommandError:
    """LPOS' RANK 0."""
    return CommandError("ERR RANK can't be zero: use 1 to start from the first match, "
                        "2 from the second ... or use negative to start from the end of the list")


class NumkeysError(CommandError):
    message = "ERR numkeys should be greater than 0"


class TooManyKeysError(CommandError):
    message = "ERR Number of keys can't be greater than number of args"


class LimitNegativeError(CommandError):
    message = "ERR LIMIT can't be negative"


def no_input_key(argv: list[bytes]) -> CommandError:
    """ZUNION, ZINTER... with numkeys 0, naming the command as the client typed it."""
    return CommandError(f"ERR at least 1 input key is needed for '{argv[0].decode('utf-8', 'replace').lower()}' command")


class HashNotIntegerError(CommandError):
    message = "ERR hash value is not an integer"


class HashNotFloatError(CommandError):
    message = "ERR hash value is not a float"


class NotFiniteError(CommandError):
    message = "ERR value is NaN or Infinity"


class NanOrInfinityError(CommandError):
    message = "ERR increment would produce NaN or Infinity"


class BitOffsetError(CommandError):
    message = "ERR bit offset is not an integer or out of range"


class BitValueError(CommandError):
    message = "ERR bit is not an integer or out of range"


class BitArgumentError(CommandError):
    """BITPOS' bit other than 0 or 1."""

    message = "ERR The bit argument must be 1 or 0."


class BitopNotArityError(CommandError):
    message = "ERR BITOP NOT must be called with a single source key."


class NoSuchHllKeyError(CommandError):
    """PFDEBUG of a missing key."""

    message = "ERR The specified key does not exist"


def unknown_pfdebug_subcommand(subcommand: bytes) -> CommandError:
    return CommandError(f"ERR Unknown PFDEBUG subcommand '{subcommand.decode('utf-8', 'replace')}'")


def invalid_db_type(argv: list[bytes]) -> CommandError:
    """Pika's PKSCANRANGE with an unknown type argument."""
    return CommandError(f"ERR invalid DB for '{argv[0].decode('utf-8', 'replace').lower()}'")


class InvalidRangeError(CommandError):
    """Pika's PKHSCANRANGE with start past end."""

    message = "ERR Invalid argument: error in given range"


class InvalidStreamIdError(CommandError):
    message = "ERR Invalid stream ID specified as stream command argument"


class StreamExhaustedError(CommandError):
    message = "ERR The stream has exhausted the last possible ID, unable to add more items"


class ElementsTooLargeError(CommandError):
    message = "ERR Elements are too large to be stored"


class XaddIdTooSmallError(CommandError):
    message = "ERR The ID specified in XADD is equal or smaller than the target stream top item"


class XaddIdZeroError(CommandError):
    message = "ERR The ID specified in XADD must be greater than 0-0"


class XsetidIdTooSmallError(CommandError):
    message = "ERR The ID specified in XSETID is smaller than the target stream top item"


class XsetidEntriesAddedTooSmallError(CommandError):
    message = "ERR The entries_added specified in XSETID is smaller than the target stream length"


class XsetidMaxDeletedTooLargeError(CommandError):
    message = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"


class TimeoutNotIntegerError(CommandError):
    message = "ERR timeout is not an integer or out of range"


def invalid_interval_id(end: str) -> CommandError:
    """XRANGE's exclusive ``end`` ("start" or "end") that has no ID next to it."""
    return CommandError(f"ERR invalid {end} ID for the interval")


def must_be_non_negative(argument: str) -> CommandError:
    """XADD's and XTRIM's negative MAXLEN or LIMIT."""
    return CommandError(f"ERR The {argument} argument must be >= 0.")


def must_be_positive(argument: str) -> CommandError:
    """XSETID's negative ENTRIESADDED."""
    return CommandError(f"ERR {argument} must be positive")


def xreadgroup_only(option: str) -> CommandError:
    """An XREADGROUP option given to XREAD."""
    return CommandError(f"ERR The {option} option is only supported by XREADGROUP. You called XREAD instead.")


class UnbalancedStreamsError(CommandError):
    message = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."


class GreaterIdOutsideGroupError(CommandError):
    message = ("ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
               "<group> <consumer> option.")


def no_such_group(key: bytes, group: bytes) -> CommandError:
    """NOGROUP for a consumer group that does not exist."""
    return CommandError(f"NOGROUP No such consumer group '{group.decode('utf-8', 'surrogateescape')}' "
                        f"for key name '{key.decode('utf-8', 'surrogateescape')}'")


def store_with_extras(what: str) -> CommandError:
    """GEORADIUS' STORE (``what``) given with WITHDIST, WITHHASH or WITHCOORD."""
    return CommandError(f"ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")


def exactly_one_of(options: str, name: bytes) -> CommandError:
    """GEOSEARCH without (or with both of) ``options``, quoting the command as typed."""
    return CommandError(f"ERR exactly one of {options} can be specified for {name.decode()}")


# -- replication (SLAVEOF, WAIT, and the PIKAREPL requests of docs/replication-protocol.md) -------


class InvalidMasterPortError(CommandError):
    message = "ERR Invalid master port"


class SlaveOfItselfError(CommandError):
    message = "ERR The master ip:port and the slave ip:port are the same"


class WaitOnReplicaError(CommandError):
    message = ("ERR WAIT cannot be used with replica instances. Please also note that since "
               "Redis 4.0 if a replica is configured to be writable (which is not the default) "
               "writes to replicas are just local and are not propagated.")


class MetaSyncFirstError(CommandError):
    message = "ERR PIKAREPL META first"


class NoBinlogMasterError(CommandError):
    message = "ERR this server does not write a binlog (write-binlog no): it cannot be a master"


def sync_refused(verdict: str, end_filenum: int, end_offset: int, end_logic_id: int) -> CommandError:
    """A TrySync refusal: its verdict (PURGED, LARGER, NOTBOUNDARY, DIVERGED) as the error code,
    then where the master's binlog ends, which the slave logs and reads."""
    return CommandError(f"{verdict} master binlog ends at {end_filenum} {end_offset} logic {end_logic_id}")


class StreamAheadError(CommandError):
    """PIKAREPL STREAM from a position past the master's binlog end."""

    message = "LARGER"


class SnapshotSavingError(CommandError):
    message = "TRYAGAIN the master is saving a snapshot"


class SnapshotPreparingError(CommandError):
    message = "TRYAGAIN the master is preparing its snapshot"


class SnapshotChangedError(CommandError):
    message = "STALE snapshot changed"


class NoSuchSnapshotFileError(CommandError):
    message = "ERR no such file in the snapshot"


class ChunkOutOfRangeError(CommandError):
    message = "ERR offset or count out of range"


# -- dispatch and transactions (server/dispatch.py, server/commands/transactions.py) --------------


class NoAuthError(CommandError):
    """A command other than AUTH, HELLO or QUIT from a client that has not authenticated."""

    message = "NOAUTH Authentication required."


class ReadOnlyReplicaError(CommandError):
    """A write sent to a slave by anyone but its master."""

    message = "READONLY You can't write against a read only replica."


class NotAllowedInMultiError(CommandError):
    """A command flagged ``no_multi`` (SAVE, SHUTDOWN) sent inside MULTI."""

    message = "ERR Command not allowed inside a transaction"


class ExecAbortedError(CommandError):
    """EXEC of a transaction in which a command was refused while queueing."""

    message = "EXECABORT Transaction discarded because of previous errors."


def exec_refused(reason: CommandError) -> CommandError:
    """EXEC itself refused (NOAUTH, wrong arity, READONLY...): Redis' execCommandAbort
    quotes the reason, without its ``ERR`` code."""
    return CommandError("EXECABORT Transaction discarded because of: " + reason.message.removeprefix("ERR "))


def not_in_subscribed_mode(command: str) -> CommandError:
    """A command a RESP2 client may not send while it has subscriptions."""
    return CommandError(f"ERR Can't execute '{command}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                        "PING / QUIT / RESET are allowed in this context")


def internal_error(command: str, exc: Exception) -> CommandError:
    """A command that failed on a bug: the client learns which command and the exception's type."""
    return CommandError(f"ERR internal error in '{command}': {type(exc).__name__}")


def protocol_error(detail: object) -> CommandError:
    """Input that is not RESP (the connection is closed after this reply)."""
    return CommandError(f"ERR Protocol error: {detail}")


class NestedMultiError(CommandError):
    message = "ERR MULTI calls can not be nested"


def without_multi(command: str) -> CommandError:
    """EXEC or DISCARD outside a transaction."""
    return CommandError(f"ERR {command} without MULTI")


class WatchInMultiError(CommandError):
    message = "ERR WATCH inside MULTI is not allowed"


# -- storage --------------------------------------------------------------------------------------


class CommitFailed(Exception):
    """LMDB refused to commit a turn's writes (a full map, a failing disk...): they are lost.
    The text is LMDB's own; the server fails the clients whose replies waited for the commit."""


# -- the engine's limits and values (pypika_store/keyspace.py, types/, geo.py, hyperloglog.py) ----


def too_many_random_picks(limit: int) -> CommandError:
    """SRANDMEMBER/HRANDFIELD/ZRANDMEMBER with a negative count past what is built in memory."""
    return CommandError(f"ERR count is too large (pypika-store returns at most {limit} "
                        "random members with repeats)")


class BadPayloadError(CommandError):
    message = "ERR DUMP payload version or checksum are wrong"


def invalid_lonlat_pair(longitude: float, latitude: float) -> CommandError:
    """Out-of-range coordinates (GEOADD, GEOSEARCH FROMLONLAT). Redis formats the pair with C's
    ``%f``; Python's ``%f`` prints the same digits (both round the exact binary value
    correctly), including ``inf``/``-inf``."""
    return CommandError("ERR invalid longitude,latitude pair %f,%f" % (longitude, latitude))


class UnsupportedUnitError(CommandError):
    message = "ERR unsupported unit provided. please use M, KM, FT, MI"


def need_numeric(what: str) -> CommandError:
    """A geo search's radius, width or height that is not a number."""
    return CommandError(f"ERR need numeric {what}")


class NegativeRadiusError(CommandError):
    message = "ERR radius cannot be negative"


class NegativeBoxError(CommandError):
    message = "ERR height or width cannot be negative"


class UndecodableMemberError(CommandError):
    message = "ERR could not decode requested zset member"


class GeoCountNotPositiveError(CommandError):
    message = "ERR COUNT must be > 0"


class AnyNeedsCountError(CommandError):
    message = "ERR the ANY argument requires COUNT argument"


class InvalidHllError(CommandError):
    """A string that is not a HyperLogLog given to PFADD, PFCOUNT, PFMERGE."""

    message = "WRONGTYPE Key is not a valid HyperLogLog string value."


class CorruptedHLLError(CommandError):
    """INVALIDOBJ: a sparse HLL whose opcodes do not cover the 16384 registers.

    Redis updates the value in place while PFADD walks its elements, so when it meets the
    corruption after some registers were already set the stored value has changed although the
    command failed. ``partial_value`` is that value (``None`` if nothing changed) so a caller that
    wants to mirror Redis exactly can store it; ignoring it is also reasonable.
    """

    message = "INVALIDOBJ Corrupted HLL object detected"

    def __init__(self, partial_value: bytes | None = None) -> None:
        super().__init__()
        self.partial_value = partial_value


# -- Codis slots (SLOTS*, Pika's texts: pika_slot_command.cc) -------------------------------


class SlotMigrateOffError(CommandError):
    """SLOTSMGRT* while ``slotmigrate`` is off: no index to migrate from."""

    message = "ERR not set slotmigrate"


class MigrateToSelfError(CommandError):
    message = "ERR destination address error"


class MigrateInTransactionError(CommandError):
    """SLOTSMGRT* waits for the target's replies, which a queued command cannot."""

    message = "ERR slots migration is not allowed inside MULTI"


class MigrateConnectError(CommandError):
    message = "ERR IOERR error or timeout connecting to the client"


def invalid_port_number(port: int) -> CommandError:
    return CommandError(f"ERR invalid port number {port}")


def invalid_timeout_number(timeout: int) -> CommandError:
    return CommandError(f"ERR invalid timeout number {timeout}")


def invalid_slot_number(slot: int) -> CommandError:
    return CommandError(f"ERR invalid slot number {slot}")


def invalid_slot_begin(argument: bytes) -> CommandError:
    return CommandError(f"ERR invalid slot begin = {argument.decode('utf-8', 'replace')}")


def invalid_slot_count(argument: bytes) -> CommandError:
    return CommandError(f"ERR invalid slot count = {argument.decode('utf-8', 'replace')}")


def migrate_receive_error(detail: str) -> CommandError:
    return CommandError(f"ERR Connect slots target, Recv error: {detail}")


def migrate_bad_reply(reply: str) -> CommandError:
    return CommandError(f"ERR something wrong with slots migrate, reply: {reply}")


class AsyncMigrateOffError(CommandError):
    """SLOTSMGRTTAGSLOT-ASYNC while ``slotmigrate`` is off."""

    message = "ERR please open slotmigrate and reload slot"


class AsyncMigrateBusyError(CommandError):
    """SLOTSMGRTTAGSLOT-ASYNC while a job moves another slot or to another target."""

    message = "ERR Slot batch migrating keys error, may be currently migrating"


# -- strings, bitmaps, SORT (issue #11) ---------------------------------------------------------


class LcsNotStringError(CommandError):
    message = "ERR The specified keys must contain string values"


class LcsLenAndIdxError(CommandError):
    message = "ERR If you want both the length and indexes, please just use IDX."


class LcsTooLargeError(CommandError):
    """Redis' text when it cannot allocate the LCS table; pypika-store gives it past its own
    bounds (pypika_store/lcs.py) rather than stall every client on one huge LCS."""

    message = "ERR Insufficient memory, failed allocating transient memory for LCS"


class BitfieldTypeError(CommandError):
    message = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."


class BitfieldOverflowTypeError(CommandError):
    message = "ERR Invalid OVERFLOW type specified"


class BitfieldReadOnlyError(CommandError):
    message = "ERR BITFIELD_RO only supports the GET subcommand"


class SortScoreError(CommandError):
    message = "ERR One or more scores can't be converted into double"


# -- introspection, SWAPDB, DEBUG, Pika's server commands (issue #11) ---


class InvalidKeyArgumentsError(CommandError):
    """COMMAND GETKEYS of a call whose keys cannot be told (a bad numkeys, a missing STREAMS)."""

    message = "ERR Invalid arguments specified for command"


class ClusterDisabledError(CommandError):
    """CLUSTER, READONLY, READWRITE, ASKING: pypika-store is a standalone node, as a Redis
    started without cluster-enabled."""

    message = "ERR This instance has cluster support disabled"


class WrongProtocolTypeError(CommandError):
    """DEBUG PROTOCOL with a type it has no test value of."""

    message = ("ERR Wrong protocol type name. Please use one of the following: "
               "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")


class Resp2NotSupportedError(CommandError):
    """DEBUG PROTOCOL PUSH on a RESP2 connection."""

    message = "ERR RESP2 is not supported by this command"


class DebugReloadOptionError(CommandError):
    message = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."


class PackedThresholdError(CommandError):
    """DEBUG QUICKLIST-PACKED-THRESHOLD with a size that is not a memory value up to 4 GB."""

    message = "ERR argument must be a memory value bigger than 1 and smaller than 4gb"


def invalid_db(name: bytes) -> CommandError:
    """Pika's COMPACT / COMPACTRANGE naming a DB that does not exist."""
    return CommandError(f"ERR invalid DB for '{name.decode('utf-8', 'replace')}'")


class InsufficientDiskError(CommandError):
    """Pika's DISKRECOVERY with less free disk than least-free-disk-resume-size."""

    message = "ERR The available disk capacity is insufficient"


class UnknownCacheSubcommandError(CommandError):
    message = "ERR Unknown cache subcommand or wrong # of args."


class InvalidFirstDbIndexError(CommandError):
    message = "ERR invalid first DB index"


class InvalidSecondDbIndexError(CommandError):
    message = "ERR invalid second DB index"


# -- lists, sorted sets and blocking (issue #11) ---------------------------------------------------


class CountNotPositiveError(CommandError):
    """LMPOP/ZMPOP's COUNT of 0, a negative one or not a number."""

    message = "ERR count should be greater than 0"


# -- server and connection commands (CLIENT PAUSE/UNBLOCK/KILL USER, RESET, LOLWUT, SLOWLOG) ---


class PauseModeError(CommandError):
    message = "ERR CLIENT PAUSE mode must be WRITE or ALL"


class UnblockReasonError(CommandError):
    message = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"


class UnblockedError(CommandError):
    """The reply CLIENT UNBLOCK ... ERROR gives the unblocked client."""

    message = "UNBLOCKED client unblocked via CLIENT UNBLOCK"


def no_such_user(name: bytes) -> CommandError:
    """CLIENT KILL USER naming a user that does not exist (the only one is "default")."""
    return CommandError(f"ERR No such user '{name.decode('utf-8', 'replace')}'")


class MonitorDenyBlockingError(CommandError):
    """MONITOR inside MULTI (EXEC runs it unable to block, as Redis' CLIENT_DENY_BLOCKING)."""

    message = "ERR MONITOR isn't allowed for DENY BLOCKING client"


class SlowlogCountError(CommandError):
    message = "ERR count should be greater than or equal to -1"


# -- FAILOVER (coordinated failover) and its PIKAREPL FAILOVER request ---


class FailoverTimeoutError(CommandError):
    message = "ERR FAILOVER timeout must be greater than 0"


class NoFailoverError(CommandError):
    message = "ERR No failover in progress."


class FailoverInProgressError(CommandError):
    message = "ERR FAILOVER already in progress."


class FailoverOnReplicaError(CommandError):
    message = "ERR FAILOVER is not valid when server is a replica."


class FailoverNoReplicasError(CommandError):
    message = "ERR FAILOVER requires connected replicas."


class FailoverForceError(CommandError):
    message = "ERR FAILOVER with force option requires both a timeout and target HOST and IP."


class FailoverTargetError(CommandError):
    message = "ERR FAILOVER target HOST and PORT is not a replica."


class FailoverTargetOfflineError(CommandError):
    message = "ERR FAILOVER target replica is not online."


class FailoverToMasterError(CommandError):
    """PIKAREPL FAILOVER sent to a node that is a master already (Redis' PSYNC FAILOVER text)."""

    message = "ERR PSYNC FAILOVER can't be sent to a master."


class FailoverReplidError(CommandError):
    """PIKAREPL FAILOVER from a master whose history this node does not share."""

    message = "ERR PSYNC FAILOVER replid must match my replid."


# -- i11-memory: PFSELFTEST, LATENCY GRAPH ---------------------------------------------------

def hll_self_test_failed(detail: str) -> CommandError:
    """PFSELFTEST found the HyperLogLog code wrong (Redis' ``TESTFAILED`` replies)."""
    return CommandError(f"TESTFAILED {detail}")


def no_latency_samples(event: bytes) -> CommandError:
    """LATENCY GRAPH of an event with no samples."""
    return CommandError(f"ERR No samples available for event '{event.decode('utf-8', 'replace')}'")


# -- limits: out of disk (a write answered with an error left no trace) ---------------------------

class NotCommitted(CommitFailed):
    """A turn's writes were not committed and left no trace, in LMDB nor in the binlog; the
    text is the error reply the turn's clients get (:func:`binlog_write_failed`,
    :func:`data_write_failed`, :func:`map_full`)."""

    def __init__(self, reply: CommandError) -> None:
        super().__init__(reply.message)


def binlog_write_failed(reason: str) -> CommandError:
    """The binlog could not take a turn's items (ENOSPC, EIO): cut back, LMDB not committed.
    MISCONF, as Redis answers when it cannot write its AOF."""
    return CommandError(f"MISCONF Errors writing to the binlog: {reason}. The write was not applied")


def data_write_failed(reason: str) -> CommandError:
    """LMDB could not commit a turn (ENOSPC, EIO): nothing of it is in LMDB or the binlog."""
    return CommandError(f"MISCONF Errors writing to the data files: {reason}. The write was not applied")


def map_full(map_size: int) -> CommandError:
    """One turn wrote more than the room left in LMDB's map: aborted; the map has grown since,
    so the same write succeeds when sent again."""
    return CommandError(f"MISCONF The data map was full; it has grown to {map_size} bytes. "
                        "The write was not applied: send it again")


def replay_unfinished(reason: str) -> CommandError:
    """Writes refused until the start-up binlog replay, which could not write, completes."""
    return CommandError(f"MISCONF The binlog replay at start-up could not write ({reason}); "
                        "writes are refused until it completes")
# -- lua: EVAL, EVALSHA, SCRIPT and the scripts' Lua API ------------------------------------

class NoScriptError(CommandError):
    message = "NOSCRIPT No matching script. Please use EVAL."


class NegativeKeyCountError(CommandError):
    message = "ERR Number of keys can't be negative"


class BusyScriptError(CommandError):
    message = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


class NotBusyError(CommandError):
    message = "NOTBUSY No scripts in execution right now."


class UnkillableScriptError(CommandError):
    message = ("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either "
               "wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")


class ScriptFlushModeError(CommandError):
    message = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"


class InvalidShebangError(CommandError):
    message = "ERR Invalid script shebang"


def script_compile_error(detail: str) -> CommandError:
    """EVAL / SCRIPT LOAD of a body Lua cannot compile (``detail`` is Lua's message)."""
    return CommandError(f"ERR Error compiling script (new function): {detail}")


def unexpected_shebang_engine(first_word: str) -> CommandError:
    return CommandError(f"ERR Unexpected engine in script shebang: {first_word}")


def unknown_shebang_option(option: str) -> CommandError:
    return CommandError(f"ERR Unknown lua shebang option: {option}")


def unexpected_shebang_flag(flag: str) -> CommandError:
    return CommandError(f"ERR Unexpected flag in script shebang: {flag}")


def script_error(error: str, sha: str, source: str | None, line: int | None) -> CommandError:
    """A script that failed: its error (code first) and, when known, where it failed."""
    where = f" script: {sha}, on {source}:{line}." if source is not None and line is not None else ""
    return CommandError(f"{error}{where}")


#: The error texts a script's ``redis.call`` and the Lua API raise inside Lua (handed to the
#: interpreter by name; the texts are Redis').
SCRIPT_ERRORS = {
    "unknown_command": "ERR Unknown Redis command called from script",
    "wrong_arity": "ERR Wrong number of args calling Redis command from script",
    "not_allowed": "ERR This Redis command is not allowed from script",
    "read_only": "ERR Write commands are not allowed from read-only scripts.",
    "killed": "ERR Script killed by user with SCRIPT KILL...",
    "no_arguments": "Please specify at least one argument for this redis lib call",
    "bad_argument": "Lua redis lib command arguments must be strings or integers",
    "wrong_arguments": "wrong number or type of arguments",
    "sha1hex_arguments": "wrong number of arguments",
    "log_arguments": "redis.log() requires two arguments or more.",
    "log_level_type": "First argument must be a number (log level).",
    "log_level": "Invalid debug level.",
    "setresp_arguments": "redis.setresp() requires one argument.",
    "setresp_version": "RESP version must be 2 or 3.",
    "set_repl_arguments": "redis.set_repl() requires two arguments.",
    "set_repl_flags": "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
    "readonly_table": "Attempt to modify a readonly table",
    "pcall_nothing": "attempt to call a boolean value",
    "nonexistent_global": "Script attempted to access nonexistent global variable '%s'",
}

# -- stream consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) ------------

def _text(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


class BusyGroupError(CommandError):
    message = "BUSYGROUP Consumer Group name already exists"


class XgroupKeyMissingError(CommandError):
    message = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
               "to use the MKSTREAM option to create an empty stream automatically.")


class EntriesReadRangeError(CommandError):
    message = "ERR value for ENTRIESREAD must be positive or -1"


def no_such_key_or_group(key: bytes, group: bytes, in_xreadgroup: bool = False) -> CommandError:
    """NOGROUP of XREADGROUP, XPENDING, XCLAIM and XAUTOCLAIM (the key or the group is missing)."""
    where = " in XREADGROUP with GROUP option" if in_xreadgroup else ""
    return CommandError(f"NOGROUP No such key '{_text(key)}' or consumer group '{_text(group)}'{where}")


class GroupGoneWhileBlockedError(CommandError):
    message = "NOGROUP the consumer group this client was blocked on no longer exists"


class StreamGoneWhileBlockedError(CommandError):
    message = "UNBLOCKED the stream key no longer exists"


class DollarInXreadgroupError(CommandError):
    message = ("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
               "this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would "
               "just return an empty result set.")


class MissingGroupOptionError(CommandError):
    message = "ERR Missing GROUP option for XREADGROUP"


def invalid_claim_argument(what: str, command: str = "XCLAIM") -> CommandError:
    """XCLAIM's / XAUTOCLAIM's number that does not parse (``min-idle-time``, ``IDLE option``...)."""
    return CommandError(f"ERR Invalid {what} argument for {command}")


def unrecognized_xclaim_option(option: bytes) -> CommandError:
    return CommandError(f"ERR Unrecognized XCLAIM option '{_text(option)}'")


class AutoclaimCountError(CommandError):
    message = "ERR COUNT must be > 0"
# -- i12-tracking: CLIENT TRACKING / CACHING, sharded pub/sub ---------------------------------

class TrackingSingleRedirectError(CommandError):
    message = "ERR A client can only redirect to a single other client"


class TrackingRedirectMissingError(CommandError):
    message = "ERR The client ID you want redirect to does not exist"


class TrackingPrefixWithoutBcastError(CommandError):
    message = "ERR PREFIX option requires BCAST mode to be enabled"


class TrackingBcastSwitchError(CommandError):
    message = ("ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
               "and then re-enabling it with a different mode.")


class TrackingOptInBcastError(CommandError):
    message = "ERR OPTIN and OPTOUT are not compatible with BCAST"


class TrackingOptInAndOptOutError(CommandError):
    message = "ERR You can't specify both OPTIN mode and OPTOUT mode"


class TrackingOptSwitchError(CommandError):
    message = ("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
               "and then re-enabling it with a different mode.")


class CachingWithoutTrackingError(CommandError):
    message = ("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
               "OPTOUT mode enabled")


class CachingYesWithoutOptInError(CommandError):
    message = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."


class CachingNoWithoutOptOutError(CommandError):
    message = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."


def _c_text(value: bytes) -> str:
    """A prefix as Redis' ``%s`` prints it: up to its first NUL byte."""
    return value.split(b"\0", 1)[0].decode("utf-8", "replace")


def prefix_overlaps_existing(prefix: bytes, existing: bytes) -> CommandError:
    return CommandError(f"ERR Prefix '{_c_text(prefix)}' overlaps with an existing prefix '{_c_text(existing)}'. "
                        "Prefixes for a single client must not overlap.")


def prefix_overlaps_given(prefix: bytes, other: bytes) -> CommandError:
    return CommandError(f"ERR Prefix '{_c_text(prefix)}' overlaps with another provided prefix '{_c_text(other)}'. "
                        "Prefixes for a single client must not overlap.")


def subscribe_denied_in_transaction(command: str) -> CommandError:
    """SSUBSCRIBE run by EXEC (Redis refuses it to a client that must get one reply per command)."""
    return CommandError(f"ERR {command} isn't allowed for a DENY BLOCKING client")

# -- functions (FUNCTION, FCALL, FCALL_RO) --------------------------------------------------------


class BadFunctionPayloadError(CommandError):
    message = "ERR DUMP payload version or checksum are wrong"


class NotAFunctionPayloadError(CommandError):
    message = "ERR given type is not a function"


class BadKeyCountError(CommandError):
    """FCALL's numkeys that is not an integer."""

    message = "ERR Bad number of keys provided"


class MissingLibraryMetadataError(CommandError):
    message = "ERR Missing library metadata"


class InvalidLibraryMetadataError(CommandError):
    message = "ERR Invalid library metadata"


class LibraryNameMissingError(CommandError):
    message = "ERR Library name was not given"


class LibraryNameRepeatedError(CommandError):
    message = "ERR Invalid metadata value, name argument was given multiple times"


class InvalidLibraryNameError(CommandError):
    message = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one " \
              "character long"


class NoFunctionsRegisteredError(CommandError):
    message = "ERR No functions registered"


class LibraryNotFoundError(CommandError):
    message = "ERR Library not found"


class FunctionNotFoundError(CommandError):
    message = "ERR Function not found"


class FunctionFlushModeError(CommandError):
    message = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"


class LibraryNamePatternMissingError(CommandError):
    message = "ERR library name argument was not given"


class RestorePolicyError(CommandError):
    message = "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."


class WriteFunctionReadOnlyCallError(CommandError):
    message = "ERR Can not execute a script with write flag using *_ro command."


class FunctionLoadTimeoutError(CommandError):
    message = "ERR FUNCTION LOAD timeout"


class BusyFunctionError(CommandError):
    message = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."


def _library_text(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def invalid_metadata_value(part: bytes) -> CommandError:
    return CommandError(f"ERR Invalid metadata value given: {_library_text(part)}")


def unknown_function_engine(engine: bytes) -> CommandError:
    return CommandError(f"ERR Engine '{_library_text(engine)}' not found")


def library_exists(name: bytes) -> CommandError:
    return CommandError(f"ERR Library '{_library_text(name)}' already exists")


def library_exists_on_restore(name: bytes) -> CommandError:
    """FUNCTION RESTORE APPEND of a library that exists (Redis quotes the name only in LOAD's)."""
    return CommandError(f"ERR Library {_library_text(name)} already exists")


def function_exists(name: bytes) -> CommandError:
    return CommandError(f"ERR Function {_library_text(name)} already exists")


def function_compile_error(detail: str) -> CommandError:
    return CommandError(f"ERR Error compiling function: {detail}")


def function_registration_error(detail: str) -> CommandError:
    return CommandError(f"ERR Error registering functions: {detail}")


def unknown_function_argument(argument: bytes) -> CommandError:
    """FUNCTION LIST / LOAD given an argument they do not know."""
    return CommandError(f"ERR Unknown argument {_library_text(argument)}")


def unknown_function_load_option(option: bytes) -> CommandError:
    return CommandError(f"ERR Unknown option given: {_library_text(option)}")


#: The errors of redis.register_function (at a library's load), raised inside Lua.
FUNCTION_REGISTRATION_ERRORS = {
    "register_arguments": "ERR wrong number of arguments to redis.register_function",
    "register_single": "ERR calling redis.register_function with a single argument is only applicable to Lua "
                       "table (representing named arguments).",
    "register_callback_type": "ERR second argument to redis.register_function must be a function",
    "register_unknown_argument": "ERR unknown argument given to redis.register_function",
    "register_no_callback": "ERR redis.register_function must get a callback argument",
    "register_no_name": "ERR redis.register_function must get a function name argument",
    "register_flags_type": "ERR flags argument to redis.register_function must be a table representing function "
                           "flags",
    "register_unknown_flag": "ERR unknown flag given",
    "register_description_type": "ERR description argument given to redis.register_function must be a string",
    "register_first_type": "ERR first argument to redis.register_function must be a string",
    "register_name_type": "ERR function_name argument given to redis.register_function must be a string",
    "register_callback_argument_type": "ERR callback argument given to redis.register_function must be a function",
    "register_name": InvalidLibraryNameError.message,
    "register_duplicate": "ERR Function already exists in the library",
}

# -- ACL ---------------------------------------------------------------------------------------------


def acl_rule_error(rule: str, reason: str) -> CommandError:
    """An ACL SETUSER rule that cannot apply (the whole call then changes nothing)."""
    return CommandError(f"ERR Error in ACL SETUSER modifier '{rule}': {reason}")


def unmatched_selector(opening: str) -> CommandError:
    return CommandError(f"ERR Unmatched parenthesis in acl selector starting at '{opening}'.")


def no_permission_command(command: str) -> CommandError:
    return CommandError(f"NOPERM this user has no permissions to run the '{command}' command")


class NoPermissionKeyError(CommandError):
    message = "NOPERM this user has no permissions to access one of the keys used as arguments"


class NoPermissionChannelError(CommandError):
    message = "NOPERM this user has no permissions to access one of the channels used as arguments"


def acl_changed_in_transaction(reason: str) -> CommandError:
    """EXEC's reply for a queued command the user may no longer run (Redis 7.0's text)."""
    return CommandError("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
                        f"call. This command is no longer allowed for the following reason: {reason}")


#: Why a queued command is no longer allowed at EXEC, per denial (Redis 7.0's words).
ACL_EXEC_REASONS = {"command": "no permission to execute the command or subcommand",
                    "key": "no permission to touch the specified keys",
                    "channel": "no permission for the used channels"}

#: A script's redis.call refused by the ACL, per denial (Redis 7.0's texts).
ACL_SCRIPT_ERRORS = {"command": "ERR The user executing the script can't run this command or subcommand",
                     "key": "ERR The user executing the script can't access at least one of the keys mentioned in "
                            "the command arguments",
                     "channel": "ERR The user executing the script can't publish to the channel mentioned in the "
                                "command"}


def user_not_found(name: bytes) -> CommandError:
    return CommandError(f"ERR User '{_c_text(name)}' not found")


def dryrun_command_not_found(name: bytes) -> CommandError:
    return CommandError(f"ERR Command '{_c_text(name)}' not found")


def unknown_acl_category(name: bytes) -> CommandError:
    return CommandError(f"ERR Unknown category '{_c_text(name)}'")


class DefaultUserUndeletableError(CommandError):
    message = "ERR The 'default' user cannot be removed"


class GenpassBitsError(CommandError):
    message = ("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number "
               "up to 4096")


class NoAclFileError(CommandError):
    message = ("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via "
               "the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration "
               "file set) in order to store users in the Redis configuration.")


def acl_file_error(reason: str) -> CommandError:
    return CommandError(f"ERR {reason}")


class InvalidAclCheckCommandError(CommandError):
    message = "ERR Invalid command passed to redis.acl_check_cmd()"


class SortByDeniedError(CommandError):
    message = "ERR BY option of SORT denied due to insufficient ACL permissions."


class SortGetDeniedError(CommandError):
    message = "ERR GET option of SORT denied due to insufficient ACL permissions."


# -- chaos: CHAOS, faults on demand (docs/fault-injection.md) ---------------------------------

class ChaosNotAllowedError(CommandError):
    """CHAOS while enable-chaos-command is off (worded as Redis' DEBUG refusal)."""

    message = ("ERR CHAOS command not allowed. If the enable-chaos-command option is set to \"local\", "
               "you can run it from a local connection, otherwise you need to set this option in the "
               "configuration file, and then restart the server.")


class ChaosProbabilityError(CommandError):
    message = "ERR PROBABILITY must be between 0 and 1"


class ChaosFaultActionError(CommandError):
    message = "ERR a fault needs exactly one of ERROR <text>, DELAY <ms>, DROP, CLOSE, HANG, CORRUPT"


def chaos_fault_exists(name: bytes) -> CommandError:
    """CHAOS FAULT ADD of a name already in use."""
    return CommandError(f"ERR fault '{name.decode('utf-8', 'replace')}' already exists")


def chaos_unknown_command(name: bytes) -> CommandError:
    """CHAOS FAULT ADD ... COMMAND naming no command of this server."""
    return CommandError(f"ERR no such command '{name.decode('utf-8', 'replace')}'")


# -- connection limits ---------------------------------------------------------------------


class MaxClientsError(CommandError):
    message = "ERR max number of clients reached"


class ProtectedModeError(CommandError):
    message = ("DENIED Redis is running in protected mode because protected mode is enabled and no password is "
               "set for the default user. In this mode connections are only accepted from the loopback "
               "interface. If you want to connect from external computers to Redis you may adopt one of the "
               "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
               "protected-mode no' from the loopback interface by connecting to Redis from the same host the "
               "server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
               "so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the "
               "protected mode by editing the Redis configuration file, and setting the protected mode option "
               "to 'no', and then restarting the server. 3) If you started the server manually just for "
               "testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication "
               "password for the default user. NOTE: You only need to do one of the above things in order for "
               "the server to start accepting connections from the outside.")
# -- long keys and members (pypika_store/bounded_keys.py) ---------------------------------------


class DigestCollisionError(CommandError):
    """A long key or member whose stored form (cut + BLAKE2b digest) is another's: never by
    chance; the write is refused rather than overwrite the other."""

    message = "ERR key or member collides with a stored one (BLAKE2b digest collision)"
# -- chaos: full syncs and the binlog stream --------------------------------------------------

class ChaosFractionError(CommandError):
    message = "ERR FRACTION must be between 0 and 1"
# -- scripting: blocking commands inside scripts ------------------------------------------------


def block_from_script(command: bytes) -> CommandError:
    """XREAD or XREADGROUP with BLOCK called from a script (named as the script spelled it)."""
    return CommandError(f"ERR {command.decode(errors='replace')} command is not allowed with BLOCK option "
                        "from scripts")
# -- MIGRATE (server/commands/migrate.py) -----------------------------------------------------


class MigrateKeysNeedEmptyKeyError(CommandError):
    message = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"


class MigrateConnectingError(CommandError):
    """The target's name did not resolve or its connection did not open in time."""

    message = "IOERR error or timeout connecting to the client"


class MigrateWritingError(CommandError):
    """The request could not be sent (Redis says so for a refused connection too)."""

    message = "IOERR error or timeout writing to target instance"


class MigrateReadingError(CommandError):
    """A reply did not come within the timeout, or the connection closed."""

    message = "IOERR error or timeout reading to target instance"


class MigrateWaitsError(CommandError):
    """MIGRATE in MULTI or a script: it waits for the target, which a command there cannot."""

    message = "ERR MIGRATE is not allowed inside MULTI or scripts (it waits for the target's replies)"


def migrate_target_error(reply: str) -> CommandError:
    """The target's first error reply (to AUTH, SELECT or a RESTORE), without its '-'."""
    return CommandError(f"ERR Target instance replied with error: {reply}")
