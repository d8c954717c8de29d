"""The arithmetic behind Redis' GEO commands, bit for bit as redis-server 7.0 does it.

Redis keeps a geo member in an ordinary sorted set whose score is a 52-bit geohash: the
longitude and latitude are each scaled to 26 bits and interleaved (longitude on the odd bits),
with latitudes limited to the Web-Mercator range +-85.05112878. Every reply is derived from that
score, so to answer like Redis we have to reproduce its floating-point steps in the same order
(Python floats are IEEE doubles and ``math`` calls the same libm as redis-server, so doing the
same operations gives the same bits):

* GEOADD stores :func:`encode`; GEOPOS prints the centre of the cell, :func:`decode`, with
  :func:`format_coordinate`; GEOHASH re-encodes that centre with the standard latitude range
  (:func:`geohash_string`).
* GEODIST and the search commands use Redis' haversine (:func:`distance`) and print with four
  decimals (:func:`format_distance`).
* GEOSEARCH/GEORADIUS look only at the score ranges of (at most) nine geohash cells around the
  centre (:func:`radius_ranges` / :func:`box_ranges`), in Redis' order, then keep the members
  that pass :func:`in_radius` / :func:`in_box`. The cells are a heuristic with known gaps, so a
  "correct" geometric search would *not* give Redis' answers; we copy the heuristic instead.
  :func:`search` strings the steps together and :func:`sort_points` orders results the way
  Redis' qsort / partial quicksort would, ties included.

Everything here is pure: the caller supplies sorted-set access as a callable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from .errors import UnsupportedUnitError, invalid_lonlat_pair

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

#: Geohash precision of stored members: 26 bits per axis, 52 bits in all (fits a double exactly).
STEP_MAX = 26

#: Coordinate limits (EPSG:900913). Latitudes beyond these cannot be stored.
LONG_MIN = -180.0
LONG_MAX = 180.0
LAT_MIN = -85.05112878
LAT_MAX = 85.05112878

#: Radius of the earth used by every distance computation (quadratic mean radius of WGS-84).
EARTH_RADIUS_IN_METERS = 6372797.560856

#: Upper bound used when estimating the search step (half the Mercator world width in metres).
MERCATOR_MAX = 20037726.37

#: Degrees to radians exactly as Redis computes it (``M_PI / 180.0``, folded to one double).
_D_R = math.pi / 180.0

#: Metres per unit, as GEODIST / GEOSEARCH accept them (matched case-insensitively).
UNITS: dict[bytes, float] = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}

_GEOALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"
_U64 = (1 << 64) - 1
_EVEN_BITS = 0x5555555555555555
_ODD_BITS = 0xAAAAAAAAAAAAAAAA


# --------------------------------------------------------------------------------------------
# Errors and units
# --------------------------------------------------------------------------------------------

def check_coordinates(longitude: float, latitude: float) -> None:
    """Raise the Redis error unless the pair can be geo-encoded.

    NaN is rejected too: Redis never gets that far (its float parser refuses NaN) and letting it
    through would produce a meaningless hash.
    """
    if not (LONG_MIN <= longitude <= LONG_MAX and LAT_MIN <= latitude <= LAT_MAX):
        raise invalid_lonlat_pair(longitude, latitude)


def unit_factor(unit: bytes | str) -> float:
    """Metres per ``unit`` (m, km, ft, mi in any case), or Redis' error for anything else.

    The factors are Redis' own (a mile is 1609.34 m, not 1609.344) because distances are
    divided by them before printing.
    """
    key = unit.encode() if isinstance(unit, str) else bytes(unit)
    factor = UNITS.get(key.lower()) if key.isascii() else None
    if factor is None:
        raise UnsupportedUnitError()
    return factor


# --------------------------------------------------------------------------------------------
# Bit interleaving
# --------------------------------------------------------------------------------------------

def _spread(value: int) -> int:
    """Move bit i of a 32-bit value to bit 2*i (the classic magic-mask spreading)."""
    value &= 0xFFFFFFFF
    value = (value | (value << 16)) & 0x0000FFFF0000FFFF
    value = (value | (value << 8)) & 0x00FF00FF00FF00FF
    value = (value | (value << 4)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value << 2)) & 0x3333333333333333
    value = (value | (value << 1)) & 0x5555555555555555
    return value


def _compact(value: int) -> int:
    """Inverse of :func:`_spread`: gather the even bits of a 64-bit value into 32 bits."""
    value &= 0x5555555555555555
    value = (value | (value >> 1)) & 0x3333333333333333
    value = (value | (value >> 2)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value >> 4)) & 0x00FF00FF00FF00FF
    value = (value | (value >> 8)) & 0x0000FFFF0000FFFF
    value = (value | (value >> 16)) & 0x00000000FFFFFFFF
    return value


def _interleave(lat_part: int, long_part: int) -> int:
    """Latitude on the even bits, longitude on the odd ones (so longitude leads, as in geohash)."""
    return _spread(lat_part) | (_spread(long_part) << 1)


def _to_uint32(offset: float) -> int:
    """C's implicit ``double`` -> ``uint32_t`` conversion for the in-range offsets Redis makes."""
    return int(offset) & 0xFFFFFFFF


