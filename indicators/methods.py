"""The adoption estimators' names, kept apart from the numerical code so the CLI can offer them
as choices without importing NumPy."""

from __future__ import annotations

import enum


class Method(str, enum.Enum):
    naive = "naive"
    corrected = "corrected"
    calibrated = "calibrated"
