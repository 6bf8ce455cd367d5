"""Fodors-Zagats restaurant record pairs (Magellan/DeepMatcher benchmark, Ditto serialisation)
as (register record, site facts) pairs, for fitting and evaluating the match scorer.

The file lives in ../shared/data (not shipped); training and benchmarks pass its path.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ecomstat.register.extract import SiteFacts, normalise_phone
from ecomstat.register.features import RegisterRecord
from ecomstat.register.legal_forms import tokens

_DITTO_QUOTES = re.compile(r"[`']|\\ ")


def _clean(value: str) -> str:
    """Undo Ditto's tokenisation: backticks/quotes around values, `\\ 's`."""
    return " ".join(_DITTO_QUOTES.sub(" ", value or "").split())


def record(row: dict[str, str], side: str) -> RegisterRecord:
    return RegisterRecord(id=row.get("id", ""), name=_clean(row[f"{side}_name"]), country="US",
                          address=_clean(row[f"{side}_addr"]), city=_clean(row[f"{side}_city"]),
                          phone=row[f"{side}_phone"])


def site(row: dict[str, str], side: str) -> SiteFacts:
    rec = record(row, side)
    phone = normalise_phone(rec.phone, "US")
    return SiteFacts(
        domain="",
        names=[rec.name],
        phones={phone} if phone else set(),
        legal_text=" ".join(tokens(f"{rec.name} {rec.address} {rec.city}")),  # a record as its page
        addresses=[{"streetAddress": rec.address, "postalCode": "", "addressLocality": rec.city}],
    )


def load_pairs(path: Path) -> list[tuple[str, RegisterRecord, SiteFacts, int]]:
    """(split, left as register record, right as site, gold label) for every pair."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [(r["split"], record(r, "left"), site(r, "right"), int(r["label_match"])) for r in rows]
