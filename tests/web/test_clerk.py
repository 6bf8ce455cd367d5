"""The register clerks' pages (issue 18 item 4) against the real application over the demo
database: a clerk rejects a finding with the keyboard and it stays gone after the next
validation; manual links; filters and SQL paging; what an economist is refused."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from web_kit import WebDemo, csrf_of, http_login

from ecomstat.errors import BadInput
from ecomstat.register import decisions
from ecomstat.register.report import WorklistFilter, rows
from ecomstat.register.validation import validate
from ecomstat.store import make_engine, transaction
from ecomstat.web import clerk_data
from ecomstat.store.models import (Enterprise, RegisterDecision, ValidationFinding, ValidationWave,
                                   Website)

SUMMARY = re.compile(r'id="w-summary">([\d,]+) finding')


@pytest.fixture
def own_demo(web_demo: WebDemo, web_users: Any, tmp_path: Any) -> WebDemo:
    return web_demo.copy(tmp_path)


@pytest.fixture
def own_engine(own_demo: WebDemo) -> Iterator[Any]:
    engine = make_engine(own_demo.db_url, create=False)
    yield engine
    engine.dispose()


@contextlib.contextmanager
def _client(base_url: str, user: Any) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=base_url, timeout=60)
    assert http_login(client, base_url, user.name, user.password).status_code == 303
    try:
        yield client
    finally:
        client.close()


def _post(client: httpx.Client, path: str, data: dict[str, Any]) -> httpx.Response:
    token = csrf_of(client.get("/").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _total(html: str) -> int:
    found = SUMMARY.search(html)
    assert found, "no worklist summary on the page"
    return int(found.group(1).replace(",", ""))


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="finding-(\d+)"', html)]


@pytest.mark.chromium
def test_clerk_rejects_a_finding_by_keyboard_and_it_stays_gone_after_validation(
        own_demo: WebDemo, own_engine: Any, web_users: Any, serve: Any, page: Any, login: Any,
        shoot: Any) -> None:
    clerk = web_users.register
    with serve(own_demo.db_url) as server:
        login(page, server.base_url, clerk.name, clerk.password)
        page.goto(f"{server.base_url}/clerk/worklist")
        assert page.locator("h1").inner_text() == "Worklist"
        shoot(page, "clerk-worklist")
        row = page.locator("tbody tr").first
        finding_id = int(row.get_attribute("id").removeprefix("finding-"))
        # keyboard only: from the row's enterprise link, Tab through to the note, then to Reject
        row.locator("th a").first.focus()
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.name") == "note":
                break
        assert page.evaluate("document.activeElement.id") == f"note-{finding_id}"
        page.keyboard.type("register is right, the site is another firm's")
        page.keyboard.press("Tab")  # Accept
        page.keyboard.press("Tab")  # Reject
        assert page.evaluate("document.activeElement.value") == "reject"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"decided="))
        assert f"Finding {finding_id} rejected." in page.locator("[role=status]").inner_text()
        assert page.locator(f"#finding-{finding_id}").count() == 0

        with transaction(own_engine) as session:
            decision = session.scalars(select(RegisterDecision).order_by(RegisterDecision.id.desc())).first()
            assert (decision.decision, decision.decided_by) == ("reject", clerk.name)
            assert decision.note == "register is right, the site is another firm's"
            rejected = session.get(ValidationFinding, finding_id)
            key = (rejected.enterprise_id, rejected.field)
        summary = validate(own_engine)  # the next validation, through the library
        with transaction(own_engine) as session:  # the finding as that validation left it
            now = session.scalars(select(ValidationFinding).where(
                ValidationFinding.wave == summary.wave, ValidationFinding.enterprise_id == key[0],
                ValidationFinding.field == key[1])).one()
            assert now.decision_id == decision.id
        page.goto(f"{server.base_url}/clerk/worklist")
        assert page.locator(f"#finding-{now.id}").count() == 0
        page.goto(f"{server.base_url}/clerk/worklist?state=decided")
        assert page.locator(f"#finding-{now.id}").count() == 1
        page.goto(f"{server.base_url}/clerk/findings/{now.id}")
        assert "reject" in page.locator("table").inner_text()
        shoot(page, "clerk-finding")


@pytest.mark.chromium
def test_clerk_pages_fit_a_phone(web_server: Any, web_users: Any, page: Any, login: Any) -> None:
    login(page, web_server.base_url, web_users.register.name, web_users.register.password)
    with transaction(web_server.engine) as session:
        finding_id = session.scalar(select(func.min(ValidationFinding.id)))
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/clerk/worklist", f"/clerk/findings/{finding_id}", "/clerk/link"):
        page.goto(web_server.base_url + path)
        assert page.locator("h1").count() == 1 and page.title().strip()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.evaluate("window.innerWidth"), f"{path} is {width} px wide at 390 px"


def test_worklist_filters_and_pages_in_the_order_of_the_cli_worklist(
        web_server: Any, web_users: Any) -> None:
    expected = [r["finding_id"] for r in rows(web_server.engine, WorklistFilter(include_all=True))]
    assert len(expected) > 10
    with _client(web_server.base_url, web_users.register) as client:
        first = client.get("/clerk/worklist?state=all")
        assert first.status_code == 200 and _total(first.text) == len(expected)
        shown = _ids(first.text)
        page = 2
        while len(shown) < len(expected):
            more = _ids(client.get(f"/clerk/worklist?state=all&page={page}").text)
            assert more, f"page {page} is empty"
            shown += more
            page += 1
        assert shown == expected  # the same rows in the same order, page after page

        open_rows = list(rows(web_server.engine, WorklistFilter()))
        assert _total(client.get("/clerk/worklist").text) == len(open_rows)
        with transaction(web_server.engine) as session:
            enterprise = session.scalar(select(ValidationFinding.enterprise_id).limit(1))
            verdict = session.scalar(select(ValidationFinding.verdict).limit(1))
        by_verdict = list(rows(web_server.engine, WorklistFilter(verdicts=[verdict], include_all=True)))
        assert _total(client.get(f"/clerk/worklist?state=all&verdict={verdict}").text) == len(by_verdict)
        searched = client.get(f"/clerk/worklist?state=all&q={enterprise}").text
        assert _total(searched) >= 1 and enterprise in searched
        wrong = client.get("/clerk/worklist?sort=bogus")
        assert wrong.status_code == 400 and "unknown sort" in wrong.text


def test_snapshot_of_a_finding_is_served_as_text(web_server: Any, web_users: Any) -> None:
    with transaction(web_server.engine) as session:
        finding_ids = session.scalars(select(ValidationFinding.id).where(
            ValidationFinding.evidence_url.is_not(None), ValidationFinding.field != "website")).all()
    assert finding_ids
    with _client(web_server.base_url, web_users.register) as client:
        served = [client.get(f"/clerk/findings/{i}/snapshot") for i in finding_ids[:5]]
        ok = [r for r in served if r.status_code == 200]
        assert ok, [r.status_code for r in served]
        assert 'class="op-source"' in ok[0].text
        raw = client.get(str(ok[0].url) + "/raw")
        assert raw.headers["content-type"].startswith("text/plain")
        assert raw.headers["x-content-type-options"] == "nosniff"


def test_manual_link_recorded_with_who(own_demo: WebDemo, own_engine: Any, web_users: Any, serve: Any) -> None:
    with transaction(own_engine) as session:
        enterprise_id = session.scalar(select(ValidationFinding.enterprise_id).limit(1))
    with serve(own_demo.db_url) as server, _client(server.base_url, web_users.register) as client:
        bad = _post(client, "/clerk/link", {"enterprise_id": enterprise_id, "url": "not a url"})
        assert bad.status_code == 400 and "not a web address" in bad.text
        done = _post(client, "/clerk/link", {"enterprise_id": enterprise_id, "url": "https://by-hand.test/",
                                             "note": "phoned them"})
        assert done.status_code == 303
    with transaction(own_engine) as session:
        site = session.scalars(select(Website).where(Website.url.like("https://by-hand.test%"))).one()
        assert (site.enterprise_id, site.status, site.found_by) == (enterprise_id, "linked", "manual")
        link = session.scalars(select(RegisterDecision).where(RegisterDecision.decision == "link")).one()
        assert (link.decided_by, link.note) == (web_users.register.name, "phoned them")


def test_economist_is_refused_clerk_writes_and_nothing_changes(
        own_demo: WebDemo, own_engine: Any, web_users: Any, serve: Any) -> None:
    with transaction(own_engine) as session:
        finding = session.scalars(select(ValidationFinding).limit(1)).one()
        finding_id, enterprise_id = finding.id, finding.enterprise_id
        before = (session.scalar(select(func.count(RegisterDecision.id))),
                  session.execute(select(Website.id, Website.enterprise_id, Website.status)).all())
    with serve(own_demo.db_url) as server, _client(server.base_url, web_users.economist) as client:
        assert client.get("/clerk/worklist").status_code == 403
        assert _post(client, f"/clerk/findings/{finding_id}/decide", {"decision": "reject"}).status_code == 403
        assert _post(client, "/clerk/link", {"enterprise_id": enterprise_id,
                                            "url": "https://other.test/"}).status_code == 403
    with transaction(own_engine) as session:
        after = (session.scalar(select(func.count(RegisterDecision.id))),
                 session.execute(select(Website.id, Website.enterprise_id, Website.status)).all())
    assert after == before


def _findings(engine: Any, n: int) -> None:
    """`n` enterprises in two countries, each with a website and a vat_id finding of one wave."""
    with transaction(engine) as session:
        session.add(ValidationWave(wave="2026Q1"))
        for i in range(n):
            session.add(Enterprise(id=f"E{i:04}", name=f"Firm {i % 7} {i}", country="DE" if i % 3 else "FR",
                                   nace="47.91" if i % 2 else "10.11", nace_section="G" if i % 2 else "C",
                                   size_class=("0-9", "10-49", "50-249")[i % 3]))
        session.flush()
        for i in range(n):
            for field, verdict in (("website", ("confirmed", "candidate", "dead")[i % 3]),
                                   ("vat_id", ("contradicted", "missing")[i % 2])):
                session.add(ValidationFinding(wave="2026Q1", enterprise_id=f"E{i:04}", field=field,
                                              verdict=verdict, confidence=(i * 37 % 100) / 100,
                                              register_value=f"r{i}", web_value=f"w{i}"))


@pytest.mark.parametrize("sort", ["priority", "confidence", "name", "size"])
def test_worklist_pages_are_the_cli_worklist_cut_in_sql(engine: Any, sort: str) -> None:
    _findings(engine, 45)
    for state, include_all in (("open", False), ("all", True)):
        expected = [r["finding_id"] for r in rows(engine, WorklistFilter(sort=sort, include_all=include_all))]
        flt = clerk_data.ClerkFilter(WorklistFilter(sort=sort), state=state)
        first = clerk_data.worklist_page(engine, flt, 1, per_page=20)
        assert first.total == len(expected) and first.pages == -(-len(expected) // 20)
        shown = [r["finding_id"] for p in range(1, first.pages + 1)
                 for r in clerk_data.worklist_page(engine, flt, p, per_page=20).rows]
        assert shown == expected
    french = clerk_data.worklist_page(engine, clerk_data.ClerkFilter(countries=["fr"], state="all"), 1, 500)
    assert french.total == 2 * 15 and {r["country"] for r in french.rows} == {"FR"}
    assert french.countries == ["DE", "FR"]
    decided = clerk_data.ClerkFilter(state="decided")
    assert clerk_data.worklist_page(engine, decided).total == 0
    decisions.decide(engine, str(first.rows[0]["finding_id"]), "done", by="someone")
    page = clerk_data.worklist_page(engine, decided)
    assert [(r["finding_id"], r["decided_by"]) for r in page.rows] == [(first.rows[0]["finding_id"], "someone")]
    with pytest.raises(BadInput):
        clerk_data.worklist_page(engine, clerk_data.ClerkFilter(state="maybe"))

