"""``pypika-server``: start a server from a config file and command-line overrides.

    pypika-server [config-file] [--key value ...]
    pypika-server -c pika.conf [--key value ...]

Like redis-server, ``--key value`` pairs override the file (``--port 7000 --requirepass x``);
values may span several words until the next ``--``. Both pika.conf (``key : value``) and
redis.conf (``key value``) files are read.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from pypika_store import PIKA_VERSION, REDIS_VERSION, __version__
from pypika_store.config import Config, ConfigError

from .app import Server
from .log_format import configure_logging

log = logging.getLogger("pypika_store.server")

USAGE = """Usage: pypika-server [/path/to/pika.conf] [options]
       pypika-server -c /path/to/pika.conf [options]
       pypika-server -v or --version
       pypika-server -h or --help

Options are config keys with two dashes, e.g.:
       pypika-server --port 9221 --db-path ./db --sync-policy always
       pypika-server pika.conf --requirepass secret --loglevel verbose
"""


def parse_arguments(argv: list[str]) -> tuple[str | None, dict[str, str]]:
    """Split the command line into a config file path and ``{key: value}`` overrides."""
    path = None
    overrides: dict[str, str] = {}
    args = list(argv)
    if args and not args[0].startswith("-"):
        path = args.pop(0)
    while args:
        arg = args.pop(0)
        if arg == "-c":
            if not args:
                raise ConfigError("-c needs a config file")
            path = args.pop(0)
        elif arg.startswith("--") and len(arg) > 2:
            words = []
            while args and not (args[0].startswith("--") and len(args[0]) > 2):
                words.append(args.pop(0))
            overrides[arg[2:]] = " ".join(words)
        else:
            raise ConfigError(f"unexpected argument {arg!r}")
    return path, overrides


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


async def serve(server: Server, handle_signals: bool = True) -> None:
    """Run ``server`` until SHUTDOWN, SIGTERM or SIGINT."""
    await server.start()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, server.request_shutdown)
    await server.wait_stopped()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-v", "--version"):
        print(f"pypika-store v={__version__} pika_version={PIKA_VERSION} redis_version={REDIS_VERSION}")
        return 0
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    try:
        path, overrides = parse_arguments(args)
        config = Config(path, overrides)
    except (ConfigError, OSError) as exc:
        print(f"\n*** FATAL CONFIG FILE ERROR (pypika-store {__version__}) ***\n{exc}", file=sys.stderr)
        return 1
    configure_logging(config.get_str("loglevel"), config.get_str("logfile"))
    if config.unknown_keys:
        log.warning("Ignoring config keys this server does not use: %s", ", ".join(config.unknown_keys))
    server = Server(config)
    with _event_loop_runner() as runner:
        runner.run(serve(server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
