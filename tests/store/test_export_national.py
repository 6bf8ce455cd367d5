"""`ecomstat export` of a national table on PostgreSQL: 70,000 enterprises stream to CSV and
Parquet through a server-side cursor, FETCH_BATCH rows at a time, in memory that does not grow
with the table."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from ecomstat.store.models import Enterprise
from ecomstat.store.query import export_relation

N = 70_000


@pytest.mark.postgres
@pytest.mark.slow
def test_export_70000_enterprises_in_bounded_memory(pg_engine: Engine, tmp_path: Path) -> None:
    rows = [{"id": f"E{i:06d}", "name": f"Firma {i} GmbH " + "x" * 200, "country": "DE",
             "nace": "47.91", "employees": i % 500} for i in range(N)]
    with pg_engine.begin() as connection:
        for start in range(0, N, 10_000):
            connection.execute(insert(Enterprise), rows[start:start + 10_000])
    del rows
    url = pg_engine.url.render_as_string(hide_password=False)
    tracemalloc.start()
    try:
        count = export_relation(url, "enterprise", "csv", tmp_path / "enterprise.csv")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == N
    # the table is ~17 MB of text; holding it as Python rows would be several times that
    assert peak < 12 * 2**20, f"{peak / 2**20:.1f} MB"
    with (tmp_path / "enterprise.csv").open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == N and lines[-1]["id"] == f"E{N - 1:06d}"

    assert export_relation(url, "v_enterprise_web", "parquet", tmp_path / "web.parquet") == N
