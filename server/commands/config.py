"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP."""

from __future__ import annotations

import logging

from pypika_store.config import OPTIONS, ConfigError
from pypika_store.errors import CommandError
from pypika_store.glob import compile_glob

from ..connection import Client
from ..log_format import LEVELS
from ..registry import command, container
from ..resp.replies import OK, Map, Status

container("config", arity=-2, flags="", group="server")

_HELP = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Print this help.",
]


@command("config|get", arity=-3, flags="admin noscript loading stale", group="server")
def config_get(client: Client, argv: list[bytes]) -> object:
    """Get the values of configuration parameters matching glob patterns."""
    config = client.server.config
    matchers = [compile_glob(pattern, nocase=True) for pattern in argv[2:]]
    return Map(
        (name.encode(), config.formatted(name).encode())
        for name in config.names()
        if any(matches(name.encode()) for matches in matchers)
    )


def _apply_side_effects(client: Client, name: str) -> None:
    """Options whose new value must reach something other than the config table."""
    config = client.server.config
    if name == "loglevel":
        logging.getLogger("pypika_store").setLevel(LEVELS[config.get_str("loglevel")])
    elif name == "bgsave-lock-scope":
        client.server.engine.lock_scope = config.get_str("bgsave-lock-scope")


@command("config|set", arity=-4, flags="admin noscript loading stale", group="server")
def config_set(client: Client, argv: list[bytes]) -> object:
    """Set configuration parameters (all or none)."""
    if len(argv) % 2:
        raise CommandError("ERR wrong number of arguments for 'config|set' command")
    config = client.server.config
    pairs = [(name.decode("utf-8", "replace").lower(), value.decode("utf-8", "surrogateescape"))
             for name, value in zip(argv[2::2], argv[3::2])]
    seen: set[str] = set()
    for name, value in pairs:
        option = OPTIONS.get(name)
        if option is None:
            raise CommandError(f"ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
        failed = f"ERR CONFIG SET failed (possibly related to argument '{name}') - "
        if option.name in seen:
            raise CommandError(failed + "duplicate parameter")
        seen.add(option.name)
        if not option.mutable:
            raise CommandError(failed + "can't set immutable config")
        try:
            option.convert(value)
        except ConfigError as exc:
            raise CommandError(failed + str(exc)) from None
    for name, value in pairs:
        config.set(name, value)
        _apply_side_effects(client, OPTIONS[name].name)
    return OK


@command("config|resetstat", arity=2, flags="admin noscript loading stale", group="server")
def config_resetstat(client: Client, argv: list[bytes]) -> object:
    """Reset the statistics reported by INFO."""
    client.server.reset_stats()
    return OK


@command("config|rewrite", arity=2, flags="admin noscript loading stale", group="server")
def config_rewrite(client: Client, argv: list[bytes]) -> object:
    """Rewrite the configuration file with the in-memory configuration."""
    config = client.server.config
    if not config.path:
        raise CommandError("ERR The server is running without a config file")
    try:
        config.rewrite()
    except OSError as exc:
        raise CommandError(f"ERR Rewriting config file: {exc.strerror}") from None
    return OK


@command("config|help", arity=2, flags="loading stale", group="server")
def config_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return [Status(line) for line in _HELP]
