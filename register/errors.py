"""Errors of the register package (import, discovery, matching, validation)."""

from ecomstat.errors import BadInput, EcomstatError


class RegisterError(EcomstatError):
    """A register operation failed."""


class InvalidRegister(BadInput):
    """The register file or a register row is invalid; nothing was written."""


class SearchError(RegisterError):
    """The web-search provider failed (authentication, quota, server error)."""


class InvalidCandidateInput(BadInput):
    """A candidates/discovery input file is invalid."""


class InvalidMatchModel(BadInput):
    """A match model file (`register match --model`) is unreadable or not a match model."""


class InvalidRows(InvalidRegister):
    """Rows of a register file failed validation. `problems` holds the first ones (already
    formatted `file, line N, column C: message`), `total` how many there were in all."""

    def __init__(self, message: str, problems: list[str], total: int) -> None:
        super().__init__(message)
        self.problems = problems
        self.total = total


class InvalidMapping(InvalidRegister):
    """A column-mapping file (TOML) is unreadable or names unknown columns."""


class SnapshotLabelTaken(InvalidRegister):
    """`--snapshot LABEL` names a register snapshot that already exists."""
