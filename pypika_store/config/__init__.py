"""Server configuration: the option table, pika.conf / redis.conf parsing and CONFIG REWRITE."""

from .options import OPTIONS, ConfigError, Option, parse_memory
from .store import Config

__all__ = ["OPTIONS", "Config", "ConfigError", "Option", "parse_memory"]
