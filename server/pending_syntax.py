"""The ``syntax=`` each command being added elsewhere this round should declare (issue #11), to
paste into its ``@command`` at merge; this module goes once they are all pasted.

Each line was checked against redis-server 7.0.15's COMMAND DOCS (arguments equal in name, type,
key-spec index, token, flags and nesting, each argument's ``since`` aside). Key arguments take the
command's key specs in order, so EVAL's ``key`` needs its one keynum spec and XREADGROUP's its
STREAMS spec. XINFO GROUPS and XINFO CONSUMERS already declare theirs.
"""

from __future__ import annotations

PENDING_SYNTAX: dict[str, str] = {
    "script|debug": "mode:<YES | SYNC | NO>",
}
