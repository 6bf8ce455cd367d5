"""`register validate` and the worklist at national size on PostgreSQL (issue 15 item 1): no
statement grows with the number of enterprises (PostgreSQL refuses more than 65,535 bind
parameters), enterprises are read in keyset chunks and the worklist is streamed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from ecomstat.register.decisions import decide
from ecomstat.register.report import WorklistFilter, write_report
from ecomstat.register.validation import validate
from ecomstat.store.models import Enterprise, ValidationFinding, Website

N = 70_000  # more than PostgreSQL's 65,535 bind parameters per statement


def _populate(engine: Engine) -> None:
    """70,000 enterprises; each even one has a linked website (no pages: the website finding
    only), each odd one has none (none-found)."""
    enterprises = [{"id": f"E{i:06d}", "name": f"Firma {i} GmbH", "country": "DE", "nace": "47.91",
                    "nace_section": "G", "size_class": "10-49"} for i in range(N)]
    websites = [{"url": f"https://www.firma-{i}.de/", "domain": f"firma-{i}.de", "enterprise_id": f"E{i:06d}",
                 "status": "linked", "found_by": "register", "match_score": 0.9} for i in range(0, N, 2)]
    with engine.begin() as connection:
        for table, rows in ((Enterprise, enterprises), (Website, websites)):
            for start in range(0, len(rows), 10_000):
                connection.execute(insert(table), rows[start:start + 10_000])


@pytest.mark.postgres
@pytest.mark.slow
def test_validate_and_worklist_past_the_bind_parameter_limit(pg_engine: Engine, tmp_path: Path) -> None:
    _populate(pg_engine)
    summary = validate(pg_engine, chunk=5_000)
    assert (summary.enterprises, summary.findings) == (N, N)
    assert summary.verdicts == {"website:confirmed": N // 2, "website:none-found": N // 2}
    decide(pg_engine, "E000001:website", "done", by="clerk")

    again = validate(pg_engine, chunk=5_000)  # in place, decisions kept
    assert (again.findings, again.decided) == (N, 1)
    with Session(pg_engine) as session:
        assert session.scalar(select(func.count()).select_from(ValidationFinding)) == N

    out = tmp_path / "worklist.csv"
    assert write_report(pg_engine, out, worklist_filter=WorklistFilter()) == N // 2 - 1
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == N // 2 - 1 and {r["verdict"] for r in rows} == {"none-found"}
    html = tmp_path / "worklist.html"
    assert write_report(pg_engine, html, worklist_filter=WorklistFilter(include_all=True)) == N
