"""CHAOS itself and its command faults: who may run it, LIST/RESET/SEED, and every action of
CHAOS FAULT against real clients (redis-py, raw RESP, redis-cli)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import redis

from pypika_store.testing import PikaGroup, PikaServer, free_port

from .chaos_fixtures import node, r  # noqa: F401  (the module's server, healed per test)
from .support import Err, RawConnection, require_redis_server, wait_until




def _active(node) -> list[dict]:
    """What CHAOS LIST shows is on (the seed aside)."""
    return [entry for entry in node.chaos_list() if entry["kind"] != "seed"]


def _faults(node) -> list[dict]:
    return [entry for entry in node.chaos_list() if entry["kind"] == "fault"]


# -- who may run CHAOS -------------------------------------------------------------------------

def _redis_refusals() -> tuple[str, str]:
    """redis-server 7.0's refusal of DEBUG with enable-debug-command no, and of CONFIG SET on it."""
    require_redis_server()
    port, folder = free_port(), tempfile.mkdtemp(prefix="real-redis-")
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--dir", folder, "--enable-debug-command", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        probe = redis.Redis(port=port)
        wait_until(lambda: _answers(probe), what="redis-server to answer")
        probe.close()
        raw = RawConnection(port)
        refusals = raw.call("DEBUG", "SLEEP", "0"), raw.call("CONFIG", "SET", "enable-debug-command", "yes")
        raw.close()
        return refusals
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _answers(client) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _ours(text: str) -> str:
    return text.replace("DEBUG", "CHAOS").replace("enable-debug-command", "enable-chaos-command")


def test_chaos_is_refused_unless_enabled_as_redis_refuses_debug():
    debug_refused, config_refused = _redis_refusals()
    with PikaServer(config={"enable-chaos-command": "no"}) as server:
        raw = RawConnection(server.port)
        assert raw.call("CHAOS", "LIST") == Err(_ours(debug_refused))
        assert raw.call("CHAOS", "CLOCK", "FREEZE") == Err(_ours(debug_refused))
        assert raw.call("CONFIG", "SET", "enable-chaos-command", "yes") == Err(_ours(config_refused))
        assert raw.call("CHAOS", "NOSUCH") == Err("ERR unknown subcommand 'NOSUCH'. Try CHAOS HELP.")
        raw.close()


def _outside_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_local_lets_loopback_clients_in_only():
    outside = _outside_address()
    if outside is None:
        pytest.skip("no address but loopback")
    with PikaServer(config={"enable-chaos-command": "local", "bind": f"127.0.0.1 {outside}",
                            "protected-mode": "no"}) as server:  # protected mode would refuse the outsider first
        local, remote = RawConnection(server.port), RawConnection(server.port, host=outside)
        assert local.call("CHAOS", "SEED", "3") == "OK"
        assert remote.call("CHAOS", "SEED", "3").startswith("ERR CHAOS command not allowed.")
        assert remote.call("CONFIG", "GET", "enable-chaos-command") == [b"enable-chaos-command", b"local"]
        local.close()
        remote.close()


def test_fixtures_turn_chaos_on(node, r):
    assert r.config_get("enable-chaos-command") == {"enable-chaos-command": "yes"}


# -- LIST, RESET, SEED, HELP -----------------------------------------------------------------

def test_list_shows_what_is_on_and_reset_heals_everything(node, r):
    node.clock.freeze()
    node.link.delay(50)
    node.fault("slow-get", command="get", delay=10)
    entries = node.chaos_list()
    assert [entry["kind"] for entry in entries] == ["seed", "clock", "link", "fault"]
    assert entries[1]["frozen"] == 1 and entries[2]["delay-ms"] == 50
    assert entries[3]["name"] == "slow-get" and entries[3]["action"] == "delay"
    assert node.server.dispatcher.faults is not None
    r.execute_command("CHAOS", "RESET")
    assert _active(node) == []
    assert node.server.dispatcher.faults is None  # no fault: the dispatcher's hook is one test
    assert node.server.engine.clock.is_real


def test_list_counts_matches_and_hits(node, r):
    node.fault("every-other", command="incrby", error="ERR nope", nth=2, count=2)  # redis-py INCR
    results = []
    for _ in range(5):
        try:
            results.append(r.incr("n"))
        except redis.ResponseError as exc:
            results.append(str(exc))
    assert results == [1, "nope", "nope", 2, 3]
    (fault,) = _faults(node)
    assert (fault["matched"], fault["hits"], fault["spent"]) == (5, 2, 1)


