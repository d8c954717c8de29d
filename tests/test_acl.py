"""ACL users, rules and their enforcement, compared reply by reply with a real redis-server
(ACL LOG entries too, with their times and client ids normalized)."""

from __future__ import annotations

import re
import socket

import pytest

from pypika_store.testing import PikaServer

from .support import Differential, Err, RawConnection, wait_until


@pytest.fixture(scope="module")
def pika_acl():
    """A pypika-store of this module alone: its tests change users, the default one included."""
    with PikaServer() as server:
        yield server


@pytest.fixture
def acl(private_redis, pika_acl):
    """A differential pair whose users and ACL LOG are put back after the test."""
    differential = Differential(private_redis.port, pika_acl.port)
    differential.ports = (private_redis.port, pika_acl.port)  # type: ignore[attr-defined]
    yield differential
    for connection in (RawConnection(private_redis.port), RawConnection(pika_acl.port)):
        connection.call("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all", "clearselectors")
        connection.call("CONFIG", "SET", "requirepass", "")
        for name in connection.call("ACL", "USERS"):
            if name != b"default":
                connection.call("ACL", "DELUSER", name)
        connection.call("ACL", "LOG", "RESET")
        connection.call("FLUSHALL")
        connection.close()
    differential.close()


class UserPair(Differential):
    """Two connections (redis-server, pypika-store) logged in as the same user."""

    def __init__(self, ports: tuple[int, int], user: str, password: str) -> None:
        super().__init__(*ports)
        for connection in (self.redis, self.pika):
            assert connection.call("AUTH", user, password) == "OK"


def _normalize_log(reply):
    """ACL LOG with age-seconds and client-info's connection details blanked out."""
    if not isinstance(reply, list):
        return reply
    entries = []
    for entry in reply:
        fields = dict(zip(entry[::2], entry[1::2]))
        fields[b"age-seconds"] = b"?"
        info = fields[b"client-info"].decode()
        fields[b"client-info"] = " ".join(re.findall(r"\b(?:cmd|user|db)=\S*", info))
        entries.append(fields)
    return entries


def test_setuser_and_list_forms(acl):
    for rules in (
        ("on", ">p1", "~foo*", "%R~bar", "&ch*", "-@all", "+set", "(~x +get)"),
        ("on", "nopass", "allkeys", "allchannels", "allcommands", "-@admin"),
        ("%R~a", "%W~a", "%W~b", "~c", "%RW~d", "+@hash", "-hget"),
        ("+@all", "-config", "+config|get"),
        ("+config|get", "-config"),
        ("+config|get", "+@admin"),
        ("+@admin", "-config|get"),
        ("-@all", "+get|x", "+get|y"),
        ("+@read", "-@read"),
        ("-@all", "+@set", "+@keyspace"),
        ("#" + "a" * 64, ">secret", "<secret"),
        ("on", ">x", "resetpass", "off"),
        ("skip-sanitize-payload",),
        ("reset",),
    ):
        acl.check("ACL", "SETUSER", "t", "reset", *rules)
        acl.check("ACL", "LIST")
        acl.check("ACL", "GETUSER", "t")
    acl.check("ACL", "USERS")


def test_setuser_errors_change_nothing(acl):
    acl.check("ACL", "SETUSER", "bob", "on", "+get")
    for rules in (("~*", "~foo"), ("&*", "&x"), ("#abc",), ("+nosuch",), ("xyz",), ("<nope",), ("!" + "b" * 64,),
                  ("-config|get|x",), ("-get|x",), ("+config|nosuch",), ("+config|get|x",), ("%X~a",), ("%~a",),
                  ("(~a", "+get"), ("(bad)",), ("(~a +nosuch)",), ("+@nosuch",), ("on", "+get", "bad")):
        acl.check("ACL", "SETUSER", "bob", *rules)
    acl.check("ACL", "LIST")
    acl.check("ACL", "SETUSER", "sel", "(~a", "+get)", "(%R~b", "+set)")
    acl.check("ACL", "GETUSER", "sel")
    acl.check("ACL", "SETUSER", "sel", "clearselectors")
    acl.check("ACL", "GETUSER", "sel")


