"""Errors raised by the store."""

from ecomstat.errors import EcomstatError, BadInput


class StoreError(EcomstatError):
    """The database cannot be reached or is not in the expected state."""


class ReadOnlyViolation(BadInput):
    """A statement tried to write through a read-only connection."""


class DatabaseUrlError(BadInput):
    """The database URL is malformed, names a database other than SQLite or PostgreSQL, or
    asks for a driver or connection option that does not exist."""


class DatabaseUnavailable(StoreError):
    """The database named by a well-formed URL cannot be opened: server unreachable, unknown
    database or role, authentication refused, or (SQLite) no file at that path."""


class SchemaMismatch(StoreError):
    """The database's schema revision is not the one this ecomstat was written for (older:
    run `ecomstat db upgrade`; newer: upgrade ecomstat), or there is no schema at all."""