def test_seed_replays_probabilistic_faults(node, r):
    def run() -> list[bool]:
        node.chaos_seed(42)
        outcomes = []
        with node.fault(command="ping", error="ERR flaky", probability=0.5):
            for _ in range(40):
                try:
                    outcomes.append(r.ping())
                except redis.ResponseError:
                    outcomes.append(False)
        return outcomes

    first, second = run(), run()
    assert first == second
    assert 5 < first.count(False) < 35


def test_help_lists_every_subcommand(r):
    lines = [line.decode() for line in r.execute_command("CHAOS", "HELP")]
    assert lines[0].startswith("CHAOS <subcommand>")
    for name in ("CLOCK", "FAULT ADD", "FAULT DEL", "LINK", "SUSPEND", "SEED", "LIST", "RESET", "HELP"):
        assert any(line.startswith(name) for line in lines), name


# -- ERROR, and the filters --------------------------------------------------------------------

def test_error_replaces_the_reply_and_the_write_does_nothing(node, r):
    offset = r.info("replication")["master_repl_offset"]
    with node.fault(command="set", key="user:*", error="READONLY You can't write against a read only replica."):
        raw = RawConnection(node.port)
        assert raw.call("SET", "user:1", "x") == Err("READONLY You can't write against a read only replica.")
        assert raw.call("SET", "other", "x") == "OK"
        raw.close()
    assert r.get("user:1") is None
    assert r.info("replication")["master_repl_offset"] > offset  # only the other SET was logged
    assert r.info("stats")["total_error_replies"] >= 1


def test_a_fault_hits_connections_opened_before_it(node, r):
    before = RawConnection(node.port)
    assert before.call("GET", "k") is None
    with node.fault(command="get", error="LOADING Redis is loading the dataset in memory"):
        assert before.call("GET", "k") == Err("LOADING Redis is loading the dataset in memory")
    assert before.call("GET", "k") is None
    before.close()


def test_db_and_client_filters(node, r):
    named, other = RawConnection(node.port), RawConnection(node.port)
    assert named.call("CLIENT", "SETNAME", "victim") == "OK"
    with node.fault(client="victim", error="ERR only you"):
        assert named.call("PING") == Err("ERR only you")
        assert other.call("PING") == "PONG"
    address = other.call("CLIENT", "INFO").decode().split()[1].split("=")[1]
    with node.fault(client=address, error="ERR by address"):
        assert other.call("PING") == Err("ERR by address")
        assert named.call("PING") == "PONG"
    with node.fault(db=3, error="ERR db three"):
        assert other.call("SELECT", "3") == "OK"  # SELECT runs in the DB it leaves
        assert other.call("PING") == Err("ERR db three")
        assert named.call("PING") == "PONG"
    named.close()
    other.close()


def test_command_filter_takes_a_container_or_one_subcommand(node, r):
    with node.fault(command="config|set", error="ERR no config set"):
        with pytest.raises(redis.ResponseError, match="no config set"):
            r.config_set("maxclients", "10000")
        assert r.config_get("maxclients")
    with node.fault(command="config", error="ERR no config"):
        with pytest.raises(redis.ResponseError, match="no config"):
            r.config_get("maxclients")


def test_an_error_queued_in_multi_aborts_exec(node, r):
    raw = RawConnection(node.port)
    with node.fault(command="set", error="OOM command not allowed when used memory > 'maxmemory'."):
        replies = raw.pipeline([("MULTI",), ("SET", "k", "v"), ("EXEC",)])
    assert replies == ["OK", Err("OOM command not allowed when used memory > 'maxmemory'."),
                       Err("EXECABORT Transaction discarded because of previous errors.")]
    assert r.get("k") is None
    raw.close()


def test_after_lets_the_write_land_and_replaces_its_reply(node, r):
    raw = RawConnection(node.port)
    with node.fault(command="incr", error="ERR did it land?", after=True, count=1):
        assert raw.call("INCR", "n") == Err("ERR did it land?")
    assert r.get("n") == b"1"
    raw.close()


# -- DROP, CLOSE ---------------------------------------------------------------------------

