"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP."""

from __future__ import annotations

import logging

from pypika_store.config import OPTIONS, ConfigError
from pypika_store.errors import (
    NoConfigFileError,
    WrongArityError,
    config_rewrite_failed,
    config_set_failed,
    unknown_config_option,
)
from pypika_store.glob import compile_glob

from ..connection import Client
from ..log_format import LEVELS
from ..registry import command, container, help_reply
from ..resp.replies import OK, Map

container("config", arity=-2, flags="", group="server")


@command("config|get", arity=-3, flags="admin noscript loading stale", group="server",
         help=("GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values."))
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
    elif name == "slotmigrate":
        client.server.slots.apply_setting()


@command("config|set", arity=-4, flags="admin noscript loading stale", group="server",
         help=("SET <directive> <value>", "    Set the configuration <directive> to <value>."))
def config_set(client: Client, argv: list[bytes]) -> object:
    """Set configuration parameters (all or none)."""
    if len(argv) % 2:
        raise WrongArityError("config|set")
    config = client.server.config
    pairs = [(name.decode("utf-8", "replace").lower(), value.decode("utf-8", "surrogateescape"))
             for name, value in zip(argv[2::2], argv[3::2])]
    seen: set[str] = set()
    for name, value in pairs:
        option = OPTIONS.get(name)
        if option is None:
            raise unknown_config_option(name)
        if option.name in seen:
            raise config_set_failed(name, "duplicate parameter")
        seen.add(option.name)
        if not option.mutable:
            raise config_set_failed(name, "can't set immutable config")
        try:
            option.convert(value)
        except ConfigError as exc:
            raise config_set_failed(name, str(exc)) from None
    for name, value in pairs:
        config.set(name, value)
        _apply_side_effects(client, OPTIONS[name].name)
    return OK


@command("config|resetstat", arity=2, flags="admin noscript loading stale", group="server",
         help=("RESETSTAT", "    Reset statistics reported by the INFO command."))
def config_resetstat(client: Client, argv: list[bytes]) -> object:
    """Reset the statistics reported by INFO."""
    client.server.reset_stats()
    return OK


@command("config|rewrite", arity=2, flags="admin noscript loading stale", group="server",
         help=("REWRITE", "    Rewrite the configuration file."))
def config_rewrite(client: Client, argv: list[bytes]) -> object:
    """Rewrite the configuration file with the in-memory configuration."""
    config = client.server.config
    if not config.path:
        raise NoConfigFileError()
    try:
        config.rewrite()
    except OSError as exc:
        raise config_rewrite_failed(exc.strerror) from None
    return OK


@command("config|help", arity=2, flags="loading stale", group="server", help=("HELP", "    Print this help."))
def config_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