# --------------------------------------------------------------------------------------------
# Encoding and decoding
# --------------------------------------------------------------------------------------------

def _encode_bits(longitude: float, latitude: float, step: int,
                 lat_min: float = LAT_MIN, lat_max: float = LAT_MAX,
                 long_min: float = LONG_MIN, long_max: float = LONG_MAX) -> int:
    """The ``2*step``-bit hash of a point already known to be valid (geohashEncode).

    The offsets are computed in doubles and truncated, so a coordinate on the upper limit gives
    ``2**step`` and sets one bit above the hash (Redis keeps that quirk; so do we).
    """
    lat_offset = (latitude - lat_min) / (lat_max - lat_min)
    long_offset = (longitude - long_min) / (long_max - long_min)
    scale = float(1 << step)
    return _interleave(_to_uint32(lat_offset * scale), _to_uint32(long_offset * scale))


def _align52(bits: int, step: int) -> int:
    """Left-justify a ``2*step``-bit hash to 52 bits, the form scores are kept in."""
    return (bits << (52 - step * 2)) & _U64


def encode(longitude: float, latitude: float) -> int:
    """The sorted-set score GEOADD stores for a point, as an (exactly representable) integer.

    That is the 52-bit geohash, except at longitude 180: there the truncated offset is 2**26,
    which sets bit 53, and since GEOADD hands the hash to ZADD as a decimal string the sorted
    set keeps it rounded to a double. We return that rounded value so that ``encode`` always
    equals ZSCORE (and WITHHASH), and ``decode(encode(...))`` is what GEOPOS shows.

    Raises the ``invalid longitude,latitude pair`` CommandError for coordinates outside
    +-180 / +-85.05112878, which Redis refuses because it cannot geocode the poles.
    """
    check_coordinates(longitude, latitude)
    return int(float(_align52(_encode_bits(longitude, latitude, STEP_MAX), STEP_MAX)))


def _score_to_uint64(score: float | int) -> int:
    """``(uint64_t)score`` as gcc compiles it on x86-64, for any double a sorted set can hold.

    Scores below 2**63 go through a signed truncation (negative ones wrap, hopeless ones give
    the 'integer indefinite' 2**63); larger ones are rebased by 2**63 first, so 2**64 and
    above (and +inf) end up as 0. Only exotic scores set with ZADD reach these branches.
    """
    value = float(score)
    two63 = 9223372036854775808.0
    if value < two63:
        if math.isfinite(value) and -two63 <= value:
            return int(value) & _U64
        return 1 << 63
    rebased = value - two63
    if rebased < two63:
        return (int(rebased) ^ (1 << 63)) & _U64
    return 0


@dataclass(frozen=True, slots=True)
class _Area:
    """The bounds of one geohash cell (GeoHashArea)."""

    long_min: float
    long_max: float
    lat_min: float
    lat_max: float


