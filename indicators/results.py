"""The results database: write and read `indicator_value` rows.

Every indicator (e-commerce adoption, SDG 9.c.1, SDG 17.8.1) goes through here, so that one
table, one natural key and one view (`v_indicator`) hold all published numbers. A row is keyed
by (indicator, period, breakdown_key, method); writing the same cell again replaces it, so a
re-run is idempotent and never duplicates a value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.store.engine import transaction
from ecomstat.store.models import IndicatorValue

TOTAL_KEY = "total"
_BATCH = 500


def breakdown_key(breakdown: Mapping[str, Any]) -> str:
    """Canonical text of a breakdown: `total` for none, else sorted `key=value` joined by `;`.

    Sorted keys make {"a":1,"b":2} and {"b":2,"a":1} the same cell (the natural key)."""
    if not breakdown:
        return TOTAL_KEY
    for name, value in breakdown.items():
        if any(ch in f"{name}{value}" for ch in ";="):
            raise InvalidIndicatorInput(f"breakdown {name}={value!r} may not contain ';' or '='")
    return ";".join(f"{name}={breakdown[name]}" for name in sorted(breakdown))


def require_period(period: str | None, indicator: str) -> str:
    """The reference period to store `indicator` values under, stripped; refused when blank."""
    if not period or not period.strip():
        raise InvalidIndicatorInput(f"storing {indicator} values needs a --period")
    return period.strip()


def _number(value: float | None) -> float | None:
    """NaN/inf are not portable across databases (and mean 'undefined'): store NULL."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass
class IndicatorRecord:
    """One indicator value in the store's shape (what `v_indicator` shows)."""

    indicator: str
    period: str
    breakdown: dict[str, Any]
    method: str
    estimate: float | None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    cv: float | None = None
    n: int | None = None
    flags: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None

    @property
    def breakdown_key(self) -> str:
        return breakdown_key(self.breakdown)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["breakdown_key"] = self.breakdown_key
        return data


def _row(record: IndicatorRecord) -> dict[str, Any]:
    if not record.indicator or not record.period or not record.method:
        raise InvalidIndicatorInput("an indicator value needs indicator, period and method")
    return {
        "indicator": record.indicator,
        "period": record.period,
        "breakdown": dict(record.breakdown),
        "breakdown_key": record.breakdown_key,
        "method": record.method,
        "estimate": _number(record.estimate),
        "se": _number(record.se),
        "ci_low": _number(record.ci_low),
        "ci_high": _number(record.ci_high),
        "cv": _number(record.cv),
        "n": None if record.n is None else int(record.n),
        "flags": list(record.flags),
        "provenance": dict(record.provenance),
        "created_at": dt.datetime.now(dt.timezone.utc),
    }


def write_values(engine: Engine, records: Iterable[IndicatorRecord]) -> int:
    """Upsert `records` in one transaction (all or nothing); returns the number written.

    The cell key is (indicator, period, breakdown_key, method): an existing cell is updated in
    place, so building the same indicators twice leaves one row per cell."""
    rows = [_row(record) for record in records]
    if not rows:
        return 0
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    key = ["indicator", "period", "breakdown_key", "method"]
    with transaction(engine) as session:
        for start in range(0, len(rows), _BATCH):
            statement = dialect.insert(IndicatorValue).values(rows[start : start + _BATCH])
            updated = {
                name: statement.excluded[name]
                for name in rows[0]
                if name not in key
            }
            session.execute(statement.on_conflict_do_update(index_elements=key, set_=updated))
    return len(rows)


def read_values(
    engine: Engine,
    *,
    indicator: str | Sequence[str] | None = None,
    period: str | None = None,
    method: str | None = None,
) -> list[IndicatorRecord]:
    """Indicator values, optionally filtered, ordered by indicator, period, method, breakdown."""
    query = select(IndicatorValue)
    if indicator is not None:
        codes = [indicator] if isinstance(indicator, str) else list(indicator)
        query = query.where(IndicatorValue.indicator.in_(codes))
    if period is not None:
        query = query.where(IndicatorValue.period == period)
    if method is not None:
        query = query.where(IndicatorValue.method == method)
    query = query.order_by(
        IndicatorValue.indicator,
        IndicatorValue.period,
        IndicatorValue.method,
        IndicatorValue.breakdown_key,
    )
    with transaction(engine) as session:
        return [
            IndicatorRecord(
                indicator=row.indicator,
                period=row.period,
                breakdown=dict(row.breakdown or {}),
                method=row.method,
                estimate=row.estimate,
                se=row.se,
                ci_low=row.ci_low,
                ci_high=row.ci_high,
                cv=row.cv,
                n=row.n,
                flags=list(row.flags or []),
                provenance=dict(row.provenance or {}),
                created_at=row.created_at,
            )
            for row in session.scalars(query)
        ]
