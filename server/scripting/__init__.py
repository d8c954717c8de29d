"""Lua scripting (EVAL and SCRIPT): the interpreter and cache (:mod:`.runtime`), the Lua
environment Redis gives scripts (:mod:`.prelude`), the RESP <-> Lua conversions
(:mod:`.convert`) and the serving of other clients while a script is busy (:mod:`.busy`).
The commands are :mod:`..commands.scripting`; docs/scripting.md says what differs from Redis."""