def _decode_area(bits: int, step: int) -> _Area:
    """The cell a ``step``-hash denotes (geohashDecode), computed in Redis' operation order."""
    lat_index = _compact(bits)
    long_index = _compact(bits >> 1)
    cells = float(1 << step)
    lat_scale = LAT_MAX - LAT_MIN
    long_scale = LONG_MAX - LONG_MIN
    # The "+ 1" is 32-bit unsigned arithmetic in C and wraps.
    lat_next = (lat_index + 1) & 0xFFFFFFFF
    long_next = (long_index + 1) & 0xFFFFFFFF
    return _Area(
        long_min=LONG_MIN + (float(long_index) / cells) * long_scale,
        long_max=LONG_MIN + (float(long_next) / cells) * long_scale,
        lat_min=LAT_MIN + (float(lat_index) / cells) * lat_scale,
        lat_max=LAT_MIN + (float(lat_next) / cells) * lat_scale,
    )


def decode(score: float | int) -> tuple[float, float]:
    """``(longitude, latitude)`` of a score: the cell centre GEOPOS and the searches report.

    The centre is clamped to the valid limits (only matters for scores not made by GEOADD).
    Integers are first rounded to a double, since that is all a sorted set can store.
    """
    area = _decode_area(_score_to_uint64(score), STEP_MAX)
    longitude = (area.long_min + area.long_max) / 2
    longitude = min(max(longitude, LONG_MIN), LONG_MAX)
    latitude = (area.lat_min + area.lat_max) / 2
    latitude = min(max(latitude, LAT_MIN), LAT_MAX)
    return longitude, latitude


def geohash_string(score: float | int) -> bytes:
    """The 11-character geohash GEOHASH replies for a stored score.

    Redis decodes the point and re-encodes it with the standard latitude range [-90, 90] (its
    own scores use +-85.05), keeps 52 bits = 10 characters and pads with ``0`` for the 11th.
    """
    longitude, latitude = decode(score)
    bits = _encode_bits(longitude, latitude, STEP_MAX, lat_min=-90.0, lat_max=90.0)
    chars = bytearray()
    for index in range(10):
        chars.append(_GEOALPHABET[(bits >> (52 - (index + 1) * 5)) & 0x1F])
    chars.append(_GEOALPHABET[0])
    return bytes(chars)


# --------------------------------------------------------------------------------------------
# Distances
# --------------------------------------------------------------------------------------------

def _deg_rad(angle: float) -> float:
    return angle * _D_R


def _rad_deg(angle: float) -> float:
    return angle / _D_R


