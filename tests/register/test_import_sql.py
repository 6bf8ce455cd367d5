"""The import's batch statements (multi-row inserts with literal constants on SQLite, COPY into
a staging table on PostgreSQL) write every row with its constants, skip conflicting rows like
the row-by-row statement, and refuse to leave a defaulted column unbound."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ecomstat.register.errors import RegisterError
from ecomstat.register.import_sql import ROWS_PER_STATEMENT, batch_statement
from ecomstat.store.models import Website

WEBSITE = Website.__table__


def _skip_conflicts(insert: Any) -> Any:
    return insert.on_conflict_do_nothing(index_elements=[WEBSITE.c.url])


@pytest.mark.parametrize("count", [1, ROWS_PER_STATEMENT, 2 * ROWS_PER_STATEMENT + 23])
def test_batch_statement_writes_every_row_with_its_constants(engine: Engine, count: int) -> None:
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
    rows = [(f"https://www.firm-{i}.de/", f"firm-{i}.de", None) for i in range(count)]
    rows.append(rows[0])  # a conflicting url is skipped, not an error
    with engine.begin() as conn:
        processor = WEBSITE.c.created_at.type.dialect_impl(conn.dialect).bind_processor(
            conn.dialect)
        stored_now = processor(now) if processor is not None else now
        statement = batch_statement(
            conn, WEBSITE, ("url", "domain", "enterprise_id"),
            {"found_by": "o'register", "status": "candidate", "created_at": stored_now},
            _skip_conflicts,
        )
        statement.execute_many(conn, rows)
        stored = conn.execute(
            select(WEBSITE.c.url, WEBSITE.c.domain, WEBSITE.c.found_by, WEBSITE.c.status,
                   WEBSITE.c.created_at).order_by(WEBSITE.c.id)
        ).all()
    assert [(r.url, r.domain) for r in stored] == [(u, d) for u, d, _ in rows[:-1]]
    assert {(r.found_by, r.status) for r in stored} == {("o'register", "candidate")}
    # SQLite gives naive UTC back, PostgreSQL an aware timestamp
    assert {r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=dt.timezone.utc)
            for r in stored} == {now}


def test_batch_statement_refuses_to_leave_a_defaulted_column_unbound(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(RegisterError, match="binds"):
        # `status` and `created_at` have defaults: SQLAlchemy would add parameters for them
        batch_statement(conn, WEBSITE, ("url", "domain"), {"found_by": "register"},
                        _skip_conflicts)
