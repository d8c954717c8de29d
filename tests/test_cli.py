"""`pypika-server` as a user runs it: config files of both dialects, signals, SHUTDOWN."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import redis

from pypika_store.testing import free_port

from .support import wait_until

SERVER = [sys.executable, "-m", "pypika_store.server.cli"]


def start(*args: str, cwd: str) -> subprocess.Popen:
    return subprocess.Popen([*SERVER, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(port: int, process: subprocess.Popen, password: str | None = None) -> redis.Redis:
    client = redis.Redis(port=port, password=password)

    def answers() -> bool:
        assert process.poll() is None, process.stderr.read()
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_until(answers, timeout=30, what="pypika-server to answer")
    return client


def test_version_and_help():
    version = subprocess.run([*SERVER, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("pypika-store v=") and "pika_version=" in version
    usage = subprocess.run([*SERVER, "--help"], capture_output=True, text=True, check=True).stdout
    assert "pypika-server -c /path/to/pika.conf" in usage


def test_bad_config_is_fatal_with_a_clear_message(tmp_path):
    conf = tmp_path / "pika.conf"
    conf.write_text("port : not-a-number\n")
    result = subprocess.run([*SERVER, str(conf)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "FATAL CONFIG FILE ERROR" in result.stderr and "'port'" in result.stderr
    missing = subprocess.run([*SERVER, str(tmp_path / "nope.conf")], capture_output=True, text=True, timeout=30)
    assert missing.returncode == 1 and "nope.conf" in missing.stderr


@pytest.mark.parametrize("dialect", ["pika", "redis"])
def test_config_file_dialects_and_overrides(tmp_path, dialect):
    port = free_port()
    conf = tmp_path / "server.conf"
    if dialect == "pika":
        conf.write_text(f"# pika style\nport : {port - 1}\nrequirepass : secret\nthread-num : 4\n")
        args = ["-c", str(conf), "--port", str(port)]
    else:
        conf.write_text(f'# redis style\nport {port - 1}\nrequirepass "secret"\n')
        args = [str(conf), "--port", str(port)]
    process = start(*args, cwd=str(tmp_path))
    try:
        client = wait_ready(port, process, password="secret")
        assert client.config_get("port") == {"port": str(port)}  # the command line wins
        assert client.set("k", "v")
        client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        out, _err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Ready to accept connections" in out and "ready to exit" in out
    if dialect == "pika":
        assert "Ignoring config keys this server does not use: thread-num" in out
    assert os.path.isdir(tmp_path / "db")  # the default db-path is relative to the working folder


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SHUTDOWN", "SHUTDOWN NOSAVE"])
def test_clean_stop_keeps_every_write(tmp_path, how):
    port = free_port()
    settings = ["--port", str(port), "--db-path", str(tmp_path / "db"), "--sync-policy", "no"]
    process = start(*settings, cwd=str(tmp_path))
    client = wait_ready(port, process)
    client.mset({f"k{n}": n for n in range(1000)})
    if how.startswith("SHUTDOWN"):
        with pytest.raises(redis.ConnectionError):
            client.execute_command(*how.split())
    else:
        process.send_signal(getattr(signal, how))
    out, _err = process.communicate(timeout=30)
    assert process.returncode == 0, out
    assert "ready to exit" in out
    log_line = next(line for line in out.splitlines() if "Ready to accept" in line)
    pid, rest = log_line.split(":", 1)
    assert pid.isdigit() and rest[:2] == "M " and " * Ready to accept" in rest  # Redis' log format
    process = start(*settings, cwd=str(tmp_path))
    client = wait_ready(port, process)
    assert client.dbsize() == 1000 and client.get("k999") == b"999"
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
