"""Redis 7.0 functions: the libraries loaded in the functions' interpreter, by library and by function.

A library is data (:class:`pypika_store.functions.FunctionLibraries` keeps its code in LMDB
and logs its changes); this module is what the server makes of it: its code compiled and run
once in the functions' Lua interpreter (:meth:`.runtime.Scripting._load_library`), the
functions it registered, and the rules Redis checks when a library is loaded, replaced,
deleted or restored (metadata line, names, collisions), with Redis' error texts. The libraries
are read from LMDB on first use, so at start and after a full sync replaced the data.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from pypika_store.errors import (CommandError, InvalidLibraryMetadataError, InvalidLibraryNameError,
                                 LibraryNameMissingError, LibraryNameRepeatedError, LibraryNotFoundError,
                                 MissingLibraryMetadataError, NoFunctionsRegisteredError, function_exists,
                                 invalid_metadata_value, library_exists, library_exists_on_restore,
                                 unknown_function_engine)
from pypika_store.functions import FunctionLibraries

log = logging.getLogger(__name__)

#: The one engine (FUNCTION LIST's and STATS' name for it).
ENGINE = b"LUA"
_SHEBANG = b"#!"
_NAME_OPTION = b"name="
_VALID_NAME = re.compile(rb"[A-Za-z0-9_]+\Z")


@dataclass
class Function:
    """A registered function: its library, its Lua callback, flags and description."""

    name: bytes
    library: "Library"
    callback: Any
    flags: frozenset[str]
    description: bytes | None


@dataclass
class Library:
    """A loaded library: its code and its functions (by name: ``f`` and ``F`` are two here,
    one to FCALL, whose lookup ignores case, as Redis' does)."""

    name: bytes
    code: bytes
    functions: dict[bytes, Function] = field(default_factory=dict)


def library_name(code: bytes) -> bytes:
    """The library name of a library's metadata line (``#!lua name=<lib>``), checked as Redis
    checks it: the options first, then the name, then the engine."""
    if not code.startswith(_SHEBANG):
        raise MissingLibraryMetadataError()
    line_end = code.find(b"\n")
    if line_end < 0:
        raise InvalidLibraryMetadataError()
    parts = code[:line_end].split()
    name = None
    for part in parts[1:]:
        if not part.startswith(_NAME_OPTION):
            raise invalid_metadata_value(part)
        if name is not None:
            raise LibraryNameRepeatedError()
        name = part[len(_NAME_OPTION):]
    if name is None:
        raise LibraryNameMissingError()
    if not _VALID_NAME.match(name):
        raise InvalidLibraryNameError()
    engine = parts[0][len(_SHEBANG):]
    if engine.upper() != ENGINE:
        raise unknown_function_engine(engine)
    return name


class Functions:
    """The loaded libraries and their functions (all of them, whichever library)."""

    def __init__(self, store: FunctionLibraries, load_code: Callable[[bytes], Any]) -> None:
        self._store = store
        #: Runs a library's code in the functions' interpreter, giving its registrations.
        self._load_code = load_code
        self._libraries: dict[bytes, Library] | None = None
        self._functions: dict[bytes, Function] = {}

    def libraries(self) -> dict[bytes, Library]:
        """The libraries by name, read from LMDB and compiled on first use."""
        if self._libraries is None:
            self._libraries, self._functions = {}, {}
            for name, code in self._store.codes().items():
                try:
                    self._add(self._compile(name, code))
                except CommandError as exc:  # a library written by a newer or broken server
                    log.error("function library %r not loaded: %s", name, exc)
        return self._libraries

    def reset(self) -> None:
        """Forget what is compiled: the next use reads the libraries again."""
        self._libraries, self._functions = None, {}

    def find(self, name: bytes) -> Function | None:
        """The function of a name, in any letter case (Redis' function names ignore case)."""
        self.libraries()
        return self._functions.get(name.lower())

    @property
    def function_count(self) -> int:
        self.libraries()
        return len(self._functions)

    def code_size(self) -> int:
        """Bytes of the libraries' code (INFO's used_memory_functions)."""
        return sum(len(library.code) for library in self.libraries().values())

    # -- changes -------------------------------------------------------------------------------

    def load(self, code: bytes, replace: bool) -> bytes:
        """FUNCTION LOAD: compile and add (or replace) a library; its name."""
        name = library_name(code)
        libraries = self.libraries()
        if name in libraries and not replace:
            raise library_exists(name)
        self._join([self._compile(name, code)])
        return name

    def delete(self, name: bytes) -> None:
        library = self.libraries().get(name)
        if library is None:
            raise LibraryNotFoundError()
        self._remove(library)
        self._store.delete(name)

    def flush(self) -> None:
        self.libraries()
        self._libraries, self._functions = {}, {}
        self._store.clear()

    def restore(self, codes: list[bytes], policy: bytes) -> None:
        """FUNCTION RESTORE of a payload's libraries, under its policy (FLUSH, APPEND,
        REPLACE); nothing changes when it fails."""
        restored: dict[bytes, Library] = {}
        names: set[bytes] = set()
        for code in codes:
            name = library_name(code)
            if name in restored:
                raise library_exists(name)
            library = restored[name] = self._compile(name, code)
            for function_name in library.functions:
                if function_name.lower() in names:
                    raise function_exists(function_name)
                names.add(function_name.lower())
        if policy == b"FLUSH":
            self.flush()
        elif policy == b"APPEND":
            clash = next((name for name in restored if name in self.libraries()), None)
            if clash is not None:
                raise library_exists_on_restore(clash)
        self._join(list(restored.values()))

    def _join(self, libraries: list[Library]) -> None:
        """Add ``libraries``, replacing those of the same names; a function name another
        library has is refused before anything changes."""
        current = self.libraries()
        for library in libraries:
            for function_name in library.functions:
                other = self._functions.get(function_name.lower())
                if other is not None and other.library.name != library.name:
                    raise function_exists(function_name)
        for library in libraries:
            old = current.get(library.name)
            if old is not None:
                self._remove(old)
            self._add(library)
            self._store.save(library.name, library.code)

    def _add(self, library: Library) -> None:
        assert self._libraries is not None
        self._libraries[library.name] = library
        self._functions.update((name.lower(), function) for name, function in library.functions.items())

    def _remove(self, library: Library) -> None:
        assert self._libraries is not None
        del self._libraries[library.name]
        for function_name in library.functions:
            self._functions.pop(function_name.lower(), None)

    def _compile(self, name: bytes, code: bytes) -> Library:
        """Run the library's code (its metadata line left empty, so line numbers stay the
        code's); the library with the functions it registered."""
        registered = self._load_code(code[code.index(b"\n"):])
        library = Library(name, code)
        for function_name in registered[b"names"].values():
            entry = registered[function_name]
            flags = frozenset(flag.decode() for flag in entry[b"flags"].values())
            library.functions[function_name] = Function(function_name, library, entry[b"callback"], flags,
                                                        entry[b"description"])
        if not library.functions:
            raise NoFunctionsRegisteredError()
        return library
