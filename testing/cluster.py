"""Shards behind twemproxy: N replication groups behind a real ``nutcracker`` (docs/sharding.md).

    from pypika_store.testing import PikaCluster

    with PikaCluster(shards=3, slaves=1) as cluster:
        r = cluster.client()                      # redis-py on the proxy
        r.set("user:1", "ada")
        shard = cluster.shards[cluster.shard_of("user:1")]
        assert shard.master.client().get("user:1") == b"ada"

Each shard is a :class:`PikaGroup` (optionally watched by its own :class:`SentinelGroup`); the
proxy is Debian's ``nutcracker`` (twemproxy) with a config written to a temporary folder, on a
free port, stopped with the cluster. Servers are named ``shard0``, ``shard1``... in the proxy's
config, so the key distribution depends on the names alone: a shard's master can move (a
failover) without moving any key.

:class:`Continuum` computes where nutcracker sends a key (ketama over the server names and
weights, the pool's hash function and hash tag), so tests and resharding can tell a key's
shard without asking the proxy. :class:`SentinelFollower` is the helper users need because
twemproxy does not follow Sentinel: on ``+switch-master`` it rewrites the proxy's config for
that shard and restarts the proxy.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import inspect
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .embedded import free_port, wait_for
from .group import PikaGroup
from .sentinel import MASTER_NAME, SentinelGroup

_MASK32 = 0xFFFFFFFF
#: ketama's points per server at equal weights (nc_ketama.c), 4 per MD5 digest.
POINTS_PER_SERVER = 160
POINTS_PER_DIGEST = 4


def nutcracker_binary() -> str | None:
    """Debian installs nutcracker in /usr/sbin, which is not on every PATH."""
    return shutil.which("nutcracker") or shutil.which("nutcracker", path="/usr/sbin:/usr/local/sbin")


# -- where nutcracker sends a key -------------------------------------------------------------

def fnv1a_64(key: bytes) -> int:
    """twemproxy's ``fnv1a_64``: FNV-1a on 32 bits seeded and multiplied with the 64-bit
    constants cut to 32 bits; each byte is widened as a signed ``char`` (x86), so bytes from
    0x80 up are sign-extended."""
    value = 0xCBF29CE484222325 & _MASK32
    prime = 0x100000001B3 & _MASK32
    for byte in key:
        value ^= byte | 0xFFFFFF00 if byte & 0x80 else byte
        value = (value * prime) & _MASK32
    return value


def murmur(key: bytes) -> int:
    """twemproxy's ``murmur``: MurmurHash2 seeded with ``0xdeadbeef * length``, the 4-byte words
    read little-endian."""
    multiplier = 0x5BD1E995
    length = len(key)
    value = ((0xDEADBEEF * length) ^ length) & _MASK32
    whole = length - length % 4
    for (word,) in struct.iter_unpack("<I", key[:whole]):
        word = (word * multiplier) & _MASK32
        word ^= word >> 24
        word = (word * multiplier) & _MASK32
        value = ((value * multiplier) & _MASK32) ^ word
    tail = key[whole:]
    if tail:
        for shift, byte in reversed(list(enumerate(tail))):
            value ^= byte << (8 * shift)
        value = (value * multiplier) & _MASK32
    value ^= value >> 13
    value = (value * multiplier) & _MASK32
    return value ^ (value >> 15)


def md5(key: bytes) -> int:
    """twemproxy's ``md5``: the digest's first four bytes, little-endian."""
    return struct.unpack_from("<I", hashlib.md5(key).digest())[0]


HASHES: dict[str, Callable[[bytes], int]] = {"fnv1a_64": fnv1a_64, "murmur": murmur, "md5": md5}


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def tagged_part(key: bytes, hash_tag: str | None) -> bytes:
    """What the pool hashes: the text between the tag's first character and the next second
    character after it, when that text is not empty; else the whole key (nc_server.c)."""
    if not hash_tag:
        return key
    opening, closing = hash_tag.encode()[0:1], hash_tag.encode()[1:2]
    start = key.find(opening)
    if start < 0:
        return key
    end = key.find(closing, start + 1)
    return key[start + 1:end] if end > start + 1 else key


class Continuum:
    """nutcracker's ketama ring over servers ``names`` (with ``weights``, default 1 each).

    Each live server gets ``floor(weight share * 40 * servers) * 4`` points (float32, as C
    computes it): the MD5 of ``"<name>-<i>"`` cut into four little-endian words. A key goes to
    the first point at or after its hash, wrapping around; a pool of one server takes every key.
    """

    def __init__(self, names: list[str], weights: list[int] | None = None, hash: str = "fnv1a_64",
                 hash_tag: str | None = "{}") -> None:
        self.names = list(names)
        self.weights = list(weights or [1] * len(names))
        self.hash = HASHES[hash]
        self.hash_tag = hash_tag
        total = sum(self.weights)
        points: list[tuple[int, int]] = []
        for index, (name, weight) in enumerate(zip(self.names, self.weights)):
            share = _float32(weight / total)
            scaled = _float32(_float32(_float32(share * POINTS_PER_SERVER) / POINTS_PER_DIGEST) * len(self.names))
            for digest_index in range(int(scaled + 1e-10)):
                digest = hashlib.md5(f"{name}-{digest_index}".encode()).digest()
                points.extend((value, index) for value in struct.unpack("<4I", digest))
        points.sort(key=lambda point: point[0])
        self._values = [value for value, _index in points]
        self._owners = [index for _value, index in points]

    def index_of(self, key: bytes | str) -> int:
        """The index (in ``names``) of the server nutcracker sends ``key`` to."""
        if len(self.names) == 1:
            return 0
        data = tagged_part(key.encode() if isinstance(key, str) else key, self.hash_tag)
        value = self.hash(data) if data else 0
        position = bisect.bisect_left(self._values, value)
        return self._owners[position % len(self._owners)]


@functools.lru_cache(maxsize=64)
def _ring(names: tuple[str, ...], hash: str, hash_tag: str | None) -> Continuum:
    """Rings are kept: building one hashes 40 MD5s per server."""
    return Continuum(list(names), hash=hash, hash_tag=hash_tag)


# -- the proxy --------------------------------------------------------------------------------

@dataclass
class Backend:
    """One server line of the pool: ``host:port:weight name``."""

    name: str
    host: str
    port: int
    weight: int = 1


class Nutcracker:
    """One ``nutcracker`` process serving one Redis pool on a free port.

    ``backends`` may point at any Redis-protocol servers (pypika-store or redis-server), which
    is how the differential tests and the benchmark put both behind the same proxy. The stats
    port is free too (the default 22222 would clash between parallel runs)."""

    def __init__(self, backends: Iterable[Backend], hash: str = "fnv1a_64", hash_tag: str | None = "{}",
                 auto_eject_hosts: bool = False, server_retry_timeout_ms: int = 2000,
                 server_failure_limit: int = 1, password: str | None = None, preconnect: bool = True,
                 timeout_ms: int = 2000, startup_timeout: float = 15.0) -> None:
        binary = nutcracker_binary()
        if binary is None:
            raise RuntimeError("nutcracker is not installed (Debian: apt-get install nutcracker)")
        self.binary = binary
        self.backends = list(backends)
        self.hash = hash
        self.hash_tag = hash_tag
        self.auto_eject_hosts = auto_eject_hosts
        self.server_retry_timeout_ms = server_retry_timeout_ms
        self.server_failure_limit = server_failure_limit
        self.password = password
        self.preconnect = preconnect
        self.timeout_ms = timeout_ms
        self.startup_timeout = startup_timeout
        self.host = "127.0.0.1"
        self.port = 0
        self.stats_port = 0
        self.folder = ""
        self._process: subprocess.Popen | None = None

    @property
    def config_path(self) -> str:
        return os.path.join(self.folder, "nutcracker.yml")

    @property
    def log_path(self) -> str:
        return os.path.join(self.folder, "nutcracker.log")

    def continuum(self) -> Continuum:
        return Continuum([backend.name for backend in self.backends],
                         [backend.weight for backend in self.backends], self.hash, self.hash_tag)

    def config_text(self) -> str:
        """The pool as nutcracker's YAML (what docs/sharding.md shows for a set-up by hand)."""
        lines = ["pool:", f"  listen: {self.host}:{self.port}", "  redis: true", f"  hash: {self.hash}",
                 "  distribution: ketama", f"  auto_eject_hosts: {str(self.auto_eject_hosts).lower()}",
                 f"  server_retry_timeout: {self.server_retry_timeout_ms}",
                 f"  server_failure_limit: {self.server_failure_limit}", f"  timeout: {self.timeout_ms}",
                 f"  preconnect: {str(self.preconnect).lower()}"]
        if self.hash_tag:
            lines.append(f'  hash_tag: "{self.hash_tag}"')
        if self.password:
            lines.append(f"  redis_auth: {self.password}")
        lines.append("  servers:")
        lines += [f"   - {b.host}:{b.port}:{b.weight} {b.name}" for b in self.backends]
        return "\n".join(lines) + "\n"

    def start(self) -> "Nutcracker":
        if not self.folder:
            self.folder = tempfile.mkdtemp(prefix="pypika-nutcracker-")
        self.port = self.port or free_port()
        self.stats_port = self.stats_port or free_port()
        with open(self.config_path, "w", encoding="utf-8") as handle:
            handle.write(self.config_text())
        self._process = subprocess.Popen(
            [self.binary, "-c", self.config_path, "-s", str(self.stats_port), "-a", self.host,
             "-i", "100", "-o", self.log_path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(self._answers, self.startup_timeout, "nutcracker to answer PING", interval=0.02)
        except BaseException:
            self.stop()
            raise
        return self

    def _answers(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"nutcracker exited with {self._process.returncode}: {self._log_tail()}")
        try:
            return bool(self.client(socket_timeout=1).ping())
        except Exception:  # not listening yet
            return False

    def _log_tail(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()[-2000:]
        except FileNotFoundError:
            return ""

    def stop(self, remove: bool = True) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if remove and self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = ""

    def restart(self, backends: Iterable[Backend] | None = None) -> "Nutcracker":
        """Stop and start again on the same ports with ``backends`` (twemproxy 0.5 cannot reload
        its config): clients see their connections closed and reconnect."""
        self.stop(remove=False)
        if backends is not None:
            self.backends = list(backends)
        return self.start()

    def client(self, **kwargs: Any):
        """A redis-py client on the proxy, RESP2 and without CLIENT SETINFO on connect:
        twemproxy closes the connection on HELLO and on any command it does not forward."""
        import redis

        kwargs.setdefault("password", self.password)
        kwargs.setdefault("protocol", 2)
        if "driver_info" in inspect.signature(redis.Redis.__init__).parameters:  # redis-py 7.1+
            kwargs.setdefault("driver_info", None)
        else:
            kwargs.setdefault("lib_name", None)
            kwargs.setdefault("lib_version", None)
        return redis.Redis(host=self.host, port=self.port, **kwargs)

    def stats(self) -> dict[str, Any]:
        """The stats port's JSON (per server: requests, errors, ``server_ejected_at``...)."""
        with socket.create_connection((self.host, self.stats_port), timeout=5) as connection:
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        return json.loads(b"".join(chunks))

    def __enter__(self) -> "Nutcracker":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# -- the cluster ------------------------------------------------------------------------------

class PikaCluster:
    """``shards`` replication groups (a master and ``slaves`` slaves each) behind one nutcracker.

    ``sentinels`` > 0 gives every shard its own :class:`SentinelGroup` of that many sentinels
    (with ``quorum``, default a majority), which needs ``mode="process"`` to kill masters;
    ``config`` goes to every server; the proxy options are :class:`Nutcracker`'s."""

    def __init__(self, shards: int = 3, slaves: int = 1, mode: str = "thread", password: str | None = None,
                 config: dict[str, Any] | None = None, sentinels: int = 0, quorum: int | None = None,
                 down_after_ms: int = 1000, failover_timeout_ms: int = 5000, **proxy_options: Any) -> None:
        self.mode = mode
        self.slave_count = slaves
        self.password = password
        self.config = config
        self.sentinel_count = sentinels
        self.sentinel_options = {"quorum": quorum or sentinels // 2 + 1, "down_after_ms": down_after_ms,
                                 "failover_timeout_ms": failover_timeout_ms}
        self.shards: list[PikaGroup] = [self._new_group() for _ in range(shards)]
        self.sentinels: list[SentinelGroup] = []
        self.proxy = Nutcracker([], password=password, **proxy_options)

    def _new_group(self) -> PikaGroup:
        return PikaGroup(slaves=self.slave_count, mode=self.mode, config=self.config, password=self.password)

    @property
    def names(self) -> list[str]:
        return [f"shard{index}" for index in range(len(self.shards))]

    def backends(self) -> list[Backend]:
        """The proxy's servers: each shard's current master under the shard's name."""
        return [Backend(name, group.master.host, group.master.port) for name, group in zip(self.names, self.shards)]

    def start(self) -> "PikaCluster":
        try:
            for group in self.shards:
                self._start_group(group)
            self.proxy.backends = self.backends()
            self.proxy.start()
            self.wait_served()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_group(self, group: PikaGroup) -> None:
        group.start()
        if self.sentinel_count:
            group.wait_synced()
            watching = SentinelGroup(group.master, count=self.sentinel_count, password=self.password,
                                     **self.sentinel_options)
            self.sentinels.append(watching)
            watching.start()
            watching.wait_for_replicas(self.slave_count)

    def stop(self) -> None:
        self.proxy.stop()
        for watching in self.sentinels:
            watching.stop()
        for group in self.shards:
            group.stop()

    def client(self, **kwargs: Any):
        """A redis-py client on the proxy."""
        return self.proxy.client(**kwargs)

    def continuum(self, live: Iterable[int] | None = None) -> Continuum:
        """The proxy's ring, or the ring it rebuilds when only the shards ``live`` are (after an
        ejection: the ring of the remaining servers, indexes into ``live``)."""
        chosen = range(len(self.shards)) if live is None else live
        return _ring(tuple(self.names[index] for index in chosen), self.proxy.hash, self.proxy.hash_tag)

    def shard_of(self, key: bytes | str, live: Iterable[int] | None = None) -> int:
        """The index in :attr:`shards` of the shard nutcracker sends ``key`` to (with only the
        shards ``live`` in the ring, if given)."""
        chosen = list(range(len(self.shards))) if live is None else list(live)
        return chosen[self.continuum(chosen).index_of(key)]

    def placement(self) -> dict[bytes, int]:
        """Every key of every running master and the shard holding it (SCAN on each master)."""
        return {key: index for index, group in enumerate(self.shards) if group.master.running
                for key in group.master.client().scan_iter(count=1000)}

    def wait_synced(self, timeout: float = 60.0) -> None:
        for group in self.shards:
            group.wait_synced(timeout)

    def wait_served(self, timeout: float = 30.0) -> None:
        """Until the proxy answers for a key of every shard (its connections to them are up)."""
        ring = self.continuum()
        probes: dict[int, str] = {}
        for n in range(100_000):
            probes.setdefault(ring.index_of(f"{n}:probe"), f"{n}:probe")
            if len(probes) == len(self.shards):
                break
        client = self.client(socket_timeout=2)

        def served() -> bool:
            try:
                return all(client.exists(probe) >= 0 for probe in probes.values())
            except Exception:  # the proxy's link to a shard is not up yet
                return False

        wait_for(served, timeout, "the proxy to serve every shard", interval=0.05)

    # -- failover -------------------------------------------------------------------------------

    def repoint(self, index: int, host: str, port: int) -> None:
        """Shard ``index``'s master is now ``host:port``: rewrite the proxy's config and restart it
        (the shard keeps its name, so no key moves); every shard is served again on return."""
        group = self.shards[index]
        promoted = next((server for server in group.servers if (server.host, server.port) == (host, port)), None)
        if promoted is None:
            raise ValueError(f"{host}:{port} is none of shard {index}'s servers")
        if promoted is not group.master:
            group.slaves = [server for server in group.servers if server is not promoted]
            group.master = promoted
        self.proxy.restart(self.backends())
        self.wait_served()

    def follow_sentinels(self) -> "SentinelFollower":
        """Start repointing the proxy on each shard's ``+switch-master`` (a ``with`` block)."""
        return SentinelFollower(self).start()

    # -- resharding -----------------------------------------------------------------------------

    def add_shard(self) -> PikaGroup:
        """Start one more shard, not yet in the proxy's ring (see :meth:`reshard`)."""
        group = self._new_group()
        self._start_group(group)
        self.shards.append(group)
        return group

    def misplaced(self) -> dict[tuple[int, int], list[bytes]]:
        """Keys whose master is not the shard the current ring gives them: (from, to) -> keys."""
        moves: dict[tuple[int, int], list[bytes]] = {}
        ring = self.continuum()
        for index, group in enumerate(self.shards):
            for key in group.master.client().scan_iter(count=1000):
                owner = ring.index_of(key)
                if owner != index:
                    moves.setdefault((index, owner), []).append(key)
        return moves

    def move_misplaced(self, timeout_ms: int = 5000) -> int:
        """Move every misplaced key to its shard's master with SLOTSMGRTTAGONE (the key, its
        TTL; the servers need ``slotmigrate yes``); how many keys moved."""
        moved = 0
        for (source, target), keys in self.misplaced().items():
            source_client = self.shards[source].master.client()
            destination = self.shards[target].master
            for key in keys:
                moved += source_client.execute_command("SLOTSMGRTTAGONE", destination.host, destination.port,
                                                       timeout_ms, key)
        return moved

    def reshard(self) -> int:
        """After :meth:`add_shard`: move the keys the new ring reassigns, put the new ring in the
        proxy, then move what was written to the old owners meanwhile; how many keys moved."""
        moved = self.move_misplaced()
        self.proxy.restart(self.backends())
        self.wait_served()
        return moved + self.move_misplaced()

    def __enter__(self) -> "PikaCluster":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class SentinelFollower:
    """Listens to ``+switch-master`` on every sentinel of every shard and repoints the proxy.

    twemproxy does not follow Sentinel; this is the small daemon users run beside it. Events
    for an address the proxy already uses (every sentinel announces the switch) are ignored."""

    def __init__(self, cluster: PikaCluster) -> None:
        self.cluster = cluster
        self.switches: list[tuple[int, str, int]] = []
        self._lock = threading.Lock()
        self._subscriptions: list[Any] = []
        self._threads: list[Any] = []

    def start(self) -> "SentinelFollower":
        import redis

        for index, watching in enumerate(self.cluster.sentinels):
            for port in watching.ports:
                subscription = redis.Redis(host="127.0.0.1", port=port).pubsub(ignore_subscribe_messages=True)
                subscription.subscribe(**{"+switch-master": lambda message, index=index: self._switched(
                    index, message["data"])})
                self._subscriptions.append(subscription)
                self._threads.append(subscription.run_in_thread(sleep_time=0.05, daemon=True))
        return self

    def _switched(self, index: int, data: bytes) -> None:
        name, _old_host, _old_port, host, port = data.decode().split()
        if name != MASTER_NAME:
            return
        with self._lock:
            master = self.cluster.shards[index].master
            if (master.host, master.port) == (host, int(port)):
                return
            self.cluster.repoint(index, host, int(port))
            self.switches.append((index, host, int(port)))

    def wait_for_switch(self, count: int = 1, timeout: float = 60.0) -> list[tuple[int, str, int]]:
        """Until ``count`` switches were applied to the proxy; (shard, host, port) of each."""
        wait_for(lambda: len(self.switches) >= count, timeout, "the proxy to follow a failover", interval=0.05)
        return list(self.switches)

    def stop(self) -> None:
        for thread in self._threads:
            thread.stop()
        for thread in self._threads:
            thread.join(10)
        for subscription in self._subscriptions:
            subscription.close()
        self._threads.clear()
        self._subscriptions.clear()

    def __enter__(self) -> "SentinelFollower":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def shard_counts(cluster: PikaCluster, keys: Iterable[bytes | str]) -> list[int]:
    """How many of ``keys`` the ring gives each shard."""
    counts = [0] * len(cluster.shards)
    ring = cluster.continuum()
    for key in keys:
        counts[ring.index_of(key)] += 1
    return counts


def cluster_fixture(shards: int = 3, slaves: int = 1, scope: str = "function", **options: Any):
    """A pytest fixture factory for a started :class:`PikaCluster` (``options`` as its own),
    stopped after the test (or ``scope``); the plugin's ``pika_cluster`` is ``cluster_fixture()``."""
    import pytest

    @pytest.fixture(scope=scope)
    def pika_cluster_fixture():
        with PikaCluster(shards=shards, slaves=slaves, **options) as cluster:
            yield cluster

    return pika_cluster_fixture


__all__ = ["Backend", "Continuum", "cluster_fixture", "Nutcracker", "PikaCluster", "SentinelFollower",
           "fnv1a_64", "md5", "murmur", "nutcracker_binary", "shard_counts", "tagged_part"]
