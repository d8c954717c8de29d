"""RESP2: the request parsers (pure Python, hiredis-accelerated) and the reply encoder."""

from .parser import ProtocolError, RequestParser, make_parser

__all__ = ["ProtocolError", "RequestParser", "make_parser"]
