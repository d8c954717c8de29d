"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (on string values)."""
