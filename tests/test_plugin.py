"""The pytest plugin, exercised in a separate pytest run (pytester)."""

from __future__ import annotations

pytest_plugins = ["pytester"]


def test_default_fixtures(pytester):
    pytester.makepyfile("""
        def test_first(pika_db):
            pika_db.set("k", "v")
            assert pika_db.get("k") == b"v"

        def test_flushed_between_tests(pika_db, pika_proc):
            assert pika_db.dbsize() == 0
            assert pika_proc.port > 0
    """)
    pytester.runpytest().assert_outcomes(passed=2)


def test_factories_and_option_precedence(pytester):
    pytester.makeini("""
        [pytest]
        pika_password = from-ini
        pika_decode = true
    """)
    pytester.makeconftest("""
        from pypika_store.testing import factories

        pika_secure = factories.pika_proc(password="from-factory", config={"databases": 4})
        pika_secure_db = factories.pika_db("pika_secure", dbnum=2)
        pika_ini_db = factories.pika_db("pika_proc")
    """)
    pytester.makepyfile("""
        def test_factory_argument_wins(pika_secure, pika_secure_db):
            assert pika_secure.password == "from-factory"
            pika_secure_db.set("k", "v")
            assert pika_secure_db.get("k") == "v"           # pika_decode from the ini
            assert pika_secure_db.config_get("databases") == {"databases": "4"}

        def test_command_line_beats_ini(pika_proc, pika_ini_db):
            assert pika_proc.password == "from-cli"
            assert pika_ini_db.ping()
    """)
    pytester.runpytest("--pika-password", "from-cli").assert_outcomes(passed=2)


def test_noproc_attaches_to_a_running_server(pytester):
    from pypika_store.testing import PikaServer

    with PikaServer() as server:
        pytester.makepyfile(f"""
            def test_attach(pika_noproc):
                assert pika_noproc.port == {server.port}
                client = pika_noproc.client()
                assert client.set("from-noproc", 1)
        """)
        pytester.runpytest("--pika-port", str(server.port)).assert_outcomes(passed=1)
        assert server.client().get("from-noproc") == b"1"


def test_group_fixture_and_factory(pytester):
    pytester.makepyfile("""
        from pypika_store.testing import factories

        pika_trio = factories.pika_group(slaves=3, password="pw")

        def test_default_group(pika_group):
            pika_group.master.client().rpush("jobs", "a", "b")
            pika_group.wait_synced()
            for slave in pika_group.slaves:
                assert slave.client().lrange("jobs", 0, -1) == [b"a", b"b"]
            assert len(pika_group.slaves) == 2

        def test_factory_group(pika_trio):
            pika_trio.master.client().set("k", "v")
            pika_trio.wait_synced()
            assert [slave.client().get("k") for slave in pika_trio.slaves] == [b"v"] * 3
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_sentinel_group_factory(pytester):
    pytester.makepyfile("""
        from pypika_store.testing import factories
        from pypika_store.testing.sentinel import MASTER_NAME

        failover = factories.pika_sentinel_group(slaves=2)

        def test_my_app_survives_a_failover(failover):
            client = failover.sentinel_client(socket_timeout=2).master_for(MASTER_NAME)
            client.set("k", "v")
            assert client.wait(2, 5000) == 2  # replication is asynchronous: wait for both slaves
            old_port = failover.pika.master.port
            failover.pika.master.kill()
            host, port = failover.sentinels.wait_for_failover(old=old_port)
            assert port != old_port
            assert client.get("k") == b"v"
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
