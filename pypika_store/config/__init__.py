"""Server configuration: the option table, pika.conf / redis.conf parsing and CONFIG REWRITE."""

from .kinds import ConfigError, Option, parse_memory
from .options import OPTIONS
from .store import Config

__all__ = ["OPTIONS", "Config", "ConfigError", "Option", "parse_memory"]
