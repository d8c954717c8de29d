"""pypika_store.geo against a real redis-server: scores, positions, distances, hashes, searches.

Every check compares the pure functions with what redis-server itself replies, byte for byte,
because GEO replies expose the floating-point details (the decoded cell centre printed with 17
decimals, distances with 4) and clients compare them as strings.
"""

from __future__ import annotations

import bisect
import math
import random
import socket

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pypika_store import geo
from pypika_store.errors import CommandError, NegativeRadiusError

UNITS = ("m", "km", "ft", "mi")


@pytest.fixture(scope="module")
def server(private_redis):
    """The port of this module's own redis-server."""
    return private_redis.port


@pytest.fixture
def r(server):
    """A raw client (no reply parsing, so GEOPOS etc. come back as the exact strings)."""
    client = redis.Redis(port=server, protocol=2)
    client.response_callbacks.clear()
    client.flushall()
    yield client
    client.flushall()
    client.close()


def raw_error(port: int, *args: str) -> str:
    """The error text of a command, read off the wire (redis-py strips the ERR prefix)."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(payload.encode())
        data = b""
        while not data.endswith(b"\r\n"):
            data += sock.recv(4096)
    assert data.startswith(b"-"), data
    return data[1:-2].decode()


def cell_edge_points(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Coordinates on and one ulp either side of step-26 cell borders."""
    points = []
    for _ in range(count):
        area = geo._decode_area(rng.getrandbits(52), geo.STEP_MAX)
        lon = rng.choice([area.long_min, area.long_max])
        lat = rng.choice([area.lat_min, area.lat_max])
        lon = rng.choice([lon, math.nextafter(lon, math.inf), math.nextafter(lon, -math.inf)])
        lat = rng.choice([lat, math.nextafter(lat, math.inf), math.nextafter(lat, -math.inf)])
        if -180 <= lon <= 180 and geo.LAT_MIN <= lat <= geo.LAT_MAX:
            points.append((lon, lat))
    return points


EDGE_POINTS = [
    (0.0, 0.0), (-0.0, -0.0), (180.0, 0.0), (-180.0, 0.0), (0.0, geo.LAT_MAX), (0.0, geo.LAT_MIN),
    (180.0, geo.LAT_MAX), (-180.0, geo.LAT_MIN), (180.0, geo.LAT_MIN), (-180.0, geo.LAT_MAX),
    (math.nextafter(180.0, 0), math.nextafter(geo.LAT_MAX, 0)), (1e-300, -1e-300),
    (13.361389, 38.115556), (15.087269, 37.502669), (-122.27652, 37.805186), (5e-324, 5e-324),
]


