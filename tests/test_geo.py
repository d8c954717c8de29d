"""GEO commands, compared reply by reply (errors, order and number formatting included) with a
real redis-server: fixed scenarios for every command and error path, a few thousand random
points searched every way, RESP3 replies byte for byte, and what the binlog records."""

from __future__ import annotations

import os
import random

import pytest

from pypika_store import geo
from pypika_store.binlog import BinlogReader
from pypika_store.binlog.format import decode_command
from pypika_store.server.commands import geo as geo_commands
from pypika_store.testing import PikaServer

from .support import RawConnection, encode_command

SICILY = ("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
#: Members on the limits and the antimeridian, and two sharing one spot (distance ties).
EDGES = ("GEOADD", "e", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw", "179.9999", "0", "east",
         "-179.9999", "0", "west", "0", "0", "origin", "0.001", "0.001", "near", "0.001", "0.001", "twin")

SCENARIOS = {
    "geoadd": [
        SICILY, ("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"), ("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"),
        ("GEOADD", "Sicily", "CH", "13.5", "38.1", "Palermo", "14", "37", "Enna"),
        ("GEOADD", "Sicily", "NX", "1", "1", "Palermo", "15.5", "37.1", "Siracusa"),
        ("GEOADD", "Sicily", "XX", "CH", "1", "1", "Palermo", "2", "2", "Nowhere"),
        ("GEOADD", "Sicily", "xx", "nx", "1", "1", "Palermo"), ("GEOADD", "Sicily", "ch", "ch", "1", "2", "dup", "3", "4", "dup"),
        ("GEOADD", "Sicily", "GT", "1", "2", "x"), ("GEOADD", "Sicily", "GT", "1", "2"), ("GEOADD", "Sicily", "1", "2", "x", "3"),
        ("GEOADD", "Sicily", "CH", "CH", "CH"), ("GEOADD", "Sicily", "NX", "XX", "CH"), ("GEOADD", "Sicily", "1", "2"),
        ("GEOADD", "Sicily", "x", "1", "a"), ("GEOADD", "Sicily", "1", "nan", "a"), ("GEOADD", "Sicily", "1", "1", "ok", "1", "y", "b"),
        ("GEOADD", "Sicily", "180.0000001", "0", "a"), ("GEOADD", "Sicily", "0", "85.05112879", "a"),
        ("GEOADD", "Sicily", "1", "1", "ok", "-181", "-86", "b"), ("GEOADD", "Sicily", "inf", "0", "a"),
        ("GEOADD", "Sicily", "1e400", "0", "a"), ("GEOADD", "Sicily", " 1", "0", "a"), ("GEOADD", "Sicily", "0x10", "0", "hex"),
        ("GEOADD", "Sicily", "180", "85.05112878", "corner", "-180", "-85.05112878", "other", "-0", "-0", "zero"),
        ("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"), ("GEOADD", "fresh", "XX", "1", "1", "a"), ("EXISTS", "fresh"),
        ("GEOADD", "fresh", "NX", "CH", "1", "1", "a"), ("GEOADD", "fresh", "XX", "CH", "1", "1", "a"), ("ZCARD", "fresh"),
    ],
    "geopos_geohash_geodist": [
        SICILY, EDGES, ("GEOPOS", "Sicily", "Palermo", "missing", "Catania"), ("GEOPOS", "Sicily"), ("GEOPOS", "nokey", "a", "b"),
        ("GEOPOS", "e", "ne", "sw", "east", "west", "origin", "near"), ("GEOHASH", "Sicily", "Palermo", "missing", "Catania"),
        ("GEOHASH", "e", "ne", "sw", "east", "west", "origin"), ("GEOHASH", "nokey", "a"), ("GEOHASH", "Sicily"),
        ("GEODIST", "Sicily", "Palermo", "Catania"), ("GEODIST", "Sicily", "Palermo", "Catania", "km"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "MI"), ("GEODIST", "Sicily", "Palermo", "Catania", "Ft"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "m"), ("GEODIST", "Sicily", "Palermo", "Catania", "yd"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "km", "extra"), ("GEODIST", "Sicily", "Palermo", "missing"),
        ("GEODIST", "Sicily", "missing", "Palermo", "km"), ("GEODIST", "nokey", "a", "b"), ("GEODIST", "nokey", "a", "b", "yd"),
        ("GEODIST", "Sicily", "Palermo", "Palermo"), ("GEODIST", "e", "ne", "sw", "km"), ("GEODIST", "e", "east", "west"),
        ("GEODIST", "e", "near", "twin"),
        # Scores ZADD set directly still decode, as Redis decodes any score.
        ("ZADD", "raw", "0", "zero", "-1", "neg", "1.5", "frac", "inf", "pinf", "-inf", "ninf", "1e30", "big", "4503599627370496", "edge"),
        ("GEOPOS", "raw", "zero", "neg", "frac", "pinf", "ninf", "big", "edge"),
        ("GEOHASH", "raw", "zero", "neg", "frac", "pinf", "big"),
        ("GEODIST", "raw", "zero", "ninf", "km"), ("GEODIST", "raw", "neg", "big"),
        ("GEOSEARCH", "raw", "FROMLONLAT", "-180", "-85", "BYRADIUS", "500", "km", "WITHCOORD", "WITHHASH", "WITHDIST"),
    ],
    "georadius": [
        SICILY, EDGES, ("GEORADIUS", "Sicily", "15", "37", "200", "km"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC", "WITHDIST", "WITHCOORD", "WITHHASH"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "withhash", "withcoord", "withdist"),
        ("GEORADIUS", "Sicily", "15", "37", "100", "km", "WITHDIST"), ("GEORADIUS", "Sicily", "15", "37", "1", "m"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "DESC"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY", "COUNT", "5"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "-3"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "FOO"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "yd"), ("GEORADIUS", "Sicily", "15", "37", "-1", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "x", "km"), ("GEORADIUS", "Sicily", "15", "37", "x", "yd"),
        ("GEORADIUS", "Sicily", "15", "100", "x", "km"), ("GEORADIUS", "Sicily", "x", "37", "1", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "-1", "yd"), ("GEORADIUS", "Sicily", "15", "37", "0", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "FROMMEMBER", "Palermo"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "BYRADIUS", "1", "km"),
        ("GEORADIUS", "e", "0", "0", "500", "m", "WITHDIST", "ASC"), ("GEORADIUS", "e", "0", "0", "20000", "km", "WITHDIST"),
        ("GEORADIUS", "e", "180", "0", "100", "km", "WITHCOORD"), ("GEORADIUS", "e", "-180", "-85.05112878", "1", "km", "WITHHASH"),
        ("GEORADIUS", "e", "0.001", "0.001", "1", "m", "WITHDIST", "COUNT", "1", "DESC"),
        ("GEORADIUS", "nokey", "15", "37", "200", "km"), ("GEORADIUS", "nokey", "15", "100", "200", "km"),
        ("GEORADIUS", "nokey", "15", "37", "200", "km", "FOO"),
    ],
    "georadius_store": [
        SICILY, ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "mi", "storedist", "dst", "COUNT", "1", "DESC"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "STOREDIST", "dist2"), ("EXISTS", "dist2"),
        ("ZRANGE", "dist2", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst", "WITHDIST"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD", "STOREDIST", "dst"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST"),
        ("GEORADIUS", "Sicily", "15", "37", "1", "m", "STORE", "dst"), ("EXISTS", "dst"),
        ("SET", "str", "v"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "str"), ("TYPE", "str"),
        ("GEORADIUS", "nokey", "15", "37", "200", "km", "STORE", "str"), ("EXISTS", "str"),
        ("GEORADIUS", "nokey", "15", "37", "200", "km", "STORE", "str", "WITHDIST"),
        ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "dst"),
        ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst"),
        ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST", "ASC"), ("GEORADIUS_RO", "Sicily", "15", "37", "-2", "km"),
        ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "STORE", "dst"), ("EXISTS", "dst"),
    ],
    "georadiusbymember": [
        SICILY, EDGES, ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH", "DESC"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "COUNT", "1"),
        ("GEORADIUSBYMEMBER", "Sicily", "missing", "200", "km"), ("GEORADIUSBYMEMBER", "Sicily", "missing", "x", "yd"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "x", "km"), ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "1", "yd"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "-1", "km"), ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "BAD"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STOREDIST", "d"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("GEORADIUSBYMEMBER", "nokey", "m", "x", "yd"), ("GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "STORE", "d"), ("EXISTS", "d"),
        ("GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "BAD"), ("GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "ANY"),
        ("GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "COUNT", "0"),
        ("GEORADIUSBYMEMBER_RO", "Sicily", "Catania", "100", "mi", "WITHDIST"), ("GEORADIUSBYMEMBER_RO", "Sicily", "missing", "1", "m"),
        ("GEORADIUSBYMEMBER", "e", "near", "1", "m", "WITHDIST"), ("GEORADIUSBYMEMBER", "e", "ne", "5000", "km", "WITHDIST"),
        ("GEORADIUSBYMEMBER", "e", "east", "50", "km", "WITHDIST", "WITHCOORD"),
    ],
    "geosearch": [
        SICILY, EDGES, ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "DESC", "WITHDIST", "WITHHASH", "WITHCOORD"),
        ("GEOSEARCH", "Sicily", "BYBOX", "400", "400", "km", "FROMMEMBER", "Palermo", "WITHDIST"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "100", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "0", "0", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "1", "WITHDIST"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "1", "ANY"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "2", "ANY", "DESC"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMLONLAT", "13", "38", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km", "BYBOX", "1", "1", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "1", "km", "BYRADIUS", "10", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "WITHDIST", "WITHCOORD", "ASC"),
        ("GEOSEARCH", "Sicily", "BYRADIUS", "10", "km", "WITHDIST", "ASC"),
        ("geoSearch", "Sicily", "BYRADIUS", "10", "km", "ASC", "ANY"),
        ("geosearch", "Sicily", "FROMMEMBER", "Palermo", "ASC", "DESC", "WITHDIST"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "missing", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "missing", "BYRADIUS", "-1", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "200", "37", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "x", "37", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "yd"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "x", "1", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "x", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "x", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "yd"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "ASC", "BYRADIUS", "1"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STORE", "d"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STOREDIST"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "COUNT", "0"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "ANY"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "ANY", "COUNT", "99999999999999999999"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "m", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "m", "BYRADIUS", "-1", "km"),
        ("GEOSEARCH", "nokey", "FROMLONLAT", "0", "90", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "m", "WITHDIST", "ASC", "ANY"),
        ("GEOSEARCH", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "ANY"),
        ("GEOSEARCH", "e", "FROMLONLAT", "0", "0", "BYBOX", "30000", "30000", "km", "WITHDIST", "WITHCOORD"),
        ("GEOSEARCH", "e", "FROMMEMBER", "near", "BYBOX", "1", "1", "m", "WITHDIST", "DESC"),
        ("GEOSEARCH", "e", "FROMMEMBER", "twin", "BYRADIUS", "0", "m", "WITHHASH"),
        ("GEOSEARCH", "e", "FROMMEMBER", "east", "BYBOX", "100", "10", "km", "WITHCOORD"),
        ("GEOSEARCH", "e", "FROMMEMBER", "ne", "BYRADIUS", "100", "km", "WITHCOORD"),
    ],
    "geosearchstore": [
        SICILY, ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "Catania", "BYBOX", "300", "300", "mi", "storedist", "COUNT", "1", "DESC"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHHASH", "COUNT", "0"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "x"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST", "x"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "WITHDIST"),
        ("geosearchstore", "dst", "Sicily", "BYRADIUS", "200", "km", "STOREDIST"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"), ("EXISTS", "dst"),
        ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ANY", "COUNT", "1"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"), ("GEOSEARCHSTORE", "dst", "nokey", "FROMMEMBER", "m", "BYRADIUS", "1", "km"),
        ("EXISTS", "dst"), ("GEOSEARCHSTORE", "Sicily", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
        ("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"), ("SET", "str", "v"),
        ("GEOSEARCHSTORE", "str", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"), ("TYPE", "str"),
    ],
    "wrongtype": [
        ("SET", "s", "v"), ("GEOADD", "s", "1", "1", "a"), ("GEOADD", "s", "1", "100", "a"), ("GEOADD", "s", "1", "2"),
        ("GEOPOS", "s", "a"), ("GEOHASH", "s", "a"), ("GEODIST", "s", "a", "b"), ("GEODIST", "s", "a", "b", "yd"),
        ("GEORADIUS", "s", "1", "100", "x", "yd"), ("GEORADIUS_RO", "s", "1", "1", "1", "km"),
        ("GEORADIUSBYMEMBER", "s", "a", "x", "yd"), ("GEORADIUSBYMEMBER_RO", "s", "a", "1", "km"),
        ("GEOSEARCH", "s", "FROMLONLAT", "500", "0", "BYRADIUS", "x"),
        ("GEOSEARCHSTORE", "d", "s", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
        ("LPUSH", "l", "x"), ("GEOSEARCH", "l", "FROMMEMBER", "a", "BYRADIUS", "1", "km"), ("GEOPOS", "l"),
    ],
    "nul_bytes": [
        SICILY, ("GEODIST", "Sicily", "Palermo", "Catania", "km\0junk"), ("GEOADD", "Sicily", "ch\0x", "1", "1", "Palermo"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km\0", "WITHDIST\0x", "asc\0"),
        ("GEORADIUS", "Sicily", "15", "37", "500", "mi\0", "COUNT\0", "1"),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_geo_scenario_matches_redis(diff, name):
    diff.check_all(SCENARIOS[name])


# -- a few thousand random points ------------------------------------------------------------------

UNITS = ("m", "km", "ft", "mi")
CLUSTERS = [(13.4, 52.5), (-73.9, 40.7), (179.95, -16.0), (-179.95, -16.0), (0.0, 0.0), (-179.99, 84.9),
            (20.0, -84.95), (151.2, -33.9)]


def _clamp(lon: float, lat: float) -> tuple[float, float]:
    lon = lon - 360 if lon > 180 else lon + 360 if lon < -180 else lon
    return lon, min(max(lat, geo.LAT_MIN), geo.LAT_MAX)


def _world(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Uniform points, dense clusters (many candidates per cell, antimeridian, polar limits)
    and repeated positions (equal distances, so sort ties)."""
    points = [(rng.uniform(-180, 180), rng.uniform(geo.LAT_MIN, geo.LAT_MAX)) for _ in range(count // 3)]
    while len(points) < count - 40:
        lon, lat = rng.choice(CLUSTERS)
        points.append(_clamp(lon + rng.gauss(0, 0.3), lat + rng.gauss(0, 0.2)))
    points += [points[7]] * 20 + [points[count // 2]] * 20
    return points


def _load(diff, key: str, points: list[tuple[float, float]]) -> list[str]:
    members = [f"p{index}" for index in range(len(points))]
    for start in range(0, len(points), 200):
        args = [part for index in range(start, min(start + 200, len(points)))
                for part in (repr(points[index][0]), repr(points[index][1]), members[index])]
        diff.check("GEOADD", key, *args)
    return members


def _center(rng: random.Random, members: list[str], search_syntax: bool) -> list[str]:
    """FROMMEMBER / FROMLONLAT (GEOSEARCH) or the GEORADIUS fixed centre, near a cluster or anywhere."""
    if search_syntax and rng.random() < 0.3:
        return ["FROMMEMBER", rng.choice(members)]
    lon, lat = rng.choice(CLUSTERS) if rng.random() < 0.7 else (rng.uniform(-180, 180), rng.uniform(-85, 85))
    lon, lat = _clamp(lon + rng.gauss(0, 0.2), lat + rng.gauss(0, 0.1))
    return ["FROMLONLAT", repr(lon), repr(lat)] if search_syntax else [repr(lon), repr(lat)]


def _size(rng: random.Random, unit: str) -> str:
    metres = rng.choice([0.0, 500.0, 2e4, 1e5, 5e5, 3e6, 8e6, 2.1e7])
    return repr(round(rng.uniform(0, metres) / geo.UNITS[unit.encode()], rng.choice([0, 3, 6])))


def _options(rng: random.Random, storing: bool) -> list[str]:
    """WITH* (not when storing), an order, COUNT [ANY], in a random order."""
    groups: list[list[str]] = []
    if not storing:
        groups += [[flag] for flag in ("WITHDIST", "WITHHASH", "WITHCOORD") if rng.random() < 0.5]
    if rng.random() < 0.6:
        groups.append([rng.choice(["ASC", "DESC"])])
    if rng.random() < 0.5:
        groups.append(["COUNT", str(rng.choice([1, 2, 3, 10, 50, 500, 10000]))])
        if rng.random() < 0.4:
            groups.append(["ANY"])
    rng.shuffle(groups)
    return [part for group in groups for part in group]


def _random_search(rng: random.Random, key: str, members: list[str], store: str | None) -> tuple:
    """One GEORADIUS* / GEOSEARCH* call; with ``store`` a STORE/STOREDIST form writing there."""
    unit = rng.choice(UNITS)
    options = _options(rng, storing=store is not None)
    form = rng.choice(["GEORADIUS", "GEORADIUSBYMEMBER", "GEOSEARCH"] + ([] if store else ["GEORADIUS_RO",
                                                                                          "GEORADIUSBYMEMBER_RO"]))
    if form == "GEOSEARCH":
        shape = ["BYRADIUS", _size(rng, unit), unit] if rng.random() < 0.5 else \
            ["BYBOX", _size(rng, unit), _size(rng, unit), unit]
        groups = [_center(rng, members, True), shape]
        rng.shuffle(groups)
        search = [part for group in groups for part in group] + options
        if store:
            return ("GEOSEARCHSTORE", store, key, *search, *(["STOREDIST"] if rng.random() < 0.5 else []))
        return ("GEOSEARCH", key, *search)
    center = [rng.choice(members)] if form.startswith("GEORADIUSBYMEMBER") else _center(rng, members, False)
    storing = [rng.choice(["STORE", "STOREDIST"]), store] if store else []
    return (form, key, *center, _size(rng, unit), unit, *options, *storing)


@pytest.fixture
def world(diff):
    rng = random.Random(2024)
    points = _world(rng, 3000)
    return rng, _load(diff, "world", points)


def test_random_searches_match_redis(diff, world):
    rng, members = world
    nonempty = 0
    for _ in range(300):
        reply = diff.check(*_random_search(rng, "world", members, None))
        nonempty += bool(reply)
    assert nonempty > 150


def test_random_stores_match_redis(diff, world):
    rng, members = world
    for _ in range(80):
        diff.check(*_random_search(rng, "world", members, "dst"))
        diff.check("ZRANGE", "dst", "0", "-1", "WITHSCORES")


def test_count_cuts_through_distance_ties_like_redis(diff, world):
    """The last 40 members sit on two spots: COUNT then cuts groups of equal distances, whose
    order is whatever Redis' partial quicksort leaves."""
    _rng, members = world
    for member in (members[-1], members[-21]):
        for count in ("1", "5", "19", "20", "21", "60"):
            for order in ("ASC", "DESC"):
                diff.check("GEOSEARCH", "world", "FROMMEMBER", member, "BYRADIUS", "300", "km", "WITHDIST",
                           "COUNT", count, order)
                diff.check("GEORADIUSBYMEMBER", "world", member, "300", "km", "COUNT", count, order, "STORE", "dst")
                diff.check("ZRANGE", "dst", "0", "-1", "WITHSCORES")


def test_random_positions_hashes_and_distances_match_redis(diff, world):
    rng, members = world
    picked = rng.sample(members, 300) + ["missing"]
    diff.check("GEOPOS", "world", *picked)
    diff.check("GEOHASH", "world", *picked)
    diff.check("ZRANGE", "world", "0", "-1", "WITHSCORES")
    for _ in range(200):
        diff.check("GEODIST", "world", rng.choice(members), rng.choice(members), rng.choice(UNITS))


def test_geoadd_flags_on_random_updates_match_redis(diff, world):
    rng, members = world
    for _ in range(30):
        chosen = rng.sample(members, 5) + [f"new{rng.randrange(50)}"]
        args = [part for member in chosen
                for part in (repr(rng.uniform(-180, 180)), repr(rng.uniform(-85, 85)), member)]
        flags = rng.choice([[], ["NX"], ["XX"], ["CH"], ["NX", "CH"], ["XX", "CH"]])
        diff.check("GEOADD", "world", *flags, *args)
    diff.check("ZRANGE", "world", "0", "-1", "WITHSCORES")
    diff.check("GEOSEARCH", "world", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "WITHDIST", "COUNT", "50")


# -- RESP3: coordinates are doubles there, written with the GEOPOS digits ------------------------------


def _resp3_bytes(port: int, args: tuple) -> bytes:
    """The exact bytes of one reply after HELLO 3 (a PING after it marks the end)."""
    connection = RawConnection(port)
    try:
        connection.call("HELLO", "3")
        connection.send_raw(encode_command(args) + encode_command(("PING",)))
        data = b""
        while not data.endswith(b"+PONG\r\n"):
            data += connection.sock.recv(1 << 16)
        return data[:-len(b"+PONG\r\n")]
    finally:
        connection.close()


RESP3_COMMANDS = [
    ("GEOPOS", "Sicily", "Palermo", "missing", "Catania"), ("GEOPOS", "nokey", "a"), ("GEOHASH", "Sicily", "Palermo", "x"),
    ("GEODIST", "Sicily", "Palermo", "Catania", "km"), ("GEODIST", "Sicily", "Palermo", "x"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST", "WITHHASH", "WITHCOORD", "ASC"),
    ("GEORADIUS_RO", "Sicily", "15", "37", "1", "m"), ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "300", "km", "WITHCOORD"),
]


@pytest.mark.parametrize("args", RESP3_COMMANDS, ids=[" ".join(args[:1] + args[2:4]) for args in RESP3_COMMANDS])
def test_resp3_replies_are_byte_identical(diff, real_redis, pika_server, args):
    diff.check(*SICILY)
    assert _resp3_bytes(pika_server.port, args) == _resp3_bytes(real_redis.port, args)


# -- the binlog -------------------------------------------------------------------------------------


def _logged(server: PikaServer) -> list[list[bytes]]:
    directory = os.path.join(server.data_dir, "log", "log_db0")
    return [decode_command(item.content) for _start, _end, item in BinlogReader(directory).items()]


GEO_WRITES = [
    SICILY, ("GEOADD", "Sicily", "XX", "CH", "13.5", "38.2", "Palermo", "1", "1", "ignored"),
    ("GEORADIUS", "Sicily", "15", "37", "300", "km", "STORE", "near"),
    ("GEORADIUSBYMEMBER", "Sicily", "Catania", "300", "mi", "STOREDIST", "dist"),
    ("GEOSEARCHSTORE", "box", "Sicily", "FROMLONLAT", "14", "37.8", "BYBOX", "400", "300", "km", "STOREDIST", "COUNT", "1"),
    ("SET", "gone", "v"), ("GEOSEARCHSTORE", "gone", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"),
]


def test_geo_writes_are_logged_and_replay_to_the_same_data(tmp_path):
    with PikaServer(data_dir=str(tmp_path / "a")) as server:
        client = server.client()
        for args in GEO_WRITES:
            client.execute_command(*args)
        keys = sorted(client.keys("*"))
        original = {key: client.zrange(key, 0, -1, withscores=True) for key in keys}
        records = _logged(server)
    assert keys == [b"Sicily", b"box", b"dist", b"near"]
    assert records[0][:2] == [b"zadd", b"Sicily"] and [b"del", b"gone"] in records
    with PikaServer(data_dir=str(tmp_path / "b"), config={"write-binlog": "no"}) as replica:
        replay = replica.client()
        for argv in records:
            replay.execute_command(*argv)
        assert sorted(replay.keys("*")) == keys
        assert {key: replay.zrange(key, 0, -1, withscores=True) for key in keys} == original


def test_search_reads_only_the_cells_it_needs(pika_server, monkeypatch):
    """Among 20000 members spread over the globe, a 1 km search must visit only the members of
    its few cells: the rank cache's bisections bound the work, not the sorted set's size."""
    visited: list[tuple[bytes, float]] = []
    original = geo_commands._scanner

    def counting(store, collection):
        scan = original(store, collection)

        def recorded(low: int, high: int):
            for pair in scan(low, high):
                visited.append(pair)
                yield pair
        return recorded

    monkeypatch.setattr(geo_commands, "_scanner", counting)
    client = pika_server.client()
    rng = random.Random(3)
    args = [part for index in range(20000)
            for part in (repr(rng.uniform(-180, 180)), repr(rng.uniform(-80, 80)), f"m{index}")]
    try:
        client.execute_command("GEOADD", "big", *args, "2.35", "48.85", "paris")
        found = client.execute_command("GEOSEARCH", "big", "FROMMEMBER", "paris", "BYRADIUS", "1", "km")
        assert b"paris" in found and 0 < len(visited) < 50
    finally:
        client.delete("big")
        client.close()
