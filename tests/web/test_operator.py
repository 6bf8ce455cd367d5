"""The operator pages (issue 18 item 2) against the real application over the demo database:
an operator adds a campaign and runs it from the browser and sees it finish; crawl runs, a run's
sites and a stored page; what the roles below operator are refused; pages at phone width."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from web_kit import WebDemo, csrf_of, http_login

from ecomstat.errors import BadInput
from ecomstat.scheduler import campaigns, liveness
from ecomstat.store import make_engine, transaction
from ecomstat.web import operator_data
from ecomstat.spiders import live
from ecomstat.store.models import Campaign, CampaignRun, CrawlRun, CrawlRunProcess, Page, SiteVisit, Website

RUN_TIMEOUT_MS = 180_000  # a `validate` step on the demo database, on a busy 2-core machine
OPERATOR_PAGES = ("/operator/campaigns", "/operator/campaigns/new", "/operator/crawls")


@pytest.fixture
def own_demo(web_demo: WebDemo, web_users: Any, tmp_path: Any) -> WebDemo:
    """A copy of the demo database (users included) for a test that writes."""
    return web_demo.copy(tmp_path)


@pytest.fixture
def engine_of() -> Iterator[Any]:
    engines: list[Any] = []

    def make(url: str) -> Any:
        engines.append(make_engine(url, create=False))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


@contextlib.contextmanager
def _client(base_url: str, user: Any) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=base_url, timeout=60)
    response = http_login(client, base_url, user.name, user.password)
    assert response.status_code == 303, response.text[:500]
    try:
        yield client
    finally:
        client.close()


def _post(client: httpx.Client, path: str, data: dict[str, Any], page: str = "/") -> httpx.Response:
    """A form post with the session's CSRF token (read from a page the user may open)."""
    token = csrf_of(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _no_horizontal_overflow(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width} px wide at 390 px"


@pytest.mark.chromium
def test_operator_adds_a_campaign_runs_it_and_sees_it_finish(
        own_demo: WebDemo, web_users: Any, serve: Any, page: Any, login: Any, shoot: Any) -> None:
    with serve(own_demo.db_url) as server:
        login(page, server.base_url, web_users.operator.name, web_users.operator.password)
        page.goto(f"{server.base_url}/operator/campaigns")
        page.get_by_role("link", name="Add a campaign").click()
        page.get_by_label("Name").fill("nightly")
        page.get_by_label("Schedule (cron").fill("0 3 * * *")
        page.get_by_label("validate:").check()
        page.get_by_role("button", name="Add campaign").click()
        page.wait_for_url("**/operator/campaigns/nightly?*")
        page.get_by_role("button", name="Run now").click()
        page.wait_for_url("**/operator/campaigns/nightly?*started*")
        # the page follows the run by itself (operator.js refreshes the history) until it is done
        status = page.locator("#history [data-run-status]").first
        status.wait_for(timeout=RUN_TIMEOUT_MS)
        page.locator('#history [data-run-status="finished"]').first.wait_for(timeout=RUN_TIMEOUT_MS)
        assert "validate" in page.locator("#history").inner_text()
        assert page.locator("#history").get_attribute("data-live") == "0"
        shoot(page, "operator-campaign")

        page.goto(f"{server.base_url}/operator/campaigns")
        row = page.locator("tr", has_text="nightly")
        assert "finished" in row.inner_text() and "0 3 * * *" in row.inner_text()
        shoot(page, "operator-campaigns")

        page.goto(f"{server.base_url}/operator/crawls")
        assert page.locator("h1").inner_text() == "Crawls"
        shoot(page, "operator-crawls")
        page.locator("#crawls tbody a").first.click()
        page.wait_for_url("**/operator/crawls/*")
        assert page.get_by_role("heading", name="Sites").is_visible()
        shoot(page, "operator-run")
        page.get_by_role("link", name=re.compile("^Stored page of ")).first.click()
        page.wait_for_url("**/operator/pages/*")
        assert page.locator("pre.op-source").is_visible()

        engine = server.engine
        with transaction(engine) as session:
            run = session.scalars(select(CampaignRun)).one()
            assert (run.status, run.trigger) == ("finished", "manual")
            assert [s["step"] for s in run.steps] == ["validate"]


@pytest.mark.chromium
def test_operator_pages_fit_a_phone(web_server: Any, web_users: Any, page: Any, login: Any) -> None:
    login(page, web_server.base_url, web_users.operator.name, web_users.operator.password)
    with transaction(web_server.engine) as session:
        run_id = session.scalar(select(func.max(CrawlRun.id)))
        page_id = session.scalar(select(func.min(Page.id)))
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (*OPERATOR_PAGES, f"/operator/crawls/{run_id}", f"/operator/pages/{page_id}"):
        page.goto(web_server.base_url + path)
        assert page.locator("h1").count() == 1
        assert page.title().strip()
        _no_horizontal_overflow(page)


def test_campaign_form_errors_in_words_and_edit_pause_resume(own_demo: WebDemo, web_users: Any, serve: Any) -> None:
    with serve(own_demo.db_url) as server, _client(server.base_url, web_users.operator) as client:
        bad = _post(client, "/operator/campaigns", {"name": "x", "cron": "every night", "steps": "validate"})
        assert bad.status_code == 400
        assert "must have 5 fields" in bad.text and "Traceback" not in bad.text
        added = _post(client, "/operator/campaigns",
                      {"name": "monthly", "cron": "0 2 1 * *", "steps": ["match", "validate"], "selection": "all"})
        assert added.status_code == 303 and added.headers["location"].startswith("/operator/campaigns/monthly")
        edited = _post(client, "/operator/campaigns/monthly/edit",
                       {"cron": "@weekly", "steps": "validate", "selection": "missing", "max_pages": "5",
                        "wave": "{year}Q{quarter}"})
        assert edited.status_code == 303
        campaign = campaigns.get(server.engine, "monthly")
        assert (campaign.cron, campaign.steps, campaign.selection) == ("@weekly", ["validate"], "missing")
        assert (campaign.options["max_pages"], campaign.options["wave"]) == (5, "{year}Q{quarter}")
        form = client.get("/operator/campaigns/monthly/edit").text
        assert 'value="{year}Q{quarter}"' in form and 'value="@weekly"' in form
        assert _post(client, "/operator/campaigns/monthly/edit",
                     {"cron": "@weekly", "steps": "validate", "wave": "{decade}"}).status_code == 400
        assert _post(client, "/operator/campaigns/monthly/pause", {}).status_code == 303
        assert campaigns.get(server.engine, "monthly").paused
        listing = client.get("/operator/campaigns").text
        assert "paused" in listing and "Resume monthly" in listing
        assert _post(client, "/operator/campaigns/monthly/resume", {}).status_code == 303
        assert not campaigns.get(server.engine, "monthly").paused
        assert client.get("/operator/campaigns/nope").status_code == 404
        # the command step runs a program on the server: an operator may not set it from the web
        shell = _post(client, "/operator/campaigns", {"name": "sh", "cron": "@daily", "steps": "command",
                                                      "command": "touch /tmp/owned"})
        assert shell.status_code == 400 and "only an admin" in shell.text
        assert _post(client, "/operator/campaigns/monthly/edit", {
            "cron": "@weekly", "steps": ["validate", "command"], "command": "touch /tmp/owned"}).status_code == 400
        assert "sh" not in [s.campaign.name for s in campaigns.status(server.engine)]
        assert campaigns.get(server.engine, "monthly").options.get("command") is None
    with serve(own_demo.db_url) as server, _client(server.base_url, web_users.admin) as client:
        added = _post(client, "/operator/campaigns", {"name": "publish", "cron": "@daily", "steps": "command",
                                                      "command": "true"})
        assert added.status_code == 303
        assert campaigns.get(server.engine, "publish").options["command"] == "true"


def test_scheduler_liveness_is_shown(own_demo: WebDemo, web_users: Any, serve: Any, engine_of: Any) -> None:
    engine = engine_of(own_demo.db_url)
    with serve(own_demo.db_url) as server, _client(server.base_url, web_users.operator) as client:
        assert "no scheduler has ever started" in client.get("/operator/campaigns").text
        instance = liveness.register(engine, 60.0, "UTC")
        page = client.get("/operator/campaigns").text
        assert f"{liveness.HOST} (pid {os.getpid()})" in page and "Alive" in page
        liveness.stopped(engine, instance)
        page = client.get("/operator/crawls").text
        assert "Not running" in page and f"the last scheduler was {liveness.HOST}" in page


def _store_state(engine: Any) -> tuple[Any, ...]:
    with transaction(engine) as session:
        return (session.execute(select(Campaign.name, Campaign.cron, Campaign.paused)).all(),
                session.scalar(select(func.count(CampaignRun.id))))


@pytest.mark.parametrize("role", ["economist", "register"])
def test_roles_below_operator_are_refused_and_change_nothing(
        role: str, own_demo: WebDemo, web_users: Any, serve: Any, engine_of: Any) -> None:
    engine = engine_of(own_demo.db_url)
    campaigns.add(engine, own_demo.db_url, campaigns.CampaignSpec("kept", "0 1 * * *", ["validate"]))
    before = _store_state(engine)
    with serve(own_demo.db_url) as server, _client(server.base_url, web_users[role]) as client:
        for path in (*OPERATOR_PAGES, "/operator/campaigns/kept", "/operator/crawls/1"):
            assert client.get(path).status_code == 403, path
        writes = {"/operator/campaigns": {"name": "new", "cron": "0 1 * * *", "steps": "validate"},
                  "/operator/campaigns/kept/edit": {"cron": "0 5 * * *", "steps": "validate"},
                  "/operator/campaigns/kept/pause": {}, "/operator/campaigns/kept/run": {}}
        for path, data in writes.items():
            response = _post(client, path, data)
            assert response.status_code == 403, path
            assert "operator role" in response.text
    assert _store_state(engine) == before


def test_a_post_without_the_csrf_token_is_refused(own_demo: WebDemo, web_users: Any, serve: Any,
                                                  engine_of: Any) -> None:
    engine = engine_of(own_demo.db_url)
    campaigns.add(engine, own_demo.db_url, campaigns.CampaignSpec("kept", "0 1 * * *", ["validate"]))
    with serve(own_demo.db_url) as server, _client(server.base_url, web_users.operator) as client:
        response = client.post("/operator/campaigns/kept/pause", data={}, follow_redirects=False)
        assert response.status_code == 403
        assert not campaigns.get(engine, "kept").paused


def test_run_detail_pages_through_sites_and_shows_stored_pages_as_text(
        own_demo: WebDemo, web_users: Any, serve: Any, engine_of: Any) -> None:
    engine = engine_of(own_demo.db_url)
    with transaction(engine) as session:
        run_id, sites = session.execute(
            select(SiteVisit.run_id, func.count(SiteVisit.id)).group_by(SiteVisit.run_id)
            .order_by(func.count(SiteVisit.id).desc()).limit(1)).one()
        first = session.scalars(select(Page).where(Page.run_id == run_id).order_by(Page.id)).first()
        hostile = Page(website_id=first.website_id, run_id=run_id, url=first.url + "?x", outcome="ok",
                       text='<script>document.title="owned"</script><img src=x onerror=alert(1)>')
        session.add(hostile)
        session.flush()
        hostile_id = hostile.id
    with serve(own_demo.db_url) as server, _client(server.base_url, web_users.operator) as client:
        detail = client.get(f"/operator/crawls/{run_id}")
        assert detail.status_code == 200
        assert f"{sites} site" in detail.text
        links = set(re.findall(r'href="/operator/pages/(\d+)"', detail.text))
        assert links
        if sites > 50:  # paged in SQL: page 2 holds the rest
            second = client.get(f"/operator/crawls/{run_id}?page=2").text
            assert "Page 2 of" in second
        assert client.get(f"/operator/crawls/{run_id}/live").status_code == 200
        shown = client.get(f"/operator/pages/{hostile_id}")
        assert shown.status_code == 200
        assert "&lt;script&gt;" in shown.text and "<script>document" not in shown.text
        raw = client.get(f"/operator/pages/{hostile_id}/raw")
        assert raw.headers["content-type"].startswith("text/plain")
        assert raw.headers["x-content-type-options"] == "nosniff"
        assert raw.text.startswith("<script>")
        assert client.get("/operator/pages/999999999").status_code == 404
        assert client.get("/operator/crawls/999999999").status_code == 404


@pytest.mark.chromium
def test_a_running_crawl_refreshes_on_its_own(own_demo: WebDemo, web_users: Any, serve: Any, page: Any,
                                             login: Any, engine_of: Any) -> None:
    """A crawl run with a live process (this test's): its page shows the live figures and,
    without a reload, that it finished once it did (operator.js fetches the fragment again)."""
    engine = engine_of(own_demo.db_url)
    with transaction(engine) as session:
        sites = session.scalars(select(Website.id).order_by(Website.id).limit(3)).all()
        run = CrawlRun(spider="enterprise_site", status="running", sites_total=3)
        session.add(run)
        session.flush()
        run_id = run.id
        session.add_all([SiteVisit(run_id=run_id, website_id=w, state="done" if i == 0 else "pending",
                                   outcome="ok" if i == 0 else None) for i, w in enumerate(sites)])
        session.add(CrawlRunProcess(run_id=run_id, worker=f"{live.worker()}/owner", role="owner",
                                    host=live.HOST, pid=os.getpid()))
    live.beat(engine, run_id, stats={"ecomstat/pages": 40, "ecomstat/render/pages": 10},
              rss_bytes=64 * 2**20, pages_per_second=3.5)
    with serve(own_demo.db_url) as server:
        login(page, server.base_url, web_users.operator.name, web_users.operator.password)
        page.goto(f"{server.base_url}/operator/crawls/{run_id}")
        figures = page.locator("#figures")
        assert figures.get_attribute("data-live") == "1"
        text = figures.inner_text()
        assert "running" in text and "1 done of 3, 2 pending" in text and "3.5 pages/s" in text
        assert "25.0 %" in text  # render share: 10 of 40 pages
        with transaction(engine) as session:
            session.execute(update(SiteVisit).where(SiteVisit.run_id == run_id)
                            .values(state="done", outcome="ok"))
            session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(status="finished"))
        live.beat(engine, run_id, stats={"ecomstat/pages": 60}, rss_bytes=None, pages_per_second=None,
                  closed=True)
        page.locator('#figures[data-live="0"]').wait_for(state="attached", timeout=30_000)
        assert "3 done of 3, 0 pending" in figures.inner_text()
        assert "finished" in figures.inner_text()


