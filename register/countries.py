"""ISO 3166-1 alpha-2 country codes (shipped in register/data/iso3166_alpha2.csv)."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

# Codes that registers use but ISO 3166-1 does not assign: say what to write instead.
NON_ISO_HINTS = {
    "EL": "Eurostat's EL is ISO GR",
    "UK": "ISO's code for the United Kingdom is GB",
}


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> usual English name (249 codes)."""
    path = resources.files("ecomstat.register").joinpath("data/iso3166_alpha2.csv")
    rows = csv.DictReader(path.read_text(encoding="utf-8").splitlines())
    return {row["code"]: row["name"] for row in rows}
