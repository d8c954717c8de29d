"""Turn a compiled Lua 5.1 script's tail calls into plain calls, so library errors keep their
position.

Redis' libraries are C functions: ``return cjson.decode(x)`` calls them without losing the
script's frame, and their errors read ``user_script:1: ...``. Ours are Lua functions, and Lua 5.1
replaces the caller's frame on a tail call, so the same error would carry no position (and
``redis.pcall``-style error handlers would find no script line). :func:`without_tail_calls`
rewrites a ``string.dump`` image of a compiled chunk, changing every ``TAILCALL`` instruction to
``CALL``: Lua 5.1 always compiles ``return f(...)`` as ``TAILCALL A B 0`` followed by
``RETURN A 0``, and ``CALL A B 0`` then ``RETURN A 0`` returns exactly the same values. The only
observable change is that a tail-recursive script now uses one call frame per level (Lua's limit
is about 20000), where Redis' would run in constant stack.

Usage (the scripting code, with ``string.dump`` and ``loadstring`` captured before the sandbox)::

    compiled = loadstring(source, "@user_script")
    compiled = loadstring(without_tail_calls(string_dump(compiled)), "@user_script")
"""

from __future__ import annotations

import struct

_SIGNATURE = b"\x1bLua\x51\x00"
_OPCODE_MASK = 0x3F
_OP_CALL, _OP_TAILCALL = 28, 29
_CONSTANT_NIL, _CONSTANT_BOOLEAN, _CONSTANT_NUMBER, _CONSTANT_STRING = 0, 1, 3, 4


class _Chunk:
    """A cursor over a binary chunk with the sizes its header declares."""

    def __init__(self, image: bytearray) -> None:
        if not image.startswith(_SIGNATURE) or len(image) < 12:
            raise ValueError("not a Lua 5.1 binary chunk")
        self.image = image
        self.order = "<" if image[6] == 1 else ">"
        self.int_size, self.size_t_size, self.instruction_size, self.number_size = image[7:11]
        self.position = 12

    def integer(self, size: int) -> int:
        value = int.from_bytes(self.image[self.position:self.position + size],
                               "little" if self.order == "<" else "big")
        self.position += size
        return value

    def skip_string(self) -> None:
        length = self.integer(self.size_t_size)
        self.position += length

    def patch_function(self) -> None:
        self.skip_string()                              # source
        self.position += 2 * self.int_size + 4          # line range, upvalues, parameters, vararg, stack
        self.patch_code(self.integer(self.int_size))
        for _ in range(self.integer(self.int_size)):    # constants
            kind = self.image[self.position]
            self.position += 1
            if kind == _CONSTANT_BOOLEAN:
                self.position += 1
            elif kind == _CONSTANT_NUMBER:
                self.position += self.number_size
            elif kind == _CONSTANT_STRING:
                self.skip_string()
            elif kind != _CONSTANT_NIL:
                raise ValueError(f"unknown constant type {kind}")
        for _ in range(self.integer(self.int_size)):    # nested functions
            self.patch_function()
        line_count = self.integer(self.int_size)      # line info
        self.position += self.int_size * line_count
        for _ in range(self.integer(self.int_size)):    # local variables
            self.skip_string()
            self.position += 2 * self.int_size
        for _ in range(self.integer(self.int_size)):    # upvalue names
            self.skip_string()

    def patch_code(self, count: int) -> None:
        layout = self.order + "I"
        for _ in range(count):
            (instruction,) = struct.unpack_from(layout, self.image, self.position)
            if instruction & _OPCODE_MASK == _OP_TAILCALL:
                struct.pack_into(layout, self.image, self.position,
                                 (instruction & ~_OPCODE_MASK) | _OP_CALL)
            self.position += self.instruction_size


def without_tail_calls(chunk: bytes) -> bytes:
    """``chunk`` (from ``string.dump``) with every tail call, in every nested function, made a call."""
    cursor = _Chunk(bytearray(chunk))
    if cursor.instruction_size != 4:
        raise ValueError("unsupported instruction size")
    cursor.patch_function()
    return bytes(cursor.image)