def test_subcommand_errors_and_small_replies(acl):
    for call in (("ACL", "GETUSER", "nosuch"), ("ACL", "DELUSER", "default"), ("ACL", "DELUSER", "nosuch", "x"),
                 ("ACL", "CAT"), ("ACL", "CAT", "nosuch"), ("ACL", "GENPASS", "0"), ("ACL", "GENPASS", "4097"),
                 ("ACL", "GENPASS", "x"), ("ACL", "LOG", "x"), ("ACL", "LOG", "-1"), ("ACL", "LOG", "RESET"),
                 ("ACL", "SETUSER"), ("ACL", "HELP"), ("ACL", "SAVE"), ("ACL", "LOAD"), ("ACL", "NOSUCH"),
                 ("ACL", "WHOAMI"), ("ACL", "WHOAMI", "x"), ("ACL", "DRYRUN", "nosuch", "get", "k"),
                 ("ACL", "DRYRUN", "default", "nosuch"), ("ACL", "DRYRUN", "default", "get"), ("ACL",),
                 ("ACL", "CAT", "a", "b"), ("ACL", "GENPASS", "1", "2"), ("ACL", "LOG", "1", "2"),
                 ("ACL", "LOG", "RESET", "x")):
        acl.check(*call)
    for category in ("geo", "hyperloglog"):
        acl.check("ACL", "CAT", category, normalize=sorted)
    for bits in ("1", "5", "255", "4096"):
        expected, actual = acl.both("ACL", "GENPASS", bits)
        assert len(actual) == len(expected) and re.fullmatch(rb"[0-9a-f]+", actual)
    assert len(acl.pika.call("ACL", "GENPASS")) == 64


def test_denials_replies_and_log(acl):
    acl.check("ACL", "SETUSER", "u", "on", ">pw", "~k*", "%R~r*", "&ch", "+get", "+set", "+publish",
              "+subscribe", "+psubscribe", "+mset", "+copy", "+acl|log")
    acl.check("ACL", "SETUSER", "u2", "on", "nopass", "+@all", "~*", "(+get ~z*)", "(%W~w* +set)")
    user = UserPair(acl.ports, "u", "pw")
    for call in (("ACL", "WHOAMI"), ("GET", "x"), ("GET", "k1"), ("SET", "r1", "v"), ("GET", "r1"),
                 ("HGET", "k1", "f"), ("PUBLISH", "ch", "m"), ("PUBLISH", "other", "m"), ("PSUBSCRIBE", "c*"),
                 ("CONFIG", "GET", "x"), ("MSET", "k1", "1", "r1", "2"), ("COPY", "r1", "k2"), ("COPY", "k1", "r2"),
                 ("GET", "x"), ("PING",)):
        user.check(*call)
    user.check("ACL", "LOG", normalize=_normalize_log)
    user.check("ACL", "LOG", "2", normalize=_normalize_log)
    for call in (("ACL", "DRYRUN", "u", "get", "x"), ("ACL", "DRYRUN", "u", "get", "k1"),
                 ("ACL", "DRYRUN", "u", "hget", "k1", "x"), ("ACL", "DRYRUN", "u", "publish", "other", "x"),
                 ("ACL", "DRYRUN", "u2", "get", "zz"), ("ACL", "DRYRUN", "u2", "set", "w1", "1"),
                 ("ACL", "DRYRUN", "u", "config", "get", "x"), ("ACL", "DRYRUN", "u", "set", "r1", "x")):
        acl.check(*call)
    user.close()


