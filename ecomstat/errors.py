"""The exception hierarchy shared by every ecomstat package.

The CLI turns an `EcomstatError` into one line on stderr; `BadInput` (the user's file, argument
or configuration is wrong) exits with code 2, other ecomstat errors with code 1.
"""


class EcomstatError(Exception):
    """Base class for errors ecomstat reports to the user as one line."""

    exit_code = 1


class BadInput(EcomstatError):
    """The user's input (file, argument, setting) is invalid; nothing was written."""

    exit_code = 2


class ConfigurationError(BadInput):
    """A setting has an invalid value."""