def test_run_sites_are_paged_in_sql_with_their_first_stored_page(engine: Any) -> None:
    with transaction(engine) as session:
        run = CrawlRun(spider="enterprise_site", status="finished", sites_total=7)
        session.add(run)
        session.flush()
        for i in range(7):
            site = Website(url=f"https://s{i}.test/", domain=f"s{i}.test")
            session.add(site)
            session.flush()
            session.add(SiteVisit(run_id=run.id, website_id=site.id, state="done",
                                  outcome="ok" if i % 3 else "dns-failure", pages=2))
            for j, outcome in enumerate(("ok", "ok" if i % 2 else "timeout")):
                session.add(Page(website_id=site.id, run_id=run.id, url=f"https://s{i}.test/{j}",
                                 outcome=outcome, text=f"page {j} of site {i}"))
        run_id = run.id
    first, total = operator_data.run_sites(engine, run_id, page=1, per_page=5)
    second, _ = operator_data.run_sites(engine, run_id, page=2, per_page=5)
    assert total == 7 and [len(first), len(second)] == [5, 2]
    assert [s.url for s in first + second] == [f"https://s{i}.test/" for i in range(7)]
    assert [s.failed_pages for s in first] == [1, 0, 1, 0, 1]
    snap = operator_data.snapshot(engine, first[1].page_id)
    assert (snap.url, snap.source, snap.body) == ("https://s1.test/0", "text", "page 0 of site 1")
    problems, n = operator_data.run_sites(engine, run_id, problems_only=True)
    assert n == 3 and {s.outcome for s in problems} == {"dns-failure"}
    found = operator_data.page_for_url(engine, "https://s4.test/1", first[4].website_id)
    assert found is not None and operator_data.snapshot(engine, found).url == "https://s4.test/1"
    assert operator_data.page_for_url(engine, "https://elsewhere.test/") is None
    with pytest.raises(BadInput):
        operator_data.snapshot(engine, 10**9)



def test_a_run_now_that_cannot_start_says_why_and_stops_polling(engine: Any, tmp_path: Any) -> None:
    """A "run now" whose process fails before it records a run (here: a store it cannot open)
    used to leave the page on "Starting the run…" for ever; the failure was only in the log."""
    from ecomstat.settings import Settings
    from ecomstat.web.routes.operator import _history

    campaigns.add(engine, "sqlite:///unused.db", campaigns.CampaignSpec("nightly", "0 1 * * *", ["validate"]))
    missing = tmp_path / "moved-away.db"
    launch = operator_data.start_run_now(Settings({"ECOMSTAT_DATABASE_URL": f"sqlite:///{missing}"}),
                                         "nightly")
    assert launch.ended.wait(120), "the run-now process did not end"
    assert launch.process.returncode != 0 and not missing.exists()
    history = _history(engine, "nightly", after=0)
    assert history["launch_failure"] and "no database" in history["launch_failure"]
    assert not history["waiting"] and not history["live"]