def test_auth_forms_and_failures_logged(acl):
    acl.check("ACL", "SETUSER", "alice", "on", ">a1", ">a2", "+@all", "~*")
    acl.check("ACL", "SETUSER", "off", "off", ">x", "+@all")
    for call in (("AUTH", "x"), ("AUTH", "alice", "a1"), ("ACL", "WHOAMI"), ("AUTH", "alice", "a2"),
                 ("AUTH", "alice", "bad"), ("ACL", "WHOAMI"), ("AUTH", "nosuch", "x"), ("AUTH", "off", "x"),
                 ("AUTH", "a", "b", "c"), ("HELLO", "2", "AUTH", "alice", "bad"), ("HELLO", "2", "AUTH", "off", "x")):
        acl.check(*call)
    acl.check("ACL", "LOG", normalize=_normalize_log)
    acl.check("CONFIG", "SET", "requirepass", "secret")
    acl.check("ACL", "GETUSER", "default")
    fresh = Differential(*acl.ports)
    for call in (("GET", "k"), ("AUTH", "wrong"), ("AUTH", "secret"), ("ACL", "WHOAMI"), ("AUTH", "default", "secret")):
        fresh.check(*call)
    fresh.close()
    hello = Differential(*acl.ports)
    expected, actual = hello.both("HELLO", "3", "AUTH", "alice", "a1")
    assert dict(actual)[b"proto"] == dict(expected)[b"proto"] == 3
    hello.check("ACL", "WHOAMI")
    hello.check("CONFIG", "SET", "requirepass", "")
    hello.close()


def test_multi_queue_time_and_exec_time_checks(acl):
    acl.check("ACL", "SETUSER", "s", "on", "nopass", "~k*", "+get", "+multi", "+exec", "+set", "&*")
    user = UserPair(acl.ports, "s", "x")
    for call in (("MULTI",), ("GET", "k1"), ("GET", "x"), ("HGET", "k1", "f"), ("EXEC",)):
        user.check(*call)
    for call in (("MULTI",), ("GET", "k1"), ("SET", "k2", "v"), ("GET", "k3")):
        user.check(*call)
    acl.check("ACL", "SETUSER", "s", "-set", "resetkeys", "~k1")
    user.check("EXEC")
    acl.check("ACL", "LOG", normalize=_normalize_log)
    user.close()


def test_scripts_are_checked_and_acl_check_cmd(acl):
    acl.check("ACL", "SETUSER", "s", "on", "nopass", "~k*", "+get", "+eval", "+set", "&*")
    user = UserPair(acl.ports, "s", "x")
    for script in ("return redis.call('get','x')", "return redis.pcall('get','x')",
                   "return redis.pcall('hget','k','x')", "return redis.call('get','k')",
                   "return redis.acl_check_cmd('get','x')", "return redis.acl_check_cmd('get','k')",
                   "return redis.acl_check_cmd('hget','k')", "return redis.acl_check_cmd('nosuch','k')",
                   "return redis.acl_check_cmd()", "return redis.acl_check_cmd('get')"):
        user.check("EVAL", script, "0")
    acl.check("ACL", "LOG", normalize=_normalize_log)
    user.close()


def test_pubsub_channels_and_losing_access_disconnects(acl):
    acl.check("ACL", "SETUSER", "sub", "on", "nopass", "+@all", "~*", "resetchannels", "&news.*", "&lit")
    user = UserPair(acl.ports, "sub", "x")
    for call in (("SUBSCRIBE", "other"), ("PSUBSCRIBE", "news.*"), ("PSUBSCRIBE", "news.a*"),
                 ("PUBLISH", "news.x", "m"), ("PUBLISH", "nope", "m"), ("SSUBSCRIBE", "nope")):
        user.check(*call)
    user.check("SUBSCRIBE", "news.1")
    acl.check("ACL", "SETUSER", "sub", "resetchannels", "&lit")
    for connection in (user.redis, user.pika):
        with pytest.raises((ConnectionError, OSError)):
            connection.call("PING")
    user.close()


