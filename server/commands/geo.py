"""GEO commands: GEOADD, GEOPOS, GEODIST, GEOHASH and the GEORADIUS / GEOSEARCH searches.

As in Redis, a geo set is an ordinary sorted set whose scores are 52-bit geohashes, so GEOADD
goes through ZADD's write path and every other sorted-set command works on geo sets. The
arithmetic (encoding, distances, the cells a search scans, Redis' sort order) lives in
:mod:`pypika_store.geo`; this module parses arguments in the order redis-server's geo.c does
(the first failing check decides the error a client sees) and reads the cells' score ranges
from the rank cache, so a search costs O(log n) per cell plus the members in those cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterator

from pypika_store import geo
from pypika_store.errors import (
    AnyNeedsCountError,
    CommandError,
    GeoCountNotPositiveError,
    NegativeBoxError,
    NegativeRadiusError,
    SyntaxErrorReply,
    UndecodableMemberError,
    exactly_one_of,
    need_numeric,
    store_with_extras,
)
from pypika_store.types.collection import Collection
from pypika_store.types.zsets import ZaddFlags, ZsetStore, score_key, score_of_key

from ..connection import Client
from ..registry import KeysArgument, KeySpec, after_keyword, command, key_at
from ..resp.replies import NULL_ARRAY, Raw
from ..arguments import Arguments, c_string, parse_double
from .zsets import added_reply

#: Where a member is: ``(longitude, latitude)`` of a member of the source key.
Locate = Callable[[bytes], tuple[float, float]]


# -- argument parsing shared by the commands --------------------------------------------------


def _parse_number(arg: bytes, what: str) -> float:
    """A double with the command's own error text ("need numeric radius"...), as Redis'
    getDoubleFromObjectOrReply reports it when given a message."""
    try:
        return parse_double(arg)
    except CommandError:
        raise need_numeric(what) from None


def _parse_unit(arg: bytes) -> float:
    """Metres per unit; Redis compares units with strcasecmp, so only the text before a NUL counts."""
    return geo.unit_factor(c_string(arg))


def _parse_lonlat(args: list[bytes]) -> tuple[float, float]:
    """``longitude latitude``: both parsed as floats first, then range-checked together."""
    longitude, latitude = parse_double(args[0]), parse_double(args[1])
    geo.check_coordinates(longitude, latitude)
    return longitude, latitude


def _parse_radius(args: list[bytes]) -> tuple[float, float]:
    """``radius unit`` as ``(radius, metres per unit)``; the sign is checked before the unit."""
    radius = _parse_number(args[0], "radius")
    if radius < 0:
        raise NegativeRadiusError()
    return radius, _parse_unit(args[1])


def _parse_box(args: list[bytes]) -> tuple[float, float, float]:
    """``width height unit`` as ``(width, height, metres per unit)``."""
    width = _parse_number(args[0], "width")
    height = _parse_number(args[1], "height")
    if width < 0 or height < 0:
        raise NegativeBoxError()
    return width, height, _parse_unit(args[2])


def _scores(store: ZsetStore, collection: Collection | None, members: list[bytes]) -> list[float | None]:
    """The score of each member, None for absent members or a missing key."""
    return [None if collection is None else store.score(collection, member) for member in members]


def _coordinate(client: Client, value: float) -> object:
    """A longitude or latitude as Redis' addReplyHumanLongDouble sends it: a bulk string in
    RESP2, a double in RESP3 (with the same digits, which Double's ``%.17g`` would not give)."""
    text = geo.format_coordinate(value)
    return Raw(b",%s\r\n" % text) if client.resp == 3 else text


def _position(client: Client, score: float) -> list[object]:
    longitude, latitude = geo.decode(score)
    return [_coordinate(client, longitude), _coordinate(client, latitude)]


# -- GEOADD, GEOPOS, GEOHASH, GEODIST ---------------------------------------------------------


@command("geoadd", arity=-5, flags="write denyoom", keys=(key_at(1, "RW update"),), group="geo",
         syntax="key condition:[NX | XX] [change:CH] "
                "longitude_latitude_member:<longitude:double latitude:double member> [longitude_latitude_member ...]")
def geoadd(client: Client, argv: list[bytes]) -> object:
    """Add one or more geospatial items in the geospatial index represented using a sorted set."""
    args = Arguments(argv, 2)
    options = []
    while (option := args.one_of(b"NX", b"XX", b"CH")) is not None:
        options.append(option)
    triples = args.rest()
    if len(triples) % 3 or (b"NX" in options and b"XX" in options):
        raise SyntaxErrorReply()
    pairs = [(float(geo.encode(*_parse_lonlat(triples[index:index + 2]))), triples[index + 2])
             for index in range(0, len(triples), 3)]
    if not pairs:
        raise SyntaxErrorReply()  # ZADD's own check, reached with options but no members
    return added_reply(client.keyspace.zsets.add(argv[1], pairs, ZaddFlags.named(options)))


@command("geopos", arity=-2, flags="readonly", keys=(1, 1, 1), group="geo", syntax="key member [member ...]")
def geopos(client: Client, argv: list[bytes]) -> object:
    """Returns longitude and latitude of members of a geospatial index."""
    store = client.keyspace.zsets
    scores = _scores(store, store.open(argv[1]), argv[2:])
    return [NULL_ARRAY if score is None else _position(client, score) for score in scores]


@command("geohash", arity=-2, flags="readonly", keys=(1, 1, 1), group="geo", syntax="key member [member ...]")
def geohash(client: Client, argv: list[bytes]) -> object:
    """Returns members of a geospatial index as standard geohash strings."""
    store = client.keyspace.zsets
    scores = _scores(store, store.open(argv[1]), argv[2:])
    return [None if score is None else geo.geohash_string(score) for score in scores]


@command("geodist", arity=-4, flags="readonly", keys=(1, 1, 1), group="geo",
         syntax="key member1 member2 unit:[M | KM | FT | MI]")
def geodist(client: Client, argv: list[bytes]) -> object:
    """Returns the distance between two members of a geospatial index."""
    if len(argv) > 5:
        raise SyntaxErrorReply()
    factor = _parse_unit(argv[4]) if len(argv) == 5 else 1.0
    store = client.keyspace.zsets
    first, second = _scores(store, store.open(argv[1]), argv[2:4])
    if first is None or second is None:
        return None
    return geo.format_distance(geo.distance(*geo.decode(first), *geo.decode(second)), factor)


# -- the searches -----------------------------------------------------------------------------

LONLAT, MEMBER, OPTIONS = "lonlat", "member", "options"


@dataclass(frozen=True)
class _Variant:
    """Which search command is parsing (the RADIUS_* / GEOSEARCH* flags of Redis' geo.c)."""

    #: Where the centre (and, for GEORADIUS*, the radius) comes from: fixed arguments
    #: (LONLAT, MEMBER) or GEOSEARCH's FROMLONLAT/FROMMEMBER and BYRADIUS/BYBOX options.
    center: str
    #: GEORADIUS and GEORADIUSBYMEMBER accept ``STORE key`` and ``STOREDIST key``.
    store_option: bool = False
    #: GEOSEARCHSTORE: the destination is ``argv[1]`` and STOREDIST is a bare flag.
    store_command: bool = False

    @property
    def source(self) -> int:
        return 2 if self.store_command else 1

    @property
    def search_syntax(self) -> bool:
        return self.center == OPTIONS


class _Search:
    """One search call's request, filled in as Redis' georadiusGeneric reads the arguments."""

    #: Options without a value: the attribute each sets, and to what.
    _FLAGS = {b"WITHDIST": ("with_dist", True), b"WITHHASH": ("with_hash", True),
              b"WITHCOORD": ("with_coord", True), b"ANY": ("any", True),
              b"ASC": ("order", "asc"), b"DESC": ("order", "desc")}

    def __init__(self, variant: _Variant, locate: Locate | None) -> None:
        self.variant = variant
        #: Finds a member of the source key; None when the key is missing (then FROMMEMBER and
        #: GEORADIUSBYMEMBER's member are not looked up, as in Redis).
        self.locate = locate
        self.center: tuple[float, float] | None = None
        self.radius: float | None = None
        self.box: tuple[float, float] | None = None
        self.conversion = 1.0
        self.from_member = self.from_lonlat = False
        self.with_dist = self.with_hash = self.with_coord = self.any = False
        self.order: str | None = None
        self.count = 0
        self.store_key: bytes | None = None
        self.store_dist = False

    # -- parsing ---------------------------------------------------------------------------

    def parse(self, argv: list[bytes]) -> None:
        """Read the fixed arguments, then the options; the first problem found is the error."""
        self._parse_options(Arguments(argv, self._parse_fixed(argv)))
        self._check(argv[0])

    def _parse_fixed(self, argv: list[bytes]) -> int:
        """The arguments before the options; returns the index of the first option."""
        if self.variant.center == LONLAT:
            self.center = _parse_lonlat(argv[2:4])
            self.radius, self.conversion = _parse_radius(argv[4:6])
            return 6
        if self.variant.center == MEMBER:
            if self.locate is not None:
                self.center = self.locate(argv[2])
                self.radius, self.conversion = _parse_radius(argv[3:5])
            return 5
        if self.variant.store_command:
            self.store_key = argv[1]
        return self.variant.source + 1

    def _parse_options(self, args: Arguments) -> None:
        """Each option is recognised only where Redis accepts it (right command, enough
        arguments left, no conflicting option seen); anything else is a syntax error."""
        while args:
            option = args.keyword()
            if not self._flag(option):
                handler = self._VALUED.get(option)
                if handler is None or not handler(self, args):
                    raise SyntaxErrorReply()

    def _flag(self, option: bytes) -> bool:
        found = self._FLAGS.get(option)
        if found is None:
            return False
        setattr(self, *found)
        return True

    def _count(self, args: Arguments) -> bool:
        if not args:
            return False
        count = args.take_int()
        if count <= 0:
            raise GeoCountNotPositiveError()
        self.count = count
        return True

    def _store(self, args: Arguments, dist: bool) -> bool:
        if self.variant.store_option and args:
            self.store_key, self.store_dist = args.take(), dist
            return True
        if dist and self.variant.store_command:
            self.store_dist = True
            return True
        return False

    def _from_member(self, args: Arguments) -> bool:
        if not (self.variant.search_syntax and args and not self.from_lonlat):
            return False
        member = args.take()
        if self.locate is not None:
            self.center = self.locate(member)
        self.from_member = True
        return True

    def _from_lonlat(self, args: Arguments) -> bool:
        if not (self.variant.search_syntax and args.remaining() >= 2 and not self.from_member):
            return False
        self.center = _parse_lonlat([args.take(), args.take()])
        self.from_lonlat = True
        return True

    def _by_radius(self, args: Arguments) -> bool:
        if not (self.variant.search_syntax and args.remaining() >= 2 and self.box is None):
            return False
        self.radius, self.conversion = _parse_radius([args.take(), args.take()])
        return True

    def _by_box(self, args: Arguments) -> bool:
        if not (self.variant.search_syntax and args.remaining() >= 3 and self.radius is None):
            return False
        width, height, self.conversion = _parse_box([args.take(), args.take(), args.take()])
        self.box = (width, height)
        return True

    #: Options with values: each handler reads its values and says whether the option is
    #: valid here (False: a syntax error).
    _VALUED: dict[bytes, Callable[["_Search", Arguments], bool]] = {
        b"COUNT": _count,
        b"STORE": lambda self, args: self._store(args, dist=False),
        b"STOREDIST": lambda self, args: self._store(args, dist=True),
        b"FROMMEMBER": _from_member, b"FROMLONLAT": _from_lonlat,
        b"BYRADIUS": _by_radius, b"BYBOX": _by_box,
    }

    def _check(self, name: bytes) -> None:
        """The checks Redis makes once all options are read, in its order. The GEOSEARCH
        errors quote the command name as the client typed it."""
        if self.store_key is not None and (self.with_dist or self.with_hash or self.with_coord):
            raise store_with_extras("GEOSEARCHSTORE" if self.variant.store_command else "STORE option in GEORADIUS")
        if self.variant.search_syntax and not (self.from_member or self.from_lonlat):
            raise exactly_one_of("FROMMEMBER or FROMLONLAT", name)
        if self.variant.search_syntax and self.radius is None and self.box is None:
            raise exactly_one_of("BYRADIUS and BYBOX", name)
        if self.any and not self.count:
            raise AnyNeedsCountError()

    # -- running ---------------------------------------------------------------------------

    def sort_order(self) -> str | None:
        """ASC/DESC as given; COUNT without ANY implies ASC (the N nearest)."""
        if self.order is None and self.count and not self.any:
            return "asc"
        return self.order

    def find(self, scan: geo.ScanRange) -> list[geo.GeoPoint]:
        """The hits in reply order, cut to COUNT; ANY stops collecting at COUNT hits."""
        assert self.center is not None
        width, height = self.box if self.box is not None else (None, None)
        found = geo.search(scan, *self.center, radius=self.radius, width=width, height=height,
                           conversion=self.conversion, limit=self.count if self.any else 0)
        return geo.sort_points(found, self.sort_order(), self.count)

    def hit(self, client: Client, point: geo.GeoPoint) -> object:
        """One reply entry: the member alone, or with distance, hash and position, in that order."""
        extras: list[object] = []
        if self.with_dist:
            extras.append(geo.format_distance(point.distance, self.conversion))
        if self.with_hash:
            extras.append(int(point.score))
        if self.with_coord:
            extras.append([_coordinate(client, point.longitude), _coordinate(client, point.latitude)])
        return [point.member, *extras] if extras else point.member

    def stored_score(self, point: geo.GeoPoint) -> float:
        """STOREDIST keeps the distance in the request's unit, STORE the geohash."""
        return point.distance / self.conversion if self.store_dist else point.score


def _locator(store: ZsetStore, collection: Collection) -> Locate:
    """A member's decoded position, or Redis' error when the member is absent."""

    def locate(member: bytes) -> tuple[float, float]:
        score = store.score(collection, member)
        if score is None:
            raise UndecodableMemberError()
        return geo.decode(score)

    return locate


def _scanner(store: ZsetStore, collection: Collection) -> geo.ScanRange:
    """Score ranges ``[low, high)`` read from the rank cache: two bisections, then a lazy
    slice, so ANY stops reading as soon as it has enough hits."""
    entries = store.ranks(collection)

    def scan(low: int, high: int) -> Iterator[tuple[bytes, float]]:
        start = entries.bisect_left(score_key(float(low)))
        stop = entries.bisect_left(score_key(float(high)))
        for entry in entries.islice(start, stop):
            yield entry[8:], score_of_key(entry)

    return scan


def _search(client: Client, argv: list[bytes], variant: _Variant) -> object:
    """georadiusGeneric: parse, search, then reply the hits or store them."""
    store = client.keyspace.zsets
    collection = store.open(argv[variant.source])
    request = _Search(variant, None if collection is None else _locator(store, collection))
    request.parse(argv)
    points = [] if collection is None else request.find(_scanner(store, collection))
    if request.store_key is not None:
        event = b"geosearchstore" if variant.search_syntax else b"georadiusstore"
        return store.replace(request.store_key, [(point.member, request.stored_score(point)) for point in points],
                             event)
    return [request.hit(client, point) for point in points]


_GEORADIUS = _Variant(LONLAT, store_option=True)
_GEORADIUS_RO = _Variant(LONLAT)
_BYMEMBER = _Variant(MEMBER, store_option=True)
_BYMEMBER_RO = _Variant(MEMBER)
_GEOSEARCH = _Variant(OPTIONS)
_GEOSEARCHSTORE = _Variant(OPTIONS, store_command=True)


def _register(name: str, request: _Variant, arity: int, flags: str, summary: str,
              keys: KeysArgument = (key_at(1, "RO access"),), syntax: str = "") -> None:
    command(name, arity, flags, keys, group="geo", summary=summary, syntax=syntax)(partial(_search, variant=request))


def _stores_after(startfrom: int) -> tuple[KeySpec, ...]:
    """GEORADIUS' keys: the one it reads, and STORE's and STOREDIST's destinations, looked for
    from argument ``startfrom`` on (the first that may be an option)."""
    return (key_at(1, "RO access"), after_keyword("STORE", "OW update", startfrom=startfrom, lastkey=0),
            after_keyword("STOREDIST", "OW update", startfrom=startfrom, lastkey=0))


#: The usage lines' shared parts (COMMAND DOCS): the GEORADIUS forms' after the centre (the
#: writing forms add the stores), the GEOSEARCH forms' centre and area.
_UNIT = "unit:<M | KM | FT | MI>"
_RADIUS_OPTIONS = (f"radius:double {_UNIT} [WITHCOORD] [WITHDIST] [WITHHASH] count:[COUNT count:integer [ANY]] "
                   "order:[ASC | DESC]")
_STORES = "[STORE key] [STOREDIST key]"
_SEARCH_AREA = ("from:<FROMMEMBER member | FROMLONLAT longitude_latitude:<longitude:double latitude:double>> "
                f"by:<circle:<BYRADIUS radius:double {_UNIT}> | box:<BYBOX width:double height:double {_UNIT}>> "
                "order:[ASC | DESC] count:[COUNT count:integer [ANY]]")

_register("georadius", _GEORADIUS, -6, "write denyoom", "Query a sorted set representing a geospatial index to "
          "fetch members matching a given maximum distance from a point.", keys=_stores_after(6),
          syntax=f"key longitude:double latitude:double {_RADIUS_OPTIONS} {_STORES}")
_register("georadius_ro", _GEORADIUS_RO, -6, "readonly", "A read-only variant for GEORADIUS.",
          syntax=f"key longitude:double latitude:double {_RADIUS_OPTIONS}")
_register("georadiusbymember", _BYMEMBER, -5, "write denyoom", "Query a sorted set representing a geospatial "
          "index to fetch members matching a given maximum distance from a member.", keys=_stores_after(5),
          syntax=f"key member {_RADIUS_OPTIONS} {_STORES}")
_register("georadiusbymember_ro", _BYMEMBER_RO, -5, "readonly", "A read-only variant for GEORADIUSBYMEMBER.",
          syntax=f"key member {_RADIUS_OPTIONS}")
_register("geosearch", _GEOSEARCH, -7, "readonly", "Query a sorted set representing a geospatial index to fetch "
          "members inside an area of a box or a circle.",
          syntax=f"key {_SEARCH_AREA} [WITHCOORD] [WITHDIST] [WITHHASH]")
_register("geosearchstore", _GEOSEARCHSTORE, -8, "write denyoom", "Query a sorted set representing a geospatial "
          "index to fetch members inside an area of a box or a circle, and store the result in another key.",
          keys=(key_at(1, "OW update"), key_at(2, "RO access")),
          syntax=f"destination:key source:key {_SEARCH_AREA} [STOREDIST]")
