"""A command's usage line, as Redis documents it, parsed into COMMAND DOCS' argument tree.

Redis 7 describes each command's arguments as a tree (names, types, tokens, optional/multiple
flags, ``oneof`` choices and ``block`` groups); redis-cli builds its hints from it. Commands
declare it as one usage line in the shape of Redis' documentation, with just what such a line
cannot say written in: the names of groups and of renamed tokens, argument types, key-spec
indexes. ZADD's::

    key condition:[NX | XX] comparison:[GT | LT] [change:CH] [increment:INCR]
        score_member:<score:double member> [score_member ...]

The grammar, item by item:

- ``member`` is an argument named ``member`` of type string (``key``: type key);
  ``score:double`` gives the type: string, integer, double, key, pattern or unix-time.
- ``NX`` (a word without lower-case letters, or ``""`` quoted, as MIGRATE's empty key) is a
  token. Before an argument or a ``<...>`` group it is that argument's token (``EX
  seconds:integer``, ``LIMIT offset_count:<offset:integer count:integer>``); anywhere else it
  stands alone, a pure token named after itself (``change:CH`` names it otherwise).
- ``[...]`` is optional, ``<...>`` required. A group of one argument is that argument; a group
  of several (``a b``) is a block and one of alternatives (``A | B``) a choice, and both need
  a name: ``condition:[NX | XX]``. A name before a group always makes it a block or choice
  (CONFIG GET's ``parameter:<parameter>``).
- ``x [x ...]`` makes ``x`` multiple, as Redis writes it, repeating the name only
  (``score_member:<score member> [score_member ...]``); ``[GET pattern ...]`` repeats the token
  too (Redis' multiple_token).
- Key arguments take the key specs in order: the first is spec 0, each next one the spec after
  the previous key argument's; ``key2:key#0`` or ``pattern:pattern#1`` says otherwise.
- A name holding ``:`` ("ip:port") gives its type: ``ip:port:string``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

#: COMMAND DOCS' argument types an argument can be declared with.
TYPES = ("string", "integer", "double", "key", "pattern", "unix-time")
#: The marks of the grammar; everything else is a word (or a quoted token).
_LEXEME = re.compile(r'\s*(\.\.\.|[\[\]<>|]|"[^"]*"|[^\s\[\]<>|"]+)')
_NAME = re.compile(r"[a-z][a-z0-9_/:-]*")
_TOKEN = re.compile(r"[^a-z:#]+")
_TYPED = re.compile(rf"({'|'.join(TYPES)})?(?:#(\d+))?")
_CLOSERS = {"[": "]", "<": ">"}


@dataclass(frozen=True)
class Arg:
    """One argument of a command, for COMMAND DOCS (Redis' types: key, string, integer, double,
    pattern, unix-time, pure-token, oneof, block)."""

    name: str
    type: str = "string"
    token: str | None = None
    optional: bool = False
    multiple: bool = False
    multiple_token: bool = False
    key_spec_index: int = -1
    arguments: tuple["Arg", ...] = ()


class SyntaxDeclarationError(ValueError):
    """A usage line the grammar does not read, raised when the command registers."""


def parse_syntax(text: str) -> tuple[Arg, ...]:
    """The argument tree of a usage line (see the module's docstring for the grammar)."""
    return _Parser(text).arguments()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexemes: list[str] = []
        position = 0
        while text[position:].strip():
            match = _LEXEME.match(text, position)
            if match is None:
                raise SyntaxDeclarationError(f"syntax {text!r}: unreadable from {text[position:].strip()!r}")
            self.lexemes.append(match.group(1))
            position = match.end()
        self.position = 0
        #: The key-spec index of the next key argument without ``#N``.
        self.next_key_spec = 0

    def fail(self, problem: str) -> SyntaxDeclarationError:
        shown = " ".join(self.lexemes[:self.position]) + " <here> " + " ".join(self.lexemes[self.position:])
        return SyntaxDeclarationError(f"syntax {self.text!r}: {problem} ({shown.strip()})")

    def peek(self, ahead: int = 0) -> str | None:
        index = self.position + ahead
        return self.lexemes[index] if index < len(self.lexemes) else None

    def take(self) -> str:
        lexeme = self.peek()
        if lexeme is None:
            raise self.fail("the line ends too early")
        self.position += 1
        return lexeme

    def arguments(self) -> tuple[Arg, ...]:
        items = self.sequence()
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()!r}")
        return tuple(items)

    def sequence(self) -> list[Arg]:
        """Items up to the end of the line, a ``|`` or a group's closing mark."""
        items: list[Arg] = []
        while self.peek() not in (None, "|", "]", ">"):
            if self._at_repetition():
                if not items:
                    raise self.fail("'[... ...]' repeats the argument before it, and there is none")
                items[-1] = self.repetition(items[-1])
            else:
                items.append(self.item())
        return items

    def _at_repetition(self) -> bool:
        """Whether a ``[x ...]`` or ``[TOKEN x ...]`` starts here."""
        if self.peek() != "[":
            return False
        return ((self.peek(2), self.peek(3)) == ("...", "]")
                or (self.peek(3), self.peek(4)) == ("...", "]"))

    def repetition(self, previous: Arg) -> Arg:
        self.take()
        words = [self.take() for _ in range(3 if self.peek(2) == "..." else 2)]
        self.take()
        name, token = words[-2], (words[0] if len(words) == 3 else None)
        if name != previous.name or (token is not None and token != previous.token):
            repeated = " ".join(filter(None, (previous.token, previous.name)))
            raise self.fail(f"'[{' '.join(words)}]' must repeat the argument before it ({repeated})")
        if previous.multiple:
            raise self.fail(f"{previous.name!r} is repeated twice")
        return dataclasses.replace(previous, multiple=True, multiple_token=token is not None)

    def item(self) -> Arg:
        lexeme = self.take()
        if lexeme in _CLOSERS:
            return self.group(lexeme, name=None)
        if lexeme.startswith('"'):
            return self.pure_token(lexeme[1:-1], name=None)
        if lexeme == "...":
            raise self.fail("'...' belongs in a repetition: x [x ...]")
        label, colon, rest = lexeme.rpartition(":")
        if colon and not rest:
            return self.labelled(lexeme[:-1])
        if not colon and _TOKEN.fullmatch(lexeme):
            return self.token(lexeme)
        if colon and _TOKEN.fullmatch(rest):
            return self.pure_token(rest, name=self.name(label))
        return self.argument(lexeme)

    def name(self, text: str) -> str:
        if not _NAME.fullmatch(text):
            raise self.fail(f"{text!r} is not a name (lower-case letters, digits, '-', '_', '/', ':')")
        return text

    def labelled(self, label: str) -> Arg:
        """``name:`` before a group or a quoted token."""
        name = self.name(label)
        following = self.take()
        if following in _CLOSERS:
            return self.group(following, name)
        if following.startswith('"'):
            return self.pure_token(following[1:-1], name)
        raise self.fail(f"'{label}:' names a group or a quoted token, not {following!r}")

    def token(self, token: str) -> Arg:
        """A token: the next argument's or ``<...>`` group's, else a pure token of its own."""
        following = self.peek()
        attaches = following is not None and (following == "<" or self._starts_argument(following))
        if not attaches:
            return self.pure_token(token, name=None)
        item = self.item()
        if item.token is not None:
            raise self.fail(f"{item.name!r} has two tokens ({token} {item.token})")
        return dataclasses.replace(item, token=token)

    def _starts_argument(self, lexeme: str) -> bool:
        """An argument word, or a name before a required group (``name:<``)."""
        if lexeme.startswith('"') or lexeme in ("...", "[", "|", "]", ">") or _TOKEN.fullmatch(lexeme):
            return False
        if lexeme.endswith(":"):
            return self.peek(1) == "<"
        label, colon, rest = lexeme.rpartition(":")
        return not (colon and _TOKEN.fullmatch(rest))

    def pure_token(self, token: str, name: str | None) -> Arg:
        if name is None:
            if not token:
                raise self.fail('an empty token needs a name: name:""')
            name = token.lower()
        return Arg(name, "pure-token", token=token)

    def argument(self, word: str) -> Arg:
        """``name``, ``name:type``, ``name#N`` or ``name:type#N``."""
        head, colon, rest = word.rpartition(":")
        if colon:
            name, annotation = self.name(head), rest
        else:
            name, _, index = word.partition("#")
            name, annotation = self.name(name), "#" + index if index else ""
        typed = _TYPED.fullmatch(annotation)
        if typed is None or (colon and not annotation):
            raise self.fail(f"{annotation!r} is not a type ({', '.join(TYPES)}), optionally with '#N'")
        kind = typed.group(1) or ("key" if name == "key" else "string")
        if typed.group(2) is not None:
            key_spec_index = int(typed.group(2))
        elif kind == "key":
            key_spec_index = self.next_key_spec
        else:
            return Arg(name, kind)
        self.next_key_spec = key_spec_index + 1
        return Arg(name, kind, key_spec_index=key_spec_index)

    def group(self, opener: str, name: str | None) -> Arg:
        """``[...]`` or ``<...>``: one argument, a block or a choice."""
        alternatives = [self.sequence()]
        while self.peek() == "|":
            self.take()
            alternatives.append(self.sequence())
        closer = self.take()
        if closer != _CLOSERS[opener]:
            raise self.fail(f"{opener!r} closed by {closer!r}")
        optional = opener == "["
        if any(not alternative for alternative in alternatives):
            raise self.fail("an empty group or alternative")
        if len(alternatives) > 1:
            if any(len(alternative) > 1 for alternative in alternatives):
                raise self.fail("an alternative of several arguments is a block: give it a name, name:<a b>")
            if name is None:
                raise self.fail("a choice needs a name: name:[A | B]")
            return Arg(name, "oneof", optional=optional, arguments=tuple(each[0] for each in alternatives))
        items = alternatives[0]
        if name is not None:
            return Arg(name, "block", optional=optional, arguments=tuple(items))
        if len(items) > 1:
            raise self.fail("a group of several arguments is a block and needs a name: name:[a b]")
        if optional and items[0].optional:
            raise self.fail(f"{items[0].name!r} is made optional twice")
        return dataclasses.replace(items[0], optional=items[0].optional or optional)