def lat_distance(lat1: float, lat2: float) -> float:
    """Metres along a meridian: the shortcut Redis takes when both longitudes coincide."""
    return EARTH_RADIUS_IN_METERS * abs(_deg_rad(lat2) - _deg_rad(lat1))


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres, as geohashGetDistance computes it.

    Redis skips the haversine when the longitude term is exactly 0 (so the last digits differ
    from the full formula there), and multiplies in a fixed order; both are reproduced.
    """
    lon1r = _deg_rad(lon1)
    lon2r = _deg_rad(lon2)
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = _deg_rad(lat1)
    lat2r = _deg_rad(lat2)
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    root = math.sqrt(a) if a >= 0 else math.nan
    # C's asin returns NaN above 1 (possible for antipodes by rounding); Python would raise.
    return 2.0 * EARTH_RADIUS_IN_METERS * (math.asin(root) if -1.0 <= root <= 1.0 else math.nan)


def in_radius(center_lon: float, center_lat: float, radius_m: float,
              lon: float, lat: float) -> float | None:
    """The distance to a (decoded) point when it is within ``radius_m``, else None.

    The comparison is ``distance > radius`` like Redis', so a NaN distance counts as inside.
    """
    dist = distance(center_lon, center_lat, lon, lat)
    if dist > radius_m:
        return None
    return dist


def in_box(center_lon: float, center_lat: float, width_m: float, height_m: float,
           lon: float, lat: float) -> float | None:
    """The distance to a (decoded) point when it is inside the width x height box, else None.

    Redis' box is measured on the sphere: the north-south offset along the meridian and the
    east-west offset along the point's own parallel must each be at most half the side.
    """
    if lat_distance(lat, center_lat) > height_m / 2:
        return None
    if distance(lon, lat, center_lon, lat) > width_m / 2:
        return None
    return distance(center_lon, center_lat, lon, lat)


# --------------------------------------------------------------------------------------------
# Search areas
# --------------------------------------------------------------------------------------------

def estimate_step(range_meters: float, latitude: float) -> int:
    """The coarsest step whose cells still cover ``range_meters`` (geohashEstimateStepsByRadius).

    Two steps are subtracted for safety and one or two more near the poles, where cells are
    narrower in metres; the result is kept within 1..26.
    """
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if latitude > 66 or latitude < -66:
        step -= 1
        if latitude > 80 or latitude < -80:
            step -= 1
    return min(max(step, 1), 26)


def bounding_box(longitude: float, latitude: float, half_width_m: float,
                 half_height_m: float) -> tuple[float, float, float, float]:
    """``(min_lon, min_lat, max_lon, max_lat)`` of the area, as geohashBoundingBox.

    The longitude span is taken at the edge nearer the pole (it is the wider one), which is the
    top edge in the north and the bottom edge in the south.
    """
    lat_delta = _rad_deg(half_height_m / EARTH_RADIUS_IN_METERS)
    long_delta_top = _rad_deg(half_width_m / EARTH_RADIUS_IN_METERS
                              / math.cos(_deg_rad(latitude + lat_delta)))
    long_delta_bottom = _rad_deg(half_width_m / EARTH_RADIUS_IN_METERS
                                 / math.cos(_deg_rad(latitude - lat_delta)))
    long_delta = long_delta_bottom if latitude < 0 else long_delta_top
    return (longitude - long_delta, latitude - lat_delta,
            longitude + long_delta, latitude + lat_delta)


def _move(bits: int, step: int, direction: int, axis: int, other: int) -> int:
    """Step a hash one cell along the axis whose bits are ``axis`` (+1 or -1), as Redis'
    geohash_move_x/geohash_move_y do: the other axis' bits fill the gaps so the carry crosses
    them, and the result wraps around (east-west at the antimeridian, pole to pole)."""
    if direction == 0:
        return bits
    moving = bits & axis
    fixed = bits & other
    gaps = other >> (64 - step * 2)
    if direction > 0:
        moving = (moving + gaps + 1) & _U64
    else:
        moving = ((moving | gaps) - (gaps + 1)) & _U64
    moving &= axis >> (64 - step * 2)
    return moving | fixed


def _move_x(bits: int, step: int, direction: int) -> int:
    """Step a hash one cell east (+1) or west (-1), wrapping around the antimeridian."""
    return _move(bits, step, direction, _ODD_BITS, _EVEN_BITS)


def _move_y(bits: int, step: int, direction: int) -> int:
    """Step a hash one cell north (+1) or south (-1); it wraps from pole to pole like Redis'."""
    return _move(bits, step, direction, _EVEN_BITS, _ODD_BITS)


#: Neighbour offsets (east-west, north-south) in the order Redis scans them after the centre.
_NEIGHBOUR_ORDER = (
    ("north", 0, 1), ("south", 0, -1), ("east", 1, 0), ("west", -1, 0),
    ("north_east", 1, 1), ("north_west", -1, 1), ("south_east", 1, -1), ("south_west", -1, -1),
)


def _neighbour(bits: int, step: int, dx: int, dy: int) -> int:
    return _move_y(_move_x(bits, step, dx), step, dy)


