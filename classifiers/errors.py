"""The classifiers package's one errors module (see ecomstat.errors for the hierarchy)."""

from __future__ import annotations

from ecomstat.errors import BadInput, EcomstatError


class ClassifierError(EcomstatError):
    """Base class for errors raised by the classifiers."""


class ModelFileError(BadInput):
    """A model file is missing, unreadable, or not a model this code understands."""


class ModelNotFound(BadInput):
    """No model with the requested name exists (shipped, in the data dir, or in the store)."""


class TrainingDataError(BadInput):
    """Labelled training data is missing, malformed, or too small to train on."""


class PageInputError(BadInput):
    """A page to classify cannot be read (missing file, unreachable URL, not HTML)."""
