"""The ``syntax=`` each command being added elsewhere this round should declare (issue #11), to
paste into its ``@command`` at merge; this module goes once they are all pasted.

Each line was checked against redis-server 7.0.15's COMMAND DOCS (arguments equal in name, type,
key-spec index, token, flags and nesting, each argument's ``since`` aside). Key arguments take the
command's key specs in order, so EVAL's ``key`` needs its one keynum spec and XREADGROUP's its
STREAMS spec. XINFO GROUPS and XINFO CONSUMERS already declare theirs.
"""

from __future__ import annotations

PENDING_SYNTAX: dict[str, str] = {
    "xgroup|create": "key groupname id:<id | new_id:$> [MKSTREAM] [ENTRIESREAD entries_read:integer]",
    "xgroup|createconsumer": "key groupname consumername",
    "xgroup|delconsumer": "key groupname consumername",
    "xgroup|destroy": "key groupname",
    "xgroup|setid": "key groupname id:<id | new_id:$> [ENTRIESREAD entries_read:integer]",
    "xreadgroup": ("GROUP group_consumer:<group consumer> [COUNT count:integer] [BLOCK milliseconds:integer] [NOACK] "
                   "STREAMS streams:<key [key ...] id [id ...]>"),
    "xack": "key group id [id ...]",
    "xpending": "key group filters:[[IDLE min-idle-time:integer] start end count:integer [consumer]]",
    "xclaim": ("key group consumer min-idle-time id [id ...] [IDLE ms:integer] "
               "[TIME unix-time-milliseconds:unix-time] [RETRYCOUNT count:integer] [FORCE] [JUSTID] [LASTID id]"),
    "xautoclaim": "key group consumer min-idle-time start [COUNT count:integer] [JUSTID]",
    "eval": "script numkeys:integer [key [key ...]] [arg [arg ...]]",
    "evalsha": "sha1 numkeys:integer [key [key ...]] [arg [arg ...]]",
    "eval_ro": "script numkeys:integer [key [key ...]] [arg [arg ...]]",
    "evalsha_ro": "sha1 numkeys:integer [key [key ...]] [arg [arg ...]]",
    "script|debug": "mode:<YES | SYNC | NO>",
    "script|exists": "sha1 [sha1 ...]",
    "script|flush": "async:[ASYNC | SYNC]",
    "script|load": "script",
    "function|delete": "library-name",
    "function|flush": "async:[ASYNC | SYNC]",
    "function|list": "[LIBRARYNAME library-name-pattern] [WITHCODE]",
    "function|load": "[REPLACE] function-code",
    "function|restore": "serialized-value policy:[FLUSH | APPEND | REPLACE]",
    "fcall": "function numkeys:integer [key [key ...]] [arg [arg ...]]",
    "fcall_ro": "function numkeys:integer [key [key ...]] [arg [arg ...]]",
    "client|tracking": ("status:<ON | OFF> [REDIRECT client-id:integer] [PREFIX prefix [PREFIX prefix ...]] [BCAST] "
                        "[OPTIN] [OPTOUT] [NOLOOP]"),
    "client|caching": "mode:<YES | NO>",
    "ssubscribe": "shardchannel [shardchannel ...]",
    "sunsubscribe": "[shardchannel [shardchannel ...]]",
    "spublish": "shardchannel message",
    "pubsub|shardchannels": "[pattern:pattern]",
    "pubsub|shardnumsub": "[shardchannel [shardchannel ...]]",
}
