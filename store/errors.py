"""Errors raised by the store."""

from ecomstat.errors import EcomstatError, BadInput


class StoreError(EcomstatError):
    """The database cannot be reached or is not in the expected state."""


class ReadOnlyViolation(BadInput):
    """A statement tried to write through a read-only connection."""
