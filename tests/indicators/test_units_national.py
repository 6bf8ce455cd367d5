"""`indicators build` reading a national store on PostgreSQL: 70,000 enterprises with linked,
crawled and labelled websites are read in fixed-size fetches (a server-side cursor), and the
units, states and labels come out right."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert

from ecomstat.indicators import units as units_module
from ecomstat.indicators.units import STATE_FOUND, STATE_NONE, Scope, load_units
from ecomstat.store.models import Classification, Enterprise, Model, Page, Website

N = 70_000


def _populate(engine: Engine) -> None:
    """Every enterprise in scope; even ones have a linked, crawled website; a third of those
    sell online."""
    enterprises = [{"id": f"E{i:06d}", "name": f"Firma {i}", "country": "DE", "nace": "47.91",
                    "employees": 20, "region": f"DE{i % 9 + 1}"} for i in range(N)]
    sites = [{"id": i + 1, "url": f"https://www.firma-{i}.de/", "domain": f"firma-{i}.de",
              "enterprise_id": f"E{i:06d}", "status": "linked", "found_by": "register"}
             for i in range(0, N, 2)]
    pages = [{"website_id": s["id"], "url": s["url"], "outcome": "ok", "depth": 0} for s in sites]
    labels = [{"target_type": "website", "target_id": str(s["id"]), "task": task,
               "label": "yes" if task == "web_sales" and s["id"] % 3 == 0 else "no",
               "model_id": 1, "model_version": "1", "evidence": []}
              for s in sites for task in ("web_sales", "marketplace", "social_media")]
    with engine.begin() as connection:
        connection.execute(insert(Model), [{"id": 1, "kind": "ecommerce", "name": "m",
                                            "version": "1", "metrics": {}}])
        for table, rows in ((Enterprise, enterprises), (Website, sites), (Page, pages),
                            (Classification, labels)):
            for start in range(0, len(rows), 10_000):
                connection.execute(insert(table), rows[start:start + 10_000])


@pytest.mark.postgres
@pytest.mark.slow
def test_units_of_70000_enterprises_read_in_fetches(pg_engine: Engine,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _populate(pg_engine)
    monkeypatch.setattr(units_module, "FETCH_ROWS", 7_000)  # ten fetches of the enterprises
    units = load_units(pg_engine, Scope(min_employees=10, nace="all"))
    assert len(units) == N
    found = units.state == STATE_FOUND
    assert int(found.sum()) == N // 2 and int((units.state == STATE_NONE).sum()) == N // 2
    sells = units.labels["web_sales"][found]
    assert int(sells.sum()) == len([i for i in range(1, N + 1, 2) if i % 3 == 0])
    assert units.categories["region"] == [f"DE{k}" for k in range(1, 10)]
    assert units.provenance["models"] == ["marketplace:m:1", "social_media:m:1", "web_sales:m:1"]