def _cells(longitude: float, latitude: float, half_width_m: float, half_height_m: float,
           radius_meters: float) -> list[tuple[int, int] | None]:
    """The centre cell and its 8 neighbours as ``(bits, step)``, None for dropped ones.

    This is geohashCalculateAreasByShapeWGS84: pick a step from the radius, use one step less
    when a direct neighbour does not reach the bounding box, then drop the neighbours on sides
    where the centre cell alone already covers the box (only when step >= 2).
    """
    min_lon, min_lat, max_lon, max_lat = bounding_box(longitude, latitude,
                                                      half_width_m, half_height_m)
    step = estimate_step(radius_meters, latitude)
    bits = _encode_bits(longitude, latitude, step)

    north = _decode_area(_neighbour(bits, step, 0, 1), step)
    south = _decode_area(_neighbour(bits, step, 0, -1), step)
    east = _decode_area(_neighbour(bits, step, 1, 0), step)
    west = _decode_area(_neighbour(bits, step, -1, 0), step)
    if step > 1 and (north.lat_max < max_lat or south.lat_min > min_lat
                     or east.long_max < max_lon or west.long_min > min_lon):
        step -= 1
        bits = _encode_bits(longitude, latitude, step)
    area = _decode_area(bits, step)

    neighbours: dict[str, int | None] = {name: _neighbour(bits, step, dx, dy)
                                         for name, dx, dy in _NEIGHBOUR_ORDER}
    if step >= 2:
        dropped: set[str] = set()
        if area.lat_min < min_lat:
            dropped |= {"south", "south_west", "south_east"}
        if area.lat_max > max_lat:
            dropped |= {"north", "north_east", "north_west"}
        if area.long_min < min_lon:
            dropped |= {"west", "south_west", "north_west"}
        if area.long_max > max_lon:
            dropped |= {"east", "south_east", "north_east"}
        for name in dropped:
            neighbours[name] = None
    cells: list[tuple[int, int] | None] = [(bits, step)]
    cells.extend(None if neighbours[name] is None else (neighbours[name], step)
                 for name, _, _ in _NEIGHBOUR_ORDER)
    return cells


def _ranges(cells: list[tuple[int, int] | None]) -> list[tuple[int, int]]:
    """Score ranges ``[min, max)`` to scan, in order (membersOfAllNeighbors).

    A cell equal to the last one scanned is skipped (huge radii make neighbours coincide); a
    repeat of an earlier, non-consecutive cell is scanned again, as Redis does, which can
    duplicate members in its reply.
    """
    ranges: list[tuple[int, int]] = []
    last: tuple[int, int] | None = None
    for cell in cells:
        if cell is None:
            continue
        if last is not None and cell == last:
            continue
        bits, step = cell
        ranges.append((_align52(bits, step), _align52(bits + 1, step)))
        last = cell
    return ranges


def radius_ranges(lon: float, lat: float, radius_m: float | None = None, *,
                  radius: float | None = None, conversion: float = 1.0) -> list[tuple[int, int]]:
    """Sorted-set score ranges ``[min, max)`` GEOSEARCH BYRADIUS scans around (lon, lat).

    Give either ``radius_m`` in metres, or ``radius`` in a unit plus that unit's
    ``conversion`` (metres per unit); Redis multiplies ``radius * conversion`` itself, and
    passing both halves keeps its rounding. Scan the ranges in the returned order.
    """
    meters = _meters(radius_m, radius, conversion)
    return _ranges(_cells(lon, lat, meters, meters, meters))


def box_ranges(lon: float, lat: float, width_m: float | None = None,
               height_m: float | None = None, *, width: float | None = None,
               height: float | None = None, conversion: float = 1.0) -> list[tuple[int, int]]:
    """Sorted-set score ranges ``[min, max)`` GEOSEARCH BYBOX scans around (lon, lat).

    Sizes are full widths/heights, either in metres or as ``width``/``height`` in a unit with
    its ``conversion``. The unit form is exact: Redis estimates the step from the half
    diagonal computed *in the unit* and only then converts it, which can differ in the last
    bit from doing it in metres.
    """
    if width is not None or height is not None:
        if width is None or height is None:
            raise TypeError("give both width and height")
        half_w = conversion * (width / 2)
        half_h = conversion * (height / 2)
        diagonal = math.sqrt((width / 2) * (width / 2) + (height / 2) * (height / 2)) * conversion
    else:
        if width_m is None or height_m is None:
            raise TypeError("give width_m and height_m, or width, height and conversion")
        half_w = width_m / 2
        half_h = height_m / 2
        diagonal = math.sqrt(half_w * half_w + half_h * half_h)
    return _ranges(_cells(lon, lat, half_w, half_h, diagonal))


def _meters(radius_m: float | None, radius: float | None, conversion: float) -> float:
    if radius is not None:
        return radius * conversion
    if radius_m is None:
        raise TypeError("give radius_m, or radius and conversion")
    return radius_m


