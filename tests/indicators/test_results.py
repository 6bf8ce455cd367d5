"""The results database: idempotent upserts of indicator_value rows, readable via v_indicator."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import Engine, text

from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.results import IndicatorRecord, breakdown_key, read_values, write_values


def _record(estimate: float, **overrides) -> IndicatorRecord:
    values = dict(indicator="ECOM_WEB_SALES", period="2025", breakdown={"size_class": "10-49"},
                  method="naive", estimate=estimate, se=1.0, ci_low=estimate - 2, ci_high=estimate + 2,
                  cv=0.05, n=120, flags=["low-n"], provenance={"crawl_runs": [3], "audit_set": None})
    values.update(overrides)
    return IndicatorRecord(**values)


def test_breakdown_key_is_canonical() -> None:
    assert breakdown_key({}) == "total"
    assert breakdown_key({"level": "4G", "area": "Mitte"}) == breakdown_key({"area": "Mitte", "level": "4G"})
    assert breakdown_key({"area": "Mitte", "level": "4G"}) == "area=Mitte;level=4G"
    with pytest.raises(InvalidIndicatorInput):
        breakdown_key({"area": "a;b"})


def test_upsert_is_idempotent_and_updates_in_place(engine: Engine) -> None:
    write_values(engine, [_record(20.0), _record(30.0, breakdown={})])
    write_values(engine, [_record(25.0), _record(31.0, breakdown={})])
    values = read_values(engine, indicator="ECOM_WEB_SALES")
    assert len(values) == 2
    by_key = {v.breakdown_key: v for v in values}
    assert by_key["size_class=10-49"].estimate == 25.0
    assert by_key["total"].estimate == 31.0
    # another method is another cell
    write_values(engine, [_record(22.0, method="corrected")])
    assert len(read_values(engine, indicator="ECOM_WEB_SALES")) == 3
    assert [v.estimate for v in read_values(engine, method="corrected")] == [22.0]


def test_values_are_traceable_through_the_view(engine: Engine) -> None:
    write_values(engine, [_record(20.0, se=math.nan)])
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT indicator, breakdown_key, estimate, se, n, method, provenance FROM v_indicator"
        )).one()
    assert row.indicator == "ECOM_WEB_SALES" and row.breakdown_key == "size_class=10-49"
    assert row.estimate == 20.0 and row.se is None  # NaN is stored as NULL, portably
    provenance = row.provenance if isinstance(row.provenance, dict) else __import__("json").loads(row.provenance)
    assert provenance["crawl_runs"] == [3]


def test_a_bad_record_writes_nothing(engine: Engine) -> None:
    with pytest.raises(InvalidIndicatorInput):
        write_values(engine, [_record(20.0), _record(21.0, method="")])
    assert read_values(engine) == []


@pytest.mark.parametrize("period", [None, "", "   "])
def test_blank_period_is_refused_for_every_mobile_indicator(period: str | None) -> None:
    from ecomstat.indicators.results import require_period

    for indicator in ("SDG 9.c.1", "SDG 17.8.1"):
        with pytest.raises(InvalidIndicatorInput, match=f"storing {indicator} values needs"):
            require_period(period, indicator)
    assert require_period(" 2026Q1 ", "SDG 9.c.1") == "2026Q1"
