"""v_enterprise_web at national size: the view's per-row lookups go through indexes.

The view finds each website's latest crawl wave with a correlated subquery on site_visit
(revision 0005, `store/views.py`). Without an index that leads with website_id, PostgreSQL
scanned the whole of site_visit once per enterprise: at 100,000 enterprises one FETCH of 5,000
rows took 20.7 s (Seq Scan on site_visit, 50,000 rows removed per loop; bench/README.md,
"National rehearsal on PostgreSQL"); with ix_site_visit_website_run it takes 2.1 s and the
whole export 9 s. A server without statistics (autovacuum off, no ANALYZE since the bulk load:
what the rehearsal and a fresh office database see) is the case that picked the scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

N = 5_000  # websites (and enterprises); two crawl runs -> 10,000 site visits

FILL = [
    "INSERT INTO enterprise (id, name, country, nace, updated_at) "
    "SELECT 'E' || g, 'Firma ' || g, 'DE', '47.91', now() FROM generate_series(1, :n) g",
    "INSERT INTO website (id, url, domain, enterprise_id, status, created_at) "
    "SELECT g, 'https://www.f' || g || '.test/', 'f' || g || '.test', 'E' || g, 'verified', now() "
    "FROM generate_series(1, :n) g",
    "INSERT INTO crawl_run (id, spider, status, started_at, sites_total, sites_done, pages, wave) "
    "VALUES (1, 'enterprise_site', 'finished', now(), :n, :n, :n, '2026Q3'), "
    "(2, 'enterprise_site', 'finished', now(), :n, :n, :n, '2026Q4')",
    "INSERT INTO site_visit (run_id, website_id, state, pages) "
    "SELECT r, g, 'done', 1 FROM generate_series(1, 2) r, generate_series(1, :n) g",
]


def test_latest_visit_index_exists_after_upgrade(engine: Engine) -> None:
    """`db upgrade` gives SQLite and PostgreSQL the index the view's latest-visit lookup uses
    (and test_migrations checks that models.py declares the same)."""
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("site_visit")}
    assert indexes.get("ix_site_visit_website_run") == ["website_id", "run_id"]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _site_visit_scans(engine: Engine) -> list[str]:
    """Node types of every plan node that reads site_visit in the view's plan."""
    with engine.connect() as connection:
        plan = connection.execute(text("EXPLAIN (FORMAT JSON) SELECT * FROM v_enterprise_web")
                                  ).scalar_one()
    return [node["Node Type"] for node in _nodes(plan[0]["Plan"])
            if node.get("Relation Name") == "site_visit"]


@pytest.mark.postgres
def test_view_reads_latest_visit_by_index_with_and_without_statistics(pg_engine: Engine) -> None:
    with pg_engine.begin() as connection:
        for sql in FILL:
            connection.execute(text(sql), {"n": N})
    without_statistics = _site_visit_scans(pg_engine)
    with pg_engine.begin() as connection:
        connection.execute(text("ANALYZE site_visit"))
        connection.execute(text("ANALYZE website"))
        connection.execute(text("ANALYZE crawl_run"))
    with_statistics = _site_visit_scans(pg_engine)
    for scans in (without_statistics, with_statistics):
        assert scans, "the view no longer reads site_visit: revisit this test"
        assert "Seq Scan" not in scans, f"site_visit scanned per enterprise: {scans}"

    with pg_engine.connect() as connection:
        waves = dict(connection.execute(text(
            "SELECT wave, COUNT(*) FROM v_enterprise_web GROUP BY wave")).all())
    assert waves == {"2026Q4": N}  # the latest run's wave for every site
