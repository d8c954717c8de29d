""":class:`PikaServer`: one pypika-store server in a background thread or a child process."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from .certificates import Certificates
from .chaos import (STALL_LIMIT_MS, ClockControl, Healing, LinkControl, fault_command, new_fault_name, parse_list,
                    stall_process)

THREAD = "thread"
PROCESS = "process"
_READY_LINE = re.compile(rb"Ready to accept connections (tcp|tls) on \S+ port (\d+)")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class PikaServer:
    """A pypika-store server for tests and embedding.

    ``mode`` is ``"thread"`` (an event loop in a daemon thread of this process: fast to start,
    shares this process) or ``"process"`` (a ``pypika-server`` child process: isolated, can be
    killed with :meth:`kill` to test crash recovery). ``port=0`` (the default) lets the OS pick a
    free port, so parallel test workers never clash. ``data_dir`` defaults to a temporary folder
    removed on :meth:`stop`; pass one to keep or reuse data across restarts. ``config`` holds
    any other config keys (``{"sync-policy": "always", "requirepass": "x"}``), which override
    ``config_file`` (a pika.conf or redis.conf; CONFIG REWRITE writes to it). ``tls=True`` also
    serves TLS on :attr:`tls_port` with throw-away certificates (:mod:`.certificates`; pass a
    ``Certificates`` to share one CA between servers); :meth:`tls_client` connects there.
    """

    def __init__(self, mode: str = THREAD, host: str = "127.0.0.1", port: int = 0,
                 data_dir: str | None = None, password: str | None = None,
                 config: dict[str, Any] | None = None, config_file: str | None = None,
                 startup_timeout: float = 30.0, tls: "bool | Certificates" = False) -> None:
        if mode not in (THREAD, PROCESS):
            raise ValueError(f"mode must be {THREAD!r} or {PROCESS!r}")
        self.mode = mode
        self.host = host
        self.port = port
        self.password = password
        self.startup_timeout = startup_timeout
        self._own_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="pypika-")
        self.config: dict[str, str] = {key: str(value) for key, value in (config or {}).items()}
        self.config_file = config_file
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._process: subprocess.Popen | None = None
        #: The CA and certificates of ``tls=True`` are made in the data folder (and go with it).
        self.certificates: Certificates | None = (Certificates(os.path.join(self.data_dir, "tls")) if tls is True
                                                  else tls or None)
        self.tls_port = free_port(host) if self.certificates is not None else 0
        if self.certificates is not None and port == 0:
            self.port = free_port(host)  # port 0 would make the server TLS only
        self._control = None
        #: This node's data clock (CHAOS CLOCK), and as a slave its link to its master (CHAOS LINK).
        self.clock = ClockControl(self)
        self.link = LinkControl(self)

    # -- what clients need ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{auth}{host}:{self.port}/0"

    @property
    def log_path(self) -> str:
        return os.path.join(self.data_dir, "pypika.log")

    @property
    def server(self):
        """The running ``Server`` object in thread mode (its engine, config, clients), for
        tests that look inside; None in process mode. Touch it only from the server's loop
        or while the server is idle: it is not thread-safe."""
        return self._server

    def client(self, **kwargs: Any):
        """A ``redis.Redis`` client connected to this server (redis-py must be installed)."""
        import redis

        kwargs.setdefault("password", self.password)
        return redis.Redis(host=self.host, port=self.port, **kwargs)

    def tls_client(self, certificate: bool = True, **kwargs: Any):
        """A ``redis.Redis`` client over TLS (``tls=...``), showing the client certificate
        unless ``certificate`` is False."""
        import redis

        kwargs.setdefault("password", self.password)
        assert self.certificates is not None, "tls_client() needs PikaServer(tls=...)"
        return redis.Redis(host=self.host, port=self.tls_port, **self.certificates.client_kwargs(certificate), **kwargs)

    # -- faults on demand (CHAOS, docs/fault-injection.md) ------------------------------------

    def control_client(self):
        """The connection the controls below send CHAOS on (kept; reconnects after a restart)."""
        if self._control is None:
            self._control = self.client()
        return self._control

    def chaos(self, *args: Any) -> Any:
        """Send ``CHAOS <args>`` to this server; its reply."""
        return self.control_client().execute_command("CHAOS", *args)

    def fault(self, name: str | None = None, *, command: str | None = None, key: str | None = None,
              client: str | None = None, db: int | None = None, error: str | None = None,
              delay: int | None = None, drop: bool = False, close: bool = False, hang: bool = False,
              corrupt: bool = False, nth: int | None = None, count: int | None = None,
              probability: float | None = None, after: bool = False) -> Healing:
        """A command fault (CHAOS FAULT ADD): the calls matching ``command`` (``"set"``,
        ``"config|set"``), ``key`` (a glob), ``client`` (name or address) and ``db`` get
        ``error`` (a reply text), wait ``delay`` ms, or are dropped, closed, hung or corrupted; ``nth``,
        ``count``, ``probability`` and ``after`` as the command's. Healing deletes it."""
        name = name or new_fault_name()
        self.chaos(*fault_command(name, command, key, client, db, error, delay, drop, close, hang, corrupt,
                                  nth, count, probability, after))
        return Healing(lambda: self.chaos("FAULT", "DEL", name), name)

    def stall(self) -> Healing:
        """Stop the whole node as SIGSTOP would (nothing read, no cron, no replication) until
        healed: a real SIGSTOP/SIGCONT in process mode, CHAOS SUSPEND ended early in thread mode."""
        if self._process is not None:
            return stall_process(self._process.pid)
        server = self._server
        self.chaos("SUSPEND", STALL_LIMIT_MS)
        wait_for(lambda: server.chaos.suspension.suspended, self.startup_timeout, "the node to stop")
        return Healing(server.chaos.suspension.wake)

    def suspend(self, milliseconds: int) -> None:
        """CHAOS SUSPEND: stop the node for ``milliseconds``, after this call returns."""
        self.chaos("SUSPEND", milliseconds)

    def chaos_reset(self) -> None:
        """CHAOS RESET: heal every fault of this node (a stall first: a stopped node reads nothing)."""
        self._end_stall()
        self.chaos("RESET")

    def _end_stall(self) -> None:
        """Let a stalled node go on (SIGCONT, or its suspension woken), if it is stalled."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)
        elif self._server is not None:
            self._server.chaos.suspension.wake()

    def chaos_list(self) -> list[dict[str, Any]]:
        """CHAOS LIST as dicts: the seed, the clock, link faults, command faults and counters."""
        return parse_list(self.chaos("LIST"))

    def chaos_seed(self, seed: int) -> None:
        """CHAOS SEED: seed the faults' random draws so a run replays."""
        self.chaos("SEED", seed)

    def settings(self) -> dict[str, str]:
        """Every config key this server is started with."""
        settings = {
            "bind": self.host,
            "port": str(self.port),
            "db-path": os.path.join(self.data_dir, "db"),
            "log-path": os.path.join(self.data_dir, "log"),
            "dump-path": os.path.join(self.data_dir, "dump"),
            "db-sync-path": os.path.join(self.data_dir, "dbsync"),
            "logfile": self.log_path,
        }
        if self.password:
            settings["requirepass"] = self.password
        if self.certificates is not None:
            settings.update(self.certificates.server_settings())
            settings["tls-port"] = str(self.tls_port)
        settings["enable-chaos-command"] = "yes"  # the faults on demand of testing/chaos.py
        settings.update(self.config)
        return settings

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "PikaServer":
        os.makedirs(self.data_dir, exist_ok=True)
        if self.mode == THREAD:
            self._start_thread()
        else:
            self._start_process()
        return self

    def _start_thread(self) -> None:
        from pypika_store.config import Config
        from pypika_store.server.app import Server
        from pypika_store.server.cli import _event_loop_runner

        # In a thread the server logs through this process' own logging set-up.
        settings = {key: value for key, value in self.settings().items() if key != "logfile"}
        config = Config(self.config_file, settings)
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                server = Server(config)
                with _event_loop_runner() as runner:
                    self._loop = runner.get_loop()
                    self._server = server

                    async def main() -> None:
                        await server.start()
                        ready.set()
                        await server.wait_stopped()

                    runner.run(main())
            except BaseException as exc:  # surfaced to start()
                failure.append(exc)
            finally:
                ready.set()

        self._thread = threading.Thread(target=run, name="pypika-server", daemon=True)
        self._thread.start()
        ready.wait(self.startup_timeout)
        if failure:
            raise RuntimeError("pypika-store failed to start") from failure[0]
        self.port = self._server.port  # type: ignore[union-attr]

    def _start_process(self) -> None:
        settings = self.settings()
        if os.path.exists(self.log_path):
            os.unlink(self.log_path)
        args = [sys.executable, "-m", "pypika_store.server.cli"]
        if self.config_file:
            args.append(self.config_file)
        for key, value in settings.items():
            args += [f"--{key}", value]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def ready_port() -> tuple[int] | None:
            if self._process.poll() is not None:  # type: ignore[union-attr]
                error = self._process.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
                raise RuntimeError(f"pypika-server exited with {self._process.returncode}: {error}")
            try:
                with open(self.log_path, "rb") as handle:
                    match = _READY_LINE.search(handle.read())
            except FileNotFoundError:
                return None
            if match is None:
                return None
            return (int(match.group(2)) if match.group(1) == b"tcp" else 0,)  # 0: TLS only

        self.port = wait_for(ready_port, self.startup_timeout, "pypika-server to listen")[0]

    def stop(self) -> None:
        """Shut the server down cleanly (data committed, LMDB closed) and remove a temp folder."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self.running:
            self._end_stall()  # a stopped node would not see its shutdown
        if self._thread is not None:
            if self._loop is not None and self._server is not None and not self._loop.is_closed():
                try:
                    self._loop.call_soon_threadsafe(self._server.request_shutdown)
                except RuntimeError:
                    pass  # the loop already stopped
            self._thread.join(self.startup_timeout)
            self._thread = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGTERM)
                try:
                    self._process.wait(self.startup_timeout)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process.stderr.close()  # type: ignore[union-attr]
            self._process = None
        if self._own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL the server process (process mode): a crash, for recovery tests."""
        if self._process is None:
            raise RuntimeError("kill() needs mode='process'")
        self._process.kill()
        self._process.wait()
        self._process.stderr.close()  # type: ignore[union-attr]
        self._process = None

    def restart(self) -> "PikaServer":
        """Stop (keeping the data) and start again on the same port."""
        own, self._own_data_dir = self._own_data_dir, False
        try:
            if self._process is not None or self._thread is not None:
                self.stop()
        finally:
            self._own_data_dir = own
        return self.start()

    @property
    def running(self) -> bool:
        """Started and not stopped or killed since (a stalled node is running)."""
        return self._thread is not None or (self._process is not None and self._process.poll() is None)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def __enter__(self) -> "PikaServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