# --------------------------------------------------------------------------------------------
# Whole searches and ordering
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GeoPoint:
    """One search hit: what GEOSEARCH can reply about it (distance in metres)."""

    member: bytes
    score: float
    longitude: float
    latitude: float
    distance: float


ScanRange = Callable[[int, int], Iterable[tuple[bytes, float]]]


def search(scan: ScanRange, lon: float, lat: float, *, radius: float | None = None,
           width: float | None = None, height: float | None = None, conversion: float = 1.0,
           limit: int = 0) -> list[GeoPoint]:
    """GEOSEARCH's candidate collection (membersOfAllNeighbors + geoWithinShape), unsorted.

    ``scan(min, max)`` must yield ``(member, score)`` for ``min <= score < max`` in sorted-set
    order. Give ``radius`` or ``width`` and ``height``, in units of ``conversion`` metres.
    ``limit`` is ANY's count: collection stops as soon as that many hits are found (0 means
    no limit). Without ASC/DESC, Redis replies the hits in exactly this order.
    """
    if radius is not None:
        ranges = radius_ranges(lon, lat, radius=radius, conversion=conversion)
        radius_m = radius * conversion

        def accept(plon: float, plat: float) -> float | None:
            return in_radius(lon, lat, radius_m, plon, plat)
    else:
        if width is None or height is None:
            raise TypeError("give radius, or width and height")
        ranges = box_ranges(lon, lat, width=width, height=height, conversion=conversion)
        width_m = width * conversion
        height_m = height * conversion

        def accept(plon: float, plat: float) -> float | None:
            return in_box(lon, lat, width_m, height_m, plon, plat)

    found: list[GeoPoint] = []
    for low, high in ranges:
        if limit and len(found) >= limit:
            break
        for member, score in scan(low, high):
            plon, plat = decode(score)
            dist = accept(plon, plat)
            if dist is not None:
                found.append(GeoPoint(member, score, plon, plat, dist))
            if limit and len(found) >= limit:
                break
    return found


def _compare_asc(a: GeoPoint, b: GeoPoint) -> int:
    """Redis' comparator: NaN compares as 'less', which only a C-faithful sort reproduces."""
    if a.distance > b.distance:
        return 1
    if a.distance == b.distance:
        return 0
    return -1


def _compare_desc(a: GeoPoint, b: GeoPoint) -> int:
    return -_compare_asc(a, b)


def _merge_sort(items: list[GeoPoint], cmp: Callable[[GeoPoint, GeoPoint], int]) -> list[GeoPoint]:
    """glibc's qsort (a top-down merge sort, first half = n // 2): stable, left wins ties."""
    if len(items) <= 1:
        return items
    half = len(items) // 2
    left = _merge_sort(items[:half], cmp)
    right = _merge_sort(items[half:], cmp)
    merged: list[GeoPoint] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    return merged


def _med3(a: list[GeoPoint], i: int, j: int, k: int,
          cmp: Callable[[GeoPoint, GeoPoint], int]) -> int:
    if cmp(a[i], a[j]) < 0:
        if cmp(a[j], a[k]) < 0:
            return j
        return k if cmp(a[i], a[k]) < 0 else i
    if cmp(a[j], a[k]) > 0:
        return j
    return i if cmp(a[i], a[k]) < 0 else k


