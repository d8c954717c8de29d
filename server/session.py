"""What the server's registries use of a client: the session interface.

Blocking commands (:mod:`.blocking`), WATCH (:mod:`.watches`), pub/sub (:mod:`.pubsub`) and
client tracking (:mod:`.tracking`)
keep clients in their tables and later hand them replies, but they need very little of a
connection; writing them against this protocol instead of :class:`.connection.Client` keeps
them independent of the protocol, dispatch and output code, and testable with a stand-in.
A session is also hashable (the tables are keyed by it), as every object is by default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from .blocking import Waiting
    from .tracking import TrackingState


class Session(Protocol):
    """A client as the registries see it."""

    #: The selected DB (a blocked client waits on keys of this DB).
    db: int
    #: The protocol version, 2 or 3 (pub/sub encodes a message once per version in use).
    resp: int
    #: The encoder of that version.
    encode: Callable[[object], bytes]
    #: Set while the client is parked in a blocking command.
    blocked: "Waiting | None"
    #: The client's id (tracking's table and REDIRECT name clients by id).
    id: int
    #: CLIENT LIST's kind ("pubsub" while subscribed: a RESP2 redirect client must be).
    kind: str
    #: CLIENT TRACKING's state; None while tracking is off.
    tracking: "TrackingState | None"

    def push(self, data: bytes) -> None:
        """Send data the client did not ask for (a pub/sub message), after its pending replies."""

    def send_push(self, data: bytes) -> None:
        """Send a push as Redis' CLIENT_PUSHING does (an invalidation): after pending replies,
        and even under CLIENT REPLY OFF."""

    def after_reply(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the reply of the client's running command is queued (at once
        if none is running): what Redis sends a client after its own command's reply."""

    def resume(self, reply: bytes) -> None:
        """Answer the command the client is parked in and go on with its pipeline."""

    def retry_blocked(self, argv: list[bytes]) -> bool:
        """Run the parked command again (a key it waits for got elements); True if served."""
