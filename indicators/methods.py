"""The adoption estimators' names, kept apart from the numerical code so the CLI can offer them
as choices without importing NumPy."""

from __future__ import annotations

import enum


class Method(str, enum.Enum):
    naive = "naive"
    corrected = "corrected"
    calibrated = "calibrated"


# Which estimate to show when a cell was built with several methods: the one that uses the
# most information (calibration to register totals, then misclassification correction).
PREFERENCE: tuple[str, ...] = (Method.calibrated.value, Method.corrected.value, Method.naive.value)

# Survey estimates stored next to the web-based values (`indicators compare --store`); never
# taken as a web-based value.
SURVEY_METHOD = "survey"
