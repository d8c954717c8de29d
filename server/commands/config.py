"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP."""

from __future__ import annotations

import logging

from pypika_store.config import OPTIONS, ConfigError
from pypika_store.config.effects import ENCODING_OPTIONS, apply_encoding_limits
from pypika_store.errors import (
    NoConfigFileError,
    SyntaxErrorReply,
    config_rewrite_failed,
    config_set_failed,
    unknown_config_option,
)
from pypika_store.glob import compile_glob

from ..connection import Client
from ..log_format import LEVELS
from ..registry import command, container, help_reply
from ..resp.replies import OK, Map
from ..slowlog import THRESHOLD_OPTIONS
from ..tls import RELOAD_FAILED, RELOADING_OPTIONS, TlsSettingError

container("config", arity=-2, flags="", group="server")


@command("config|get", arity=-3, flags="admin noscript loading stale", group="server",
         help=("GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values."),
         syntax="parameter:<parameter> [parameter ...]")
def config_get(client: Client, argv: list[bytes]) -> object:
    """Get the values of configuration parameters matching glob patterns.

    As in Redis 7.0, a name without glob characters is looked up as written (and answered
    under that spelling); a pattern matches every name, aliases included."""
    config = client.server.config
    found: dict[bytes, str] = {}
    for pattern in argv[2:]:
        if not any(char in pattern for char in b"*?["):
            name = pattern.decode("utf-8", "replace")
            if name.lower() in OPTIONS and pattern.lower() not in found:
                found.setdefault(pattern, name.lower())
            continue
        matches = compile_glob(pattern, nocase=True)
        for name in config.visible_names():
            if matches(name.encode()):
                found.setdefault(name.encode(), name)
    return Map((key, config.formatted(name).encode()) for key, name in found.items())


def _apply_side_effects(client: Client, name: str) -> None:
    """Options whose new value must reach something other than the config table."""
    config = client.server.config
    if name == "loglevel":
        logging.getLogger("pypika_store").setLevel(LEVELS[config.get_str("loglevel")])
    elif name == "bgsave-lock-scope":
        client.server.engine.lock_scope = config.get_str("bgsave-lock-scope")
    elif name == "slotmigrate":
        client.server.slots.apply_setting()
    elif name == "requirepass":  # the default user's password, as Redis has it
        client.server.dispatcher.acl.set_default_password(config.get_str("requirepass"))
    elif name == "acllog-max-len":
        client.server.dispatcher.acl.log_max_len = config.get_int("acllog-max-len")
    elif name == "acl-pubsub-default":
        client.server.dispatcher.acl.pubsub_default_all = config.get_str("acl-pubsub-default") == "allchannels"
    elif name in ENCODING_OPTIONS:
        apply_encoding_limits(config, client.server.engine.encoding_limits)
    elif name in ("proto-max-bulk-len", "client-query-buffer-limit"):
        client.server.apply_protocol_limits()
    elif name == "notify-keyspace-events":
        client.server.notifications.configure()
    elif name in THRESHOLD_OPTIONS:
        client.server.dispatcher.read_thresholds()


@command("config|set", arity=-4, flags="admin noscript loading stale", group="server",
         help=("SET <directive> <value>", "    Set the configuration <directive> to <value>."),
         syntax="parameter_value:<parameter value> [parameter_value ...]")
def config_set(client: Client, argv: list[bytes]) -> object:
    """Set configuration parameters (all or none).

    Redis 7.0's order of checks: every name first (unknown, immutable or protected, given
    twice: the first such error, quoting the name as written), then every value (the first
    bad one, quoting the option's name); only when all pass is any of them set."""
    if len(argv) % 2:
        raise SyntaxErrorReply()
    config = client.server.config
    pairs = [(name.decode("utf-8", "replace"), value.decode("utf-8", "surrogateescape"))
             for name, value in zip(argv[2::2], argv[3::2])]
    seen: set[str] = set()
    for name, _value in pairs:
        option = OPTIONS.get(name.lower())
        if option is None:
            raise unknown_config_option(name)
        if option.refusal is not None:
            raise config_set_failed(name, option.refusal)
        if name.lower() in seen:
            raise config_set_failed(name, "duplicate parameter")
        seen.add(name.lower())
    for name, value in pairs:
        try:
            config.check(name, value)
        except ConfigError as exc:
            raise config_set_failed(name.lower(), str(exc)) from None
    previous = [(name, config.formatted(OPTIONS[name.lower()].name)) for name, _value in pairs]
    for name, value in pairs:
        config.set(name, value)
    _apply_tls(client, pairs, previous)
    for name, _value in pairs:
        _apply_side_effects(client, OPTIONS[name.lower()].name)
    return OK


def _apply_tls(client: Client, pairs: list[tuple[str, str]], previous: list[tuple[str, str]]) -> None:
    """tls-port moves the TLS listener, a tls-* file option rebuilds the TLS contexts (Redis'
    applyTLSPort, applyTlsCfg); when that fails every value of this CONFIG SET is put back."""
    names = [name.lower() for name, _value in pairs]
    port_changed = any(OPTIONS[name].name == "tls-port" for name in names)
    reloading = [name for name in names if OPTIONS[name].name in RELOADING_OPTIONS]
    if not (port_changed or reloading):
        return
    try:
        client.server.apply_tls_settings(bool(reloading), port_changed)
    except TlsSettingError as exc:
        blamed = reloading[0] if reloading and str(exc) == RELOAD_FAILED else "tls-port"
        logging.getLogger("pypika_store.server").warning(
            "Failed applying new configuration. Possibly related to new %s setting. Restoring previous settings.",
            blamed)
        for name, text in previous:
            client.server.config.set(name, text)
        raise config_set_failed(blamed, str(exc)) from None


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
    config.acl_user_lines = [] if config.get_str("aclfile") else client.server.dispatcher.acl.user_lines()
    try:
        config.rewrite()
    except OSError as exc:
        raise config_rewrite_failed(exc.strerror) from None
    return OK


@command("config|help", arity=2, flags="loading stale", group="server", help=("HELP", "    Print this help."))
def config_help(client: Client, argv: list[bytes]) -> object:
    """Show helpful text about the different subcommands."""
    return help_reply(argv)
