"""Storage: the LMDB environment and the byte layout of records inside it."""