def sample_points(seed: int, count: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    points = list(EDGE_POINTS) + cell_edge_points(rng, count // 4)
    while len(points) < count:
        points.append((rng.uniform(-180, 180), rng.uniform(geo.LAT_MIN, geo.LAT_MAX)))
    return points


def test_encode_decode_geohash_and_positions_match_redis(r):
    points = sample_points(1, 1500)
    pipe = r.pipeline(transaction=False)
    for i, (lon, lat) in enumerate(points):
        pipe.execute_command("GEOADD", "pts", repr(lon), repr(lat), f"m{i}")
    pipe.execute()
    members = [f"m{i}" for i in range(len(points))]
    for i in range(len(points)):
        pipe.execute_command("ZSCORE", "pts", members[i])
    scores = pipe.execute()
    positions = r.execute_command("GEOPOS", "pts", *members)
    hashes = r.execute_command("GEOHASH", "pts", *members)
    for (lon, lat), score, position, hashed in zip(points, scores, positions, hashes):
        code = geo.encode(lon, lat)
        assert float(score) == code and int(float(score)) == code, (lon, lat)
        dlon, dlat = geo.decode(code)
        assert [geo.format_coordinate(dlon), geo.format_coordinate(dlat)] == position, (lon, lat)
        assert geo.geohash_string(code) == hashed, (lon, lat)
        # What Redis parses back from GEOPOS encodes to the same score.
        assert geo.encode(float(position[0]), float(position[1])) == code or lon == 180 or \
            lat == geo.LAT_MAX


def test_geodist_in_all_units_matches_redis(r):
    rng = random.Random(2)
    points = sample_points(3, 400)
    # Pairs sharing a longitude take Redis' meridian shortcut; antipodes stress asin.
    points += [(10.0, -40.0), (10.0, 60.0), (-170.0, 10.0), (10.0, -10.0), (0.0, 0.0),
               (180.0, 0.0), (-180.0, 0.0)]
    pipe = r.pipeline(transaction=False)
    for i, (lon, lat) in enumerate(points):
        pipe.execute_command("GEOADD", "pts", repr(lon), repr(lat), f"m{i}")
    pipe.execute()
    pairs = [(rng.randrange(len(points)), rng.randrange(len(points))) for _ in range(600)]
    n = len(points)
    pairs += [(n - 7, n - 6), (n - 5, n - 4), (n - 3, n - 2), (n - 2, n - 1), (5, 5)]
    for a, b in pairs:
        for unit in UNITS:
            pipe.execute_command("GEODIST", "pts", f"m{a}", f"m{b}", unit)
    replies = iter(pipe.execute())
    for a, b in pairs:
        lon1, lat1 = geo.decode(geo.encode(*points[a]))
        lon2, lat2 = geo.decode(geo.encode(*points[b]))
        dist = geo.distance(lon1, lat1, lon2, lat2)
        for unit in UNITS:
            assert geo.format_distance(dist, unit) == next(replies), (points[a], points[b], unit)


def test_exotic_scores_decode_like_redis(r):
    """Members whose score was set by ZADD, not GEOADD: Redis still decodes them."""
    scores = ["0", "1", "1.5", "-1", "-1.5", "4503599627370495", "4503599627370496",
              "9007199254740991", "18014398509481984", "9223372036854775808", "1e19",
              "18446744073709551616", "1e30", "-9223372036854775808", "-1e30", "inf", "-inf",
              "123456789.987", "3471579339700058"]
    for i, score in enumerate(scores):
        r.execute_command("ZADD", "z", score, f"s{i}")
    members = [f"s{i}" for i in range(len(scores))]
    positions = r.execute_command("GEOPOS", "z", *members)
    hashes = r.execute_command("GEOHASH", "z", *members)
    for score, position, hashed in zip(scores, positions, hashes):
        lon, lat = geo.decode(float(score))
        assert [geo.format_coordinate(lon), geo.format_coordinate(lat)] == position, score
        assert geo.geohash_string(float(score)) == hashed, score
    dist = r.execute_command("GEODIST", "z", "s0", "s16", "km")
    a, b = geo.decode(0.0), geo.decode(-math.inf)
    assert geo.format_distance(geo.distance(*a, *b), "km") == dist


def test_errors_match_redis(server):
    bad = [("180.0000001", "0"), ("-180.5", "0"), ("0", "85.05112879"), ("0", "-85.0511288"),
           ("1e300", "-1e300"), ("inf", "0"), ("0", "-inf"), ("181", "86"),
           (repr(math.nextafter(180.0, math.inf)), "0"),
           ("0", repr(math.nextafter(geo.LAT_MAX, math.inf))),
           (repr(math.nextafter(-180.0, -math.inf)), repr(math.nextafter(geo.LAT_MIN, -math.inf)))]
    for lon, lat in bad:
        with pytest.raises(CommandError) as caught:
            geo.encode(float(lon), float(lat))
        assert caught.value.message == raw_error(server, "GEOADD", "k", lon, lat, "x")
        assert caught.value.message == raw_error(server, "GEOSEARCH", "k", "FROMLONLAT", lon, lat,
                                                 "BYRADIUS", "1", "m")
    with pytest.raises(CommandError) as caught:
        geo.unit_factor("yd")
    assert caught.value.message == raw_error(server, "GEODIST", "k", "a", "b", "yd")
    assert geo.unit_factor(b"KM") == 1000 and geo.unit_factor("Mi") == 1609.34
    with pytest.raises(CommandError):
        geo.unit_factor("\u212ai")  # Kelvin sign: not ASCII, Redis' strcasecmp refuses it
    # The limits themselves are accepted.
    assert geo.encode(180, geo.LAT_MAX) > geo.encode(-180, geo.LAT_MIN) == 0
    assert NegativeRadiusError.message == raw_error(server, "GEOSEARCH", "k", "FROMLONLAT", "0", "0",
                                                "BYRADIUS", "-1", "m")


def test_format_distance_edges():
    assert geo.format_distance(0.0) == b"0.0000"
    assert geo.format_distance(0.00004) == b"0.0000"
    assert geo.format_distance(0.00005) == b"0.0000"  # 0.5 rounds to even
    assert geo.format_distance(0.00025) == b"0.0002"  # llrint: ties to even
    assert geo.format_distance(0.00035) == b"0.0004"
    assert geo.format_distance(0.00015) == b"0.0001"  # 1.4999999999999998 after scaling
    assert geo.format_distance(12.34565, 1) == b"12.3456"
    assert geo.format_distance(123.45675, 1000.0) == b"0.1235"
    assert geo.format_distance(1234.5, "km") == b"1.2345"
    assert geo.format_distance(math.nan) == b"-922337203685477.5808"


# ------------------------------------------------------------------------------------------
# Searches
# ------------------------------------------------------------------------------------------

class SortedSetModel:
    """The sorted set as Redis orders it: by score, then member bytes."""

    def __init__(self, entries: dict[bytes, float]) -> None:
        self.items = sorted((score, member) for member, score in entries.items())
        self.scores = [score for score, _ in self.items]

    def scan(self, low: int, high: int):
        index = bisect.bisect_left(self.scores, float(low))
        while index < len(self.items) and self.items[index][0] < float(high):
            score, member = self.items[index]
            yield member, score
            index += 1


@pytest.fixture(scope="module")
def search_world(server):
    """A few thousand members: clusters, duplicates, the antimeridian, the polar limits."""
    rng = random.Random(7)
    points: list[tuple[float, float]] = []
    for _ in range(1200):
        points.append((rng.uniform(-180, 180), rng.uniform(geo.LAT_MIN, geo.LAT_MAX)))
    for center_lon, center_lat in [(13.4, 52.5), (-73.9, 40.7), (179.9, -16.0), (0.0, 0.0),
                                   (-179.99, 84.9), (20.0, -84.95)]:
        for _ in range(350):
            lon = center_lon + rng.gauss(0, 0.3)
            lat = center_lat + rng.gauss(0, 0.2)
            if lon > 180:
                lon -= 360
            if lon < -180:
                lon += 360
            points.append((lon, min(max(lat, geo.LAT_MIN), geo.LAT_MAX)))
    points += [points[5]] * 6 + [points[1300]] * 6  # identical positions: distance ties
    client = redis.Redis(port=server, protocol=2)
    client.response_callbacks.clear()
    client.delete("world")
    pipe = client.pipeline(transaction=False)
    entries = {}
    for i, (lon, lat) in enumerate(points):
        member = f"p{i}".encode()
        pipe.execute_command("GEOADD", "world", repr(lon), repr(lat), member)
        entries[member] = float(geo.encode(lon, lat))
    pipe.execute()
    yield client, SortedSetModel(entries)
    client.delete("world")
    client.close()


def search_cases(seed: int, count: int):
    rng = random.Random(seed)
    centers = [(13.4, 52.5), (-73.9, 40.7), (179.95, -16.0), (-179.95, -16.0), (0.0, 0.0),
               (-179.99, 84.9), (20.0, -84.95), (180.0, geo.LAT_MAX), (-180.0, geo.LAT_MIN)]
    cases = []
    for i in range(count):
        if i % 3 == 0:
            lon, lat = rng.uniform(-180, 180), rng.uniform(geo.LAT_MIN, geo.LAT_MAX)
        else:
            lon, lat = rng.choice(centers)
            lon = min(max(lon + rng.gauss(0, 0.2), -180), 180)
            lat = min(max(lat + rng.gauss(0, 0.1), geo.LAT_MIN), geo.LAT_MAX)
        unit = rng.choice(UNITS)
        scale = rng.choice([0.0, 1e3, 2e4, 1e5, 5e5, 3e6, 8e6]) / geo.UNITS[unit.encode()]
        size = round(rng.uniform(0, scale), rng.choice([0, 3, 6])) if scale else 0.0
        size2 = round(rng.uniform(0, scale * 2), 2)
        cases.append((lon, lat, unit, size, size2))
    return cases


def parse_hits(reply):
    """[[member, dist, hash, [lon, lat]], ...] from WITHDIST WITHHASH WITHCOORD."""
    return [(m, d, h, tuple(c)) for m, d, h, c in reply]


def model_hits(points: list[geo.GeoPoint], unit: str):
    return [(p.member, geo.format_distance(p.distance, unit), int(p.score),
             (geo.format_coordinate(p.longitude), geo.format_coordinate(p.latitude)))
            for p in points]


@pytest.mark.parametrize("shape", ["radius", "box"])
def test_search_matches_redis(search_world, shape):
    client, model = search_world
    conversion_of = {u: geo.UNITS[u.encode()] for u in UNITS}
    compared = nonempty = 0
    for lon, lat, unit, size, size2 in search_cases(11 if shape == "radius" else 12, 45):
        if shape == "radius":
            by = ["BYRADIUS", repr(size), unit]
            kwargs = {"radius": size}
        else:
            by = ["BYBOX", repr(size), repr(size2), unit]
            kwargs = {"width": size, "height": size2}
        base = ["GEOSEARCH", "world", "FROMLONLAT", repr(lon), repr(lat), *by,
                "WITHDIST", "WITHHASH", "WITHCOORD"]
        found = geo.search(model.scan, lon, lat, conversion=conversion_of[unit], **kwargs)
        context = (lon, lat, by)
        # Collection order (no sorting), then both sort orders.
        assert parse_hits(client.execute_command(*base)) == model_hits(found, unit), context
        for order in ("ASC", "DESC"):
            expected = model_hits(geo.sort_points(found, order), unit)
            assert parse_hits(client.execute_command(*base, order)) == expected, context
        # COUNT cuts with Redis' partial quicksort (ties included).
        if found:
            nonempty += 1
            count = max(1, len(found) // 3)
            for order in ("ASC", "DESC"):
                expected = model_hits(geo.sort_points(found, order, count), unit)
                got = client.execute_command(*base, "COUNT", count, order)
                assert parse_hits(got) == expected, context
            # ANY stops collecting early; without an order the hits stay unsorted.
            limited = geo.search(model.scan, lon, lat, conversion=conversion_of[unit],
                                 limit=count, **kwargs)
            got = client.execute_command(*base, "COUNT", count, "ANY")
            assert parse_hits(got) == model_hits(geo.sort_points(limited, None), unit), context
        compared += 1
    assert compared == 45 and nonempty >= 15


def test_ranges_and_membership_directly(search_world):
    """The public range/membership functions, used by hand, give GEORADIUS' member set."""
    client, model = search_world
    for lon, lat, unit, size, size2 in search_cases(13, 20):
        conversion = geo.UNITS[unit.encode()]
        hits = []
        for low, high in geo.radius_ranges(lon, lat, radius=size, conversion=conversion):
            for member, score in model.scan(low, high):
                dist = geo.in_radius(lon, lat, size * conversion, *geo.decode(score))
                if dist is not None:
                    hits.append([member, geo.format_distance(dist, unit)])
        got = client.execute_command("GEORADIUS", "world", repr(lon), repr(lat), repr(size), unit,
                                     "WITHDIST")
        assert got == hits, (lon, lat, size, unit)
        # In metres the ranges are the same cells.
        assert geo.radius_ranges(lon, lat, size * conversion) == \
            geo.radius_ranges(lon, lat, radius=size, conversion=conversion)
        box = geo.box_ranges(lon, lat, size * conversion, size2 * conversion)
        assert len(box) <= 9 and all(low < high for low, high in box)
        hits = []
        for low, high in geo.box_ranges(lon, lat, width=size, height=size2, conversion=conversion):
            for member, score in model.scan(low, high):
                dist = geo.in_box(lon, lat, size * conversion, size2 * conversion,
                                  *geo.decode(score))
                if dist is not None:
                    hits.append(member)
        got = client.execute_command("GEOSEARCH", "world", "FROMLONLAT", repr(lon), repr(lat),
                                     "BYBOX", repr(size), repr(size2), unit)
        assert got == hits, (lon, lat, size, size2, unit)


def test_huge_radius_dedups_neighbours_like_redis(search_world):
    client, model = search_world
    for lon, lat in [(0.0, 0.0), (100.0, 80.0), (-179.0, -70.0)]:
        for km in (5000, 12000, 20000, 40000):
            ranges = geo.radius_ranges(lon, lat, km * 1000.0)
            assert len(ranges) <= 9
            found = geo.search(model.scan, lon, lat, radius=km, conversion=1000.0)
            got = client.execute_command("GEOSEARCH", "world", "FROMLONLAT", repr(lon), repr(lat),
                                         "BYRADIUS", km, "km")
            assert got == [p.member for p in found], (lon, lat, km)


def test_count_tie_order_follows_redis_partial_quicksort(r):
    """Many members share positions, so COUNT cuts through groups of equal distances; the
    order of ties there is whatever Redis' partial quicksort leaves, which we replay."""
    rng = random.Random(5)
    spots = [(2.0 + rng.uniform(-0.05, 0.05), 48.0 + rng.uniform(-0.05, 0.05)) for _ in range(9)]
    entries = {}
    args = []
    for i in range(260):
        lon, lat = spots[i % len(spots)] if i % 13 else spots[rng.randrange(3)]
        member = f"t{rng.randrange(10**6)}-{i}".encode()
        args += [repr(lon), repr(lat), member]
        entries[member] = float(geo.encode(lon, lat))
    r.execute_command("GEOADD", "ties", *args)
    model = SortedSetModel(entries)
    found = geo.search(model.scan, 2.0, 48.0, radius=30, conversion=1000.0)
    assert len(found) == 260
    for count in (1, 2, 5, 7, 8, 29, 30, 41, 100, 131, 259, 260, 500):
        for order in ("ASC", "DESC"):
            got = r.execute_command("GEOSEARCH", "ties", "FROMLONLAT", "2", "48", "BYRADIUS", "30",
                                    "km", "COUNT", count, order, "WITHDIST")
            expected = [[p.member, geo.format_distance(p.distance, "km")]
                        for p in geo.sort_points(found, order, count)]
            assert got == expected, (count, order)


def test_sort_points_is_stable_without_count_and_handles_nan():
    points = [geo.GeoPoint(f"m{i}".encode(), 0.0, 0.0, 0.0, d)
              for i, d in enumerate([3.0, 1.0, 3.0, math.nan, 1.0, 2.0])]
    # glibc's merge sort with Redis' comparator, where NaN compares "less" both ways round.
    assert [p.member for p in geo.sort_points(points, "asc")] == \
        [b"m1", b"m0", b"m2", b"m3", b"m4", b"m5"]
    clean = [p for p in points if not math.isnan(p.distance)]
    assert [p.member for p in geo.sort_points(clean, "asc")] == [b"m1", b"m4", b"m5", b"m0", b"m2"]
    assert [p.member for p in geo.sort_points(clean, "desc")] == [b"m0", b"m2", b"m5", b"m1", b"m4"]
    assert [p.member for p in geo.sort_points(points, None, 2)] == [b"m0", b"m1"]
    with pytest.raises(ValueError):
        geo.sort_points(points, "sideways")


# ------------------------------------------------------------------------------------------
# Randomised
# ------------------------------------------------------------------------------------------

coordinate_pairs = st.tuples(
    st.one_of(st.floats(-180, 180), st.sampled_from([-180.0, 180.0, 0.0, -0.0])),
    st.one_of(st.floats(geo.LAT_MIN, geo.LAT_MAX), st.sampled_from([geo.LAT_MIN, geo.LAT_MAX])),
)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=coordinate_pairs, b=coordinate_pairs, unit=st.sampled_from(UNITS),
       radius=st.floats(0, 2e7, allow_nan=False))
def test_random_pairs_match_redis(r, a, b, unit, radius):
    r.delete("h")
    r.execute_command("GEOADD", "h", repr(a[0]), repr(a[1]), "a", repr(b[0]), repr(b[1]), "b")
    score_a, score_b = (float(s) for s in (r.execute_command("ZSCORE", "h", "a"),
                                            r.execute_command("ZSCORE", "h", "b")))
    assert (score_a, score_b) == (geo.encode(*a), geo.encode(*b))
    pos_a, pos_b = geo.decode(score_a), geo.decode(score_b)
    assert r.execute_command("GEOPOS", "h", "a", "b") == [
        [geo.format_coordinate(x) for x in pos_a], [geo.format_coordinate(x) for x in pos_b]]
    assert r.execute_command("GEOHASH", "h", "a", "b") == [geo.geohash_string(score_a),
                                                           geo.geohash_string(score_b)]
    assert r.execute_command("GEODIST", "h", "a", "b", unit) == \
        geo.format_distance(geo.distance(*pos_a, *pos_b), unit)
    # Searching from a's position finds exactly the members Redis finds.
    model = SortedSetModel({b"a": score_a, b"b": score_b})
    conversion = geo.UNITS[unit.encode()]
    size = radius / conversion
    found = geo.search(model.scan, a[0], a[1], radius=size, conversion=conversion)
    got = r.execute_command("GEOSEARCH", "h", "FROMLONLAT", repr(a[0]), repr(a[1]),
                            "BYRADIUS", repr(size), unit, "WITHDIST")
    assert got == [[p.member, geo.format_distance(p.distance, unit)] for p in found]
    found = geo.search(model.scan, a[0], a[1], width=size, height=size / 2, conversion=conversion)
    got = r.execute_command("GEOSEARCH", "h", "FROMLONLAT", repr(a[0]), repr(a[1]),
                            "BYBOX", repr(size), repr(size / 2), unit, "WITHDIST")
    assert got == [[p.member, geo.format_distance(p.distance, unit)] for p in found]