def test_deluser_disconnects_and_client_kill_user(acl):
    acl.check("ACL", "SETUSER", "gone", "on", "nopass", "+@all", "~*")
    user = UserPair(acl.ports, "gone", "x")
    user.check("CLIENT", "KILL", "USER", "nosuch")
    acl.check("CLIENT", "KILL", "USER", "gone")
    for connection in (user.redis, user.pika):
        with pytest.raises((ConnectionError, OSError)):
            connection.call("PING")
    user.close()
    user = UserPair(acl.ports, "gone", "x")
    acl.check("ACL", "DELUSER", "gone")
    for connection in (user.redis, user.pika):
        with pytest.raises((ConnectionError, OSError)):
            connection.call("PING")
    user.close()


def test_first_args_and_no_auth_commands(acl):
    acl.check("ACL", "SETUSER", "f", "on", "nopass", "-@all", "+select|0", "+client|id")
    user = UserPair(acl.ports, "f", "x")
    for call in (("SELECT", "0"), ("SELECT", "1"), ("CLIENT", "ID"), ("CLIENT", "INFO"), ("AUTH", "f", "y"),
                 ("ACL", "WHOAMI")):
        user.check(*call, normalize=lambda reply: reply if not isinstance(reply, int) else 0)
    user.close()


def test_aclfile_save_and_load(tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user alice on >pw ~a* +get\nuser default on nopass ~* &* +@all\n")
    with PikaServer(config={"aclfile": str(path)}) as server:
        connection = RawConnection(server.port)
        assert connection.call("ACL", "USERS") == [b"alice", b"default"]
        assert connection.call("ACL", "SETUSER", "bob", "on", "nopass", "+@all") == "OK"
        assert connection.call("ACL", "SAVE") == "OK"
        saved = path.read_text().splitlines()
        assert saved[0].startswith("user alice on #") and saved[1].startswith("user bob on nopass")
        path.write_text("user carol on nopass +@all ~*\n")
        other = RawConnection(server.port)
        assert other.call("AUTH", "bob", "x") == "OK"
        assert connection.call("ACL", "LOAD") == "OK"
        assert connection.call("ACL", "USERS") == [b"carol", b"default"]
        with pytest.raises((ConnectionError, OSError)):
            other.call("PING")
        connection.close()


def test_config_user_lines_and_pika_limit_user(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text("user reader on >r ~* &* +@read\nuser writer on nopass ~w* +@write\n")
    with PikaServer(config_file=str(conf), config={"userpass": "lim", "userblacklist": "FLUSHALL, keys"}) as server:
        connection = RawConnection(server.port)
        assert connection.call("ACL", "USERS") == [b"default", b"limit", b"reader", b"writer"]
        assert connection.call("AUTH", "limit", "lim") == "OK"
        assert connection.call("KEYS", "*") == Err("NOPERM this user has no permissions to run the 'keys' command")
        assert connection.call("SET", "k", "v") == "OK"
        assert connection.call("AUTH", "reader", "r") == "OK"
        assert connection.call("GET", "k") == b"v"
        assert connection.call("SET", "k", "v") == Err("NOPERM this user has no permissions to run the 'set' command")
        connection.close()


def test_sort_by_and_get_need_every_key(acl):
    acl.check("ACL", "SETUSER", "so", "on", "nopass", "~k*", "+sort", "+sort_ro", "+rpush")
    acl.check("ACL", "SETUSER", "all", "on", "nopass", "%R~*", "~k*", "+sort", "+rpush")
    user = UserPair(acl.ports, "so", "x")
    for call in (("RPUSH", "k1", "3", "1", "2"), ("SORT", "k1"), ("SORT", "k1", "BY", "nosort"),
                 ("SORT", "k1", "BY", "k*"), ("SORT", "k1", "GET", "#"), ("SORT", "k1", "GET", "#", "BY", "x_*"),
                 ("SORT_RO", "k1", "GET", "k_*"), ("SORT", "k1", "STORE", "k2"), ("SORT", "k1", "STORE", "x")):
        user.check(*call)
    user.close()
    reader = UserPair(acl.ports, "all", "x")
    reader.check("SORT", "k1", "BY", "w_*", "GET", "#")
    reader.close()


def test_blocked_command_checked_when_it_blocks(acl):
    """A blocked BLPOP was admitted when it blocked: losing the key afterwards does not stop it
    being served (Redis 7.0), while a new one is refused."""
    acl.check("ACL", "SETUSER", "bl", "on", "nopass", "~k*", "+blpop", "+lpush")
    waiting = UserPair(acl.ports, "bl", "x")
    for connection in (waiting.redis, waiting.pika):
        connection.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$2\r\nk9\r\n$1\r\n0\r\n")
    for connection in (acl.redis, acl.pika):
        wait_until(lambda connection=connection: b"blocked_clients:1" in connection.call("INFO", "clients"),
                   what="the BLPOP to block")
    acl.check("ACL", "SETUSER", "bl", "resetkeys", "~z*")
    acl.check("LPUSH", "k9", "v")
    assert waiting.redis.read_reply() == waiting.pika.read_reply() == [b"k9", b"v"]
    waiting.check("BLPOP", "k9", "0")
    waiting.close()


def test_getuser_in_resp3_has_a_set_of_flags(acl):
    acl.check("ACL", "SETUSER", "r3", "on", ">p", "~k", "(+get ~x)")
    replies = []
    for port in acl.ports:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"HELLO 3\r\n")
            wait_until(lambda sock=sock: sock.recv(65536).endswith(b"*0\r\n"), what="HELLO's reply")
            sock.sendall(b"ACL GETUSER r3\r\n")
            reply = b""
            while not reply.endswith(b"channels\r\n$0\r\n\r\n"):
                reply += sock.recv(65536)
            replies.append(reply)
    assert replies[0] == replies[1]
    assert replies[1].startswith(b"%6\r\n$5\r\nflags\r\n~1\r\n$2\r\non\r\n")


def test_every_category_holds_the_commands_redis_puts_in_it(acl):
    """ACL CAT per category, over the commands both servers have (ours adds Pika's)."""
    common = set(acl.redis.call("COMMAND", "LIST")) & set(acl.pika.call("COMMAND", "LIST"))
    categories = acl.check("ACL", "CAT")
    for category in categories:
        expected, actual = acl.both("ACL", "CAT", category)
        assert set(actual) & common == set(expected) & common, category


def test_default_user_off_and_deleting_ones_own_user(acl):
    acl.check("ACL", "SETUSER", "me", "on", "nopass", "+@all", "~*")
    own = UserPair(acl.ports, "me", "x")
    own.check("ACL", "DELUSER", "me")
    for connection in (own.redis, own.pika):
        with pytest.raises((ConnectionError, OSError)):
            connection.call("PING")
    own.close()
    acl.check("ACL", "SETUSER", "default", "off")
    acl.check("PING")  # a connection logged in stays so
    fresh = Differential(*acl.ports)
    for call in (("PING",), ("AUTH", "x"), ("HELLO", "3"), ("AUTH", "default", "x")):
        fresh.check(*call)
    fresh.close()
    acl.check("ACL", "SETUSER", "default", "on")  # so that the fixture's new connections log in


def test_acl_load_reports_every_faulty_line_and_changes_nothing(tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user alice on >pw ~a* +get\n")
    with PikaServer(config={"aclfile": str(path)}) as server:
        connection = RawConnection(server.port)
        for text, reply in (
            ("user bob on +nosuch\nfoo bar\nuser carol on +get\n",
             f"ERR {path}:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. "
             f"{path}:2 should start with user keyword followed by the username. "),
            ("# comment\nuser bob on +get\n",
             f"ERR {path}:1 should start with user keyword followed by the username. "),
            ("user bob on +get\nuser bob on +set\n", "ERR WARNING: Duplicate user 'bob' found on line 2. "),
        ):
            path.write_text(text)
            assert connection.call("ACL", "LOAD") == Err(
                reply + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
        assert connection.call("ACL", "USERS") == [b"alice", b"default"]
        path.write_text("\n\nuser dave on +get\n")
        assert connection.call("ACL", "LOAD") == "OK"
        assert connection.call("ACL", "LIST") == [b"user dave on resetchannels -@all +get",
                                                  b"user default on nopass ~* &* +@all"]
        connection.close()


def test_users_in_redis_conf_and_an_aclfile_refuse_to_start(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text(f"user y on\naclfile {tmp_path / 'users.acl'}\n")
    (tmp_path / "users.acl").write_text("user x on\n")
    server = PikaServer(config_file=str(conf), startup_timeout=5)
    try:
        with pytest.raises(RuntimeError, match="failed to start") as refused:
            server.start()
        assert "define either an ACL file or declare users directly in your redis.conf" in str(refused.value.__cause__)
    finally:
        server.stop()


def test_config_rewrite_writes_the_users_as_redis_does(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text("user bob on >x ~* +get\n# hi\nuser gone on nopass +@all\n")
    with PikaServer(config_file=str(conf)) as server:
        connection = RawConnection(server.port)
        assert connection.call("ACL", "SETUSER", "carol", "on", "nopass", "+set") == "OK"
        assert connection.call("ACL", "DELUSER", "gone") == 1
        assert connection.call("CONFIG", "REWRITE") == "OK"
        connection.close()
    lines = conf.read_text().splitlines()
    assert lines[0].startswith("user bob on #") and lines[0].endswith(" ~* resetchannels -@all +get")
    assert lines[1] == "# hi"
    assert not any(line.startswith("user gone") for line in lines)
    assert lines[-2:] == ["user carol on nopass resetchannels -@all +set", "user default on nopass ~* &* +@all"]


def test_binary_patterns_and_passwords(acl):
    acl.check("ACL", "SETUSER", "bin", "on", b">p\xff", b"~k\xff*", b"&c\xfe", "+get", "+publish")
    # (+get and +publish come in each table's order)
    acl.check("ACL", "LIST", normalize=lambda users: [sorted(user.split()) for user in users])
    acl.check("ACL", "GETUSER", "bin", normalize=lambda fields: fields[:4] + fields[6:])
    user = UserPair(acl.ports, "bin", b"p\xff")
    for call in (("GET", b"k\xffa"), ("GET", b"k\xfea"), ("PUBLISH", b"c\xfe", "m"), ("PUBLISH", "c", "m")):
        user.check(*call)
    user.close()


def test_acl_pubsub_default_and_log_max_len(acl):
    acl.check("CONFIG", "SET", "acl-pubsub-default", "allchannels")
    acl.check("ACL", "SETUSER", "chan", "on", "+get", "(~x +set)")
    acl.check("ACL", "SETUSER", "reset", "reset")
    acl.check("ACL", "LIST")
    acl.check("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
    acl.check("CONFIG", "SET", "acllog-max-len", "2")
    for user in ("a", "b", "c"):
        acl.check("AUTH", user, "x")
    acl.check("ACL", "LOG", normalize=_normalize_log)
    acl.check("CONFIG", "SET", "acllog-max-len", "128")


def test_sort_store_needs_write_access(acl):
    acl.check("ACL", "SETUSER", "ro", "on", "nopass", "%R~*", "+sort", "+rpush")
    acl.check("RPUSH", "src", "2", "1")
    user = UserPair(acl.ports, "ro", "x")
    for call in (("SORT", "src"), ("SORT", "src", "STORE", "dst"), ("EXISTS", "dst")):
        user.check(*call)
    user.close()
    acl.check("EXISTS", "dst")