def _partial_quicksort(a: list[GeoPoint], lo: int, n: int,
                       cmp: Callable[[GeoPoint, GeoPoint], int], want_lo: int, want_hi: int) -> None:
    """Redis' pqsort: Bentley-McIlroy quicksort that only recurses into partitions overlapping
    positions ``want_lo..want_hi``. Used when COUNT cuts the reply; not stable, so equal
    distances come out in its particular order, which we follow step by step."""

    def swap(i: int, j: int) -> None:
        a[i], a[j] = a[j], a[i]

    def skip(start: int, length: int) -> bool:
        end = start + length
        return (want_lo < start and want_hi < start) or (want_lo >= end and want_hi >= end)

    while True:
        if n < 7:
            for m in range(lo + 1, lo + n):
                pos = m
                while pos > lo and cmp(a[pos - 1], a[pos]) > 0:
                    swap(pos, pos - 1)
                    pos -= 1
            return
        pm = lo + n // 2
        if n > 7:
            pl = lo
            pn = lo + n - 1
            if n > 40:
                d = n // 8
                pl = _med3(a, pl, pl + d, pl + 2 * d, cmp)
                pm = _med3(a, pm - d, pm, pm + d, cmp)
                pn = _med3(a, pn - 2 * d, pn - d, pn, cmp)
            pm = _med3(a, pl, pm, pn, cmp)
        swap(lo, pm)
        pa = pb = lo + 1
        pc = pd = lo + n - 1
        while True:
            while pb <= pc:
                result = cmp(a[pb], a[lo])
                if result > 0:
                    break
                if result == 0:
                    swap(pa, pb)
                    pa += 1
                pb += 1
            while pb <= pc:
                result = cmp(a[pc], a[lo])
                if result < 0:
                    break
                if result == 0:
                    swap(pc, pd)
                    pd -= 1
                pc -= 1
            if pb > pc:
                break
            swap(pb, pc)
            pb += 1
            pc -= 1
        end = lo + n
        r = min(pa - lo, pb - pa)
        for offset in range(r):
            swap(lo + offset, pb - r + offset)
        r = min(pd - pc, end - pd - 1)
        for offset in range(r):
            swap(pb + offset, end - r + offset)
        r = pb - pa
        if r > 1 and not skip(lo, r):
            _partial_quicksort(a, lo, r, cmp, want_lo, want_hi)
        r = pd - pc
        if r > 1:
            lo = end - r
            n = r
            if not skip(lo, n):
                continue
        return


def sort_points(points: Sequence[GeoPoint], order: str | None = "asc",
                count: int = 0) -> list[GeoPoint]:
    """Order search hits as GEOSEARCH replies them and cut to ``count`` (0 = all).

    ``order`` is "asc", "desc" or None (keep collection order). Redis sorts everything with
    qsort (glibc: a stable merge sort) when the reply keeps all hits, and with a partial
    quicksort when COUNT drops some; tie order differs between the two and is copied exactly.
    Note Redis forces ASC when COUNT is given without ANY and without an order; that choice
    belongs to the caller.
    """
    items = list(points)
    returned = len(items) if count <= 0 or len(items) < count else count
    if order is not None:
        key = order.lower()
        if key not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc', 'desc' or None, not {order!r}")
        cmp = _compare_asc if key == "asc" else _compare_desc
        if returned == len(items):
            items = _merge_sort(items, cmp)
        else:
            _partial_quicksort(items, 0, len(items), cmp, 0, returned - 1)
    return items[:returned]


# --------------------------------------------------------------------------------------------
# Reply formatting
# --------------------------------------------------------------------------------------------

def format_distance(value_m: float, unit: bytes | str | float = b"m") -> bytes:
    """A distance as Redis prints it: converted to ``unit``, fixed 4 decimals.

    ``unit`` is a unit name or a conversion factor (metres per unit). Redis rounds
    ``d * 10000`` with llrint (half to even) and writes the digits; a NaN or overflowing value
    becomes llrint's 'indefinite' -2**63, printed accordingly.
    """
    factor = float(unit) if isinstance(unit, (int, float)) else unit_factor(unit)
    scaled = (value_m / factor) * 10000.0
    if not math.isfinite(scaled) or not -9223372036854775808.0 <= scaled < 9223372036854775808.0:
        fixed = -(1 << 63)
    else:
        fixed = round(scaled)
    if fixed == 0:
        return b"0.0000"
    digits = str(abs(fixed)).rjust(5, "0")
    text = digits[:-4] + "." + digits[-4:]
    return (("-" if fixed < 0 else "") + text).encode()


def format_coordinate(value: float) -> bytes:
    """A coordinate as GEOPOS / WITHCOORD print it (addReplyHumanLongDouble).

    Redis widens the double to a long double, which is exact, and prints ``%.17Lf`` without
    trailing zeros. Python's ``%.17f`` also rounds the exact binary value (ties to even, like
    glibc), so a double is enough to produce the very same digits.
    """
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    text = "%.17f" % value
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.encode()
