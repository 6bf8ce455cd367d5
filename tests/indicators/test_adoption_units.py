"""Reading the units from the store: scope, best website, website state, latest labels."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.units import (
    STATE_FOUND, STATE_NONE, STATE_NOT_CRAWLED, STATE_UNREACHABLE, Scope, in_eurostat_scope,
    load_units, nace_section,
)
from ecomstat.store.engine import transaction
from ecomstat.store.models import Classification, Enterprise, Model, Page, Website


def _enterprise(eid: str, nace: str, employees: int | None = 20, size: str | None = None, **kw) -> Enterprise:
    return Enterprise(id=eid, name=eid, country="DE", nace=nace, employees=employees, size_class=size, **kw)


def test_nace_sections_and_eurostat_scope() -> None:
    assert nace_section("47.91") == "G" and nace_section("4791") == "G" and nace_section("C") == "C"
    assert nace_section("95.11") == "S" and nace_section("") is None
    assert in_eurostat_scope("95.12", "S") and not in_eurostat_scope("95.21", "S")
    assert not in_eurostat_scope("64.19", "K") and in_eurostat_scope("68.10", "L")
    assert in_eurostat_scope("74.10", "M") and not in_eurostat_scope("75.00", "M")
    with pytest.raises(InvalidIndicatorInput):
        Scope(nace="everything")


def test_units_scope_website_state_and_latest_label(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add_all([
            _enterprise("found", "47.91"),
            _enterprise("dead-and-found", "25.11", employees=None, size="50-249"),
            _enterprise("dead", "62.01", employees=300),
            _enterprise("uncrawled", "43.21"),
            _enterprise("none", "56.10", region="R9"),
            _enterprise("repair", "95.11"),
            _enterprise("micro", "47.91", employees=5),
            _enterprise("bank", "64.19"),
            _enterprise("hairdresser", "96.02"),
        ])
        session.flush()
        session.add_all([
            Website(id=1, url="https://a.test/", domain="a.test", enterprise_id="found", status="linked", match_score=0.4),
            Website(id=2, url="https://a2.test/", domain="a2.test", enterprise_id="found", status="candidate", match_score=0.9),
            Website(id=3, url="https://b.test/", domain="b.test", enterprise_id="dead-and-found", status="dead"),
            Website(id=4, url="https://b2.test/", domain="b2.test", enterprise_id="dead-and-found", status="verified", match_score=0.2),
            Website(id=5, url="https://c.test/", domain="c.test", enterprise_id="dead", status="unreachable"),
            Website(id=6, url="https://d.test/", domain="d.test", enterprise_id="uncrawled", status="linked"),
            Website(id=7, url="https://e.test/", domain="e.test", enterprise_id="none", status="parked"),
            Website(id=8, url="https://f.test/", domain="f.test", enterprise_id="repair", status="rejected"),
        ])
        session.flush()
        session.add_all([Page(website_id=w, url=f"https://p{w}.test/", outcome="ok") for w in (1, 2, 4)])
        session.add(Page(website_id=3, url="https://p3.test/", outcome="dns-failure"))
        model = Model(name="m", version="2", kind="ecommerce")
        session.add(model)
        session.flush()
        # site 1: an older "no" then a newer "yes" -> yes; site 2 says yes but is not the best site
        session.add_all([
            Classification(target_type="website", target_id="1", task="web_sales", label="no", model_id=model.id),
            Classification(target_type="website", target_id="2", task="web_sales", label="no", model_id=model.id),
            Classification(target_type="website", target_id="4", task="web_sales", label="yes", model_id=model.id),
        ])
        session.flush()
        session.add_all([
            Classification(target_type="website", target_id="1", task="web_sales", label="yes", model_version="m:3"),
            Classification(target_type="page", target_id="1", task="web_sales", label="no"),
        ])

    units = load_units(engine)
    by_id = {eid: i for i, eid in enumerate(units.enterprise_id)}
    assert set(by_id) == {"found", "dead-and-found", "dead", "uncrawled", "none", "repair"}
    state = {eid: int(units.state[i]) for eid, i in by_id.items()}
    assert state == {"found": STATE_FOUND, "dead-and-found": STATE_FOUND, "dead": STATE_UNREACHABLE,
                     "uncrawled": STATE_NOT_CRAWLED, "none": STATE_NONE, "repair": STATE_NONE}
    web_sales = {eid: int(units.labels["web_sales"][i]) for eid, i in by_id.items()}
    assert web_sales == {"found": 1, "dead-and-found": 1, "dead": 0, "uncrawled": 0, "none": 0, "repair": 0}
    sizes = dict(zip(units.enterprise_id, units.size_class))
    assert sizes["dead-and-found"] == "50-249" and sizes["dead"] == "250+" and sizes["found"] == "10-49"
    assert dict(zip(units.enterprise_id, units.region))["none"] == "R9"
    assert units.provenance["website_state"] == {"none": 2, "found": 2, "unreachable": 1, "not-crawled": 1}
    assert "web_sales:m:2" in units.provenance["models"]

    everything = load_units(engine, Scope(min_employees=0, nace="all"))
    assert len(everything) == 9