def test_corrupt_flips_one_bit_of_the_reply_s_first_bulk_string(node, r):
    r.set("k", "abcdef")
    r.rpush("list", "x", "yyyy")
    raw = RawConnection(node.port)
    with node.fault(command="get", corrupt=True):
        assert raw.call("GET", "k") == b"abc" + bytes((ord("d") ^ 1,)) + b"ef"
        assert raw.call("GET", "missing") is None  # nothing to corrupt
    with node.fault(command="lrange", corrupt=True):
        assert raw.call("LRANGE", "list", "0", "-1") == [b"y", b"yyyy"]  # the first element, framing intact
    raw.close()


def test_drop_sends_no_reply_and_keeps_the_connection(node, r):
    raw = RawConnection(node.port)
    with node.fault(command="set", drop=True, count=1):
        raw.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
        assert raw.call("PING") == "PONG"  # the first reply is PING's: SET's never came
    assert r.get("k") is None
    with node.fault(command="set", drop=True, after=True, count=1):
        raw.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
        assert raw.call("GET", "k") == b"v"  # the write landed, its reply was lost
    raw.close()


def test_close_disconnects_without_running_unless_after(node, r):
    for after, stored in ((False, None), (True, b"v")):
        raw = RawConnection(node.port)
        with node.fault(command="set", close=True, after=after):
            raw.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
            assert raw.sock.recv(100) == b""  # closed, no reply
        raw.close()
        assert r.get("k") == stored
        r.delete("k")


# -- DELAY, HANG ------------------------------------------------------------------------------

def test_delay_holds_the_command_not_the_server(node, r):
    slow, fast = RawConnection(node.port), RawConnection(node.port)
    with node.fault(command="set", client="slow", delay=400):
        slow.call("CLIENT", "SETNAME", "slow")
        started = time.monotonic()
        slow.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        assert fast.call("GET", "k") is None  # others are served meanwhile, the SET has not run
        assert slow.read_reply() == "OK"
        assert slow.read_reply() == b"v"  # the pipelined GET kept its place behind the SET
        assert time.monotonic() - started >= 0.39  # the event loop may fire a timer a fraction of a millisecond early
    slow.close()
    fast.close()


def test_hang_holds_until_healed_and_keeps_the_pipeline_in_order(node, r):
    hung = RawConnection(node.port)
    fault = node.fault(command="set", hang=True, count=1)
    hung.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
    wait_until(lambda: _faults(node)[0]["held-clients"] == 1, what="the SET to hang")
    assert r.get("k") is None
    assert r.ping()
    fault.heal()
    assert [hung.read_reply(), hung.read_reply()] == ["OK", b"v"]
    hung.close()


def test_delay_after_writes_at_once_and_replies_late(node, r):
    late = RawConnection(node.port)
    with node.fault(command="set", delay=300, after=True):
        started = time.monotonic()
        late.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
        wait_until(lambda: r.get("k") == b"v", what="the write to land")
        assert late.read_reply() == "OK"
        assert time.monotonic() - started >= 0.29
    late.close()


def test_a_hung_client_that_disconnects_is_forgotten(node, r):
    hung = RawConnection(node.port)
    with node.fault(command="get", hang=True):
        hung.send_raw(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        wait_until(lambda: _faults(node)[0]["held-clients"] == 1, what="the GET to hang")
        hung.close()
        wait_until(lambda: _faults(node)[0]["held-clients"] == 0, what="the hung client to go")
    assert r.ping()


# -- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, error", [
    (("FAULT", "ADD", "f"), "ERR a fault needs exactly one of ERROR <text>, DELAY <ms>, DROP, CLOSE, HANG, CORRUPT"),
    (("FAULT", "ADD", "f", "DROP", "CLOSE"), "ERR a fault needs exactly one of ERROR <text>, DELAY <ms>, DROP, "
                                             "CLOSE, HANG, CORRUPT"),
    (("FAULT", "ADD", "f", "COMMAND", "nosuch", "DROP"), "ERR no such command 'nosuch'"),
    (("FAULT", "ADD", "f", "COMMAND", "config|nosuch", "DROP"), "ERR no such command 'config|nosuch'"),
    (("FAULT", "ADD", "f", "DROP", "PROBABILITY", "2"), "ERR PROBABILITY must be between 0 and 1"),
    (("FAULT", "ADD", "f", "DROP", "PROBABILITY", "x"), "ERR value is not a valid float"),
    (("FAULT", "ADD", "f", "DROP", "NTH", "0"), "ERR value is out of range, must be positive"),
    (("FAULT", "ADD", "f", "DROP", "COUNT", "-1"), "ERR value is out of range, must be positive"),
    (("FAULT", "ADD", "f", "DELAY", "-5"), "ERR value is out of range, must be positive"),
    (("FAULT", "ADD", "f", "DB", "16", "DROP"), "ERR DB index is out of range"),
    (("FAULT", "ADD", "f", "DROP", "BOGUS"), "ERR syntax error"),
    (("FAULT", "ADD", "f", "ERROR"), "ERR syntax error"),
    (("FAULT", "FLIP", "f"), "ERR syntax error"),
    (("FAULT", "DEL", "f", "extra"), "ERR syntax error"),
    (("FAULT",), "ERR wrong number of arguments for 'chaos|fault' command"),
    (("SEED", "x"), "ERR value is not an integer or out of range"),
    (("SUSPEND", "-1"), "ERR value is out of range, must be positive"),
    (("LINK", "WOBBLE"), "ERR syntax error"),
    (("LINK", "DELAY", "10", "JITTER"), "ERR syntax error"),
])
def test_errors(node, r, args, error):
    raw = RawConnection(node.port)
    assert raw.call("CHAOS", *args) == Err(error)
    raw.close()
    assert _faults(node) == []


