"""Errors raised by the indicators package (the package's one errors module)."""

from ecomstat.errors import BadInput, EcomstatError


class IndicatorError(EcomstatError):
    """An indicator cannot be computed from what is in the store (exit code 1)."""


class InvalidIndicatorInput(BadInput):
    """The user's indicator input (file, option, audit sample) is invalid; nothing was written."""
