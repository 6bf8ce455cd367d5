"""File formats `ecomstat export` writes; a light module so the CLI can offer them as choices."""

from __future__ import annotations

import enum


class ExportFormat(str, enum.Enum):
    csv = "csv"
    json = "json"
    parquet = "parquet"