def test_a_name_is_added_once_and_deleting_a_missing_fault_answers_zero(node, r):
    raw = RawConnection(node.port)
    assert raw.call("CHAOS", "FAULT", "ADD", "f", "DROP") == "OK"
    assert raw.call("CHAOS", "FAULT", "ADD", "f", "HANG") == Err("ERR fault 'f' already exists")
    assert raw.call("CHAOS", "FAULT", "DEL", "f") == 1
    assert raw.call("CHAOS", "FAULT", "DEL", "f") == 0
    raw.close()


def test_chaos_itself_is_never_faulted(node, r):
    raw = RawConnection(node.port)
    with node.fault(hang=True):
        assert raw.call("CHAOS", "LIST")[0][:3] == [b"kind", b"seed", b"seed"]
    assert raw.call("PING") == "PONG"
    raw.close()


# -- the command form, over redis-cli ----------------------------------------------------------

def _cli(node, *args: str) -> str:
    return subprocess.run(["redis-cli", "-p", str(node.port), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_faults_over_redis_cli(node, r):
    assert _cli(node, "CHAOS", "FAULT", "ADD", "busy", "COMMAND", "keys", "ERROR",
                "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.") == "OK"
    assert _cli(node, "CHAOS", "FAULT", "ADD", "tryagain", "KEY", "hot", "ERROR",
                "TRYAGAIN Multiple keys request during rehashing of slot") == "OK"
    assert _cli(node, "GET", "hot") == "TRYAGAIN Multiple keys request during rehashing of slot"
    assert _cli(node, "GET", "cold") == ""
    listing = _cli(node, "CHAOS", "LIST")
    assert "busy" in listing and "tryagain" in listing
    assert _cli(node, "CHAOS", "FAULT", "DEL", "busy") == "1"
    assert _cli(node, "CHAOS", "RESET") == "OK"
    assert _cli(node, "GET", "hot") == ""


# -- a group ------------------------------------------------------------------------------------

def test_a_fault_on_one_node_leaves_the_others_alone_and_heal_clears_all():
    with PikaGroup(slaves=2) as group:
        master = group.master.client()
        master.set("k", "v")
        group.wait_synced()
        group.slaves[0].fault(command="get", error="ERR slave zero is sick")
        group.master.clock.freeze()
        with pytest.raises(redis.ResponseError, match="slave zero is sick"):
            group.slaves[0].client().get("k")
        assert group.slaves[1].client().get("k") == b"v"
        assert master.get("k") == b"v"
        master.set("k2", "v2")  # replication into the faulted slave is not a client's command
        wait_until(lambda: group.slaves[0].client().exists("k2"), what="k2 on the faulted slave")
        group.heal()
        assert all(_active(server) == [] for server in group.servers)
        assert group.slaves[0].client().get("k") == b"v"
        group.wait_synced()


def test_faults_hold_no_thread_of_the_test(node, r):
    """A hung call in one thread; the test's own connection goes on, and healing answers it."""
    replies = []
    fault = node.fault(command="get", key="held", hang=True)
    worker = threading.Thread(target=lambda: replies.append(node.client().get("held")))
    worker.start()
    wait_until(lambda: _faults(node)[0]["held-clients"] == 1, what="the GET to hang")
    r.set("held", "now")
    fault.heal()
    worker.join(10)
    assert replies == [b"now"]
