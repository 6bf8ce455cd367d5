"""`register discover` at national size on PostgreSQL: the enterprises are read, guessed,
probed and stored a chunk at a time, and no statement grows with the register.

Before: every enterprise (and all its candidates) was loaded at once and probed in ONE
url_probe crawl, and `--id` became one `IN (...)` list, which PostgreSQL refuses past 65,535
bind parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from ecomstat.register.discover import CHUNK, ProbeResult, discover
from ecomstat.settings import Settings
from ecomstat.store.models import Enterprise, Website

N = 70_000  # more than PostgreSQL's 65,535 bind parameters per statement
SETTINGS = Settings({"ECOMSTAT_HOST_MAP": ""}, environ={})


def _populate(engine: Engine, without_site: int) -> None:
    """N enterprises; all but the last `without_site` already have a linked website."""
    enterprises = [{"id": f"E{i:06d}", "name": f"Firma {i} GmbH", "country": "DE",
                    "nace": "47.91"} for i in range(N)]
    websites = [{"url": f"https://www.firma-{i}.de/", "domain": f"firma-{i}.de",
                 "enterprise_id": f"E{i:06d}", "status": "linked", "found_by": "register"}
                for i in range(N - without_site)]
    with engine.begin() as connection:
        for table, rows in ((Enterprise, enterprises), (Website, websites)):
            for start in range(0, len(rows), 10_000):
                connection.execute(insert(table), rows[start:start + 10_000])


class Prober:
    """Stands in for the url_probe crawl: `firma{i}.de` answers for every i divisible by 1000;
    records the size of each call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, tasks: Sequence[dict[str, Any]], settings: Settings) -> dict[str, ProbeResult]:
        self.calls.append(len(tasks))
        out = {}
        for task in tasks:
            key = task["key"]
            number = key.removeprefix("firma").removesuffix(".de")
            if key.startswith("firma") and number.isdigit() and int(number) % 1000 == 0:
                out[key] = ProbeResult(key, task["urls"][0], "ok", 200, f"https://www.{key}/",
                                       "Firma", "Firma GmbH, Impressum")
            else:
                out[key] = ProbeResult(key, task["urls"][0], "dns-failure")
        return out


@pytest.mark.postgres
@pytest.mark.slow
def test_discover_with_70000_ids_checks_and_reads_them_in_chunks(pg_engine: Engine) -> None:
    _populate(pg_engine, without_site=3)
    prober = Prober()
    ids = [f"E{i:06d}" for i in range(N)]
    summary = discover(pg_engine, SETTINGS, prober=prober, enterprise_ids=ids)
    assert summary.enterprises == 3  # the others have a linked website
    assert len(prober.calls) == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_discover_over_70000_enterprises_probes_a_chunk_at_a_time(pg_engine: Engine) -> None:
    _populate(pg_engine, without_site=N)
    prober = Prober()
    summary = discover(pg_engine, SETTINGS, prober=prober)
    assert summary.enterprises == N
    assert len(prober.calls) == -(-N // CHUNK)  # one crawl per chunk, none holds the register
    assert max(prober.calls) <= CHUNK * 20
    assert summary.found == N // 1000
    with Session(pg_engine) as session:
        verified = session.scalars(select(Website.url).where(Website.status == "verified")
                                   .order_by(Website.url)).all()
        stored = session.scalar(select(func.count()).select_from(Website))
    assert verified[:2] == ["https://www.firma0.de/", "https://www.firma1000.de/"]
    assert len(verified) == N // 1000 and stored == N // 1000
