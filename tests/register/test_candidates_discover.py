"""`register discover`: candidates probed through the url_probe spider (subprocess) against a
local server reached through the host map, as the crawler reaches the sample web."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.settings import Settings
from ecomstat.register.discover import ProbeResult, discover, probe_variants
from ecomstat.store.models import Enterprise, Website

runner = CliRunner()

PAGES = {
    "www.mueller-baeckerei.de.test": (200, "<html><head><title>Müller Bäckerei</title></head><body>"
                                      "<h1>Müller Bäckerei GmbH</h1><p>Frisches Brot aus Berlin.</p>"
                                      "<a href='/impressum'>Impressum</a></body></html>"),
    "schulz-shop.de.test": (200, "<html><body><h1>schulz-shop.de</h1><p>This domain may be for sale. "
                                 "Buy this domain today!</p></body></html>"),
    "old-name.de.test": (301, "http://www.weber-moebel.de.test/"),
    "www.weber-moebel.de.test": (200, "<html><head><title>Weber Möbel</title></head><body>Möbel Weber KG</body></html>"),
    "www.nurbots.de.test": (200, "<html><body>private</body></html>"),
}
ROBOTS = {"www.nurbots.de.test": "User-agent: *\nDisallow: /\n"}


class ProxyHandler(BaseHTTPRequestHandler):
    """Answers absolute-form (proxy) requests, dispatching on the host, like the sample web."""

    def do_GET(self) -> None:  # noqa: N802
        host = (urlsplit(self.path).hostname or self.headers.get("Host", "")).lower()
        if urlsplit(self.path).path == "/robots.txt":
            status, body = (200, ROBOTS[host]) if host in ROBOTS else (404, "")
        else:
            status, body = PAGES.get(host, (404, "unknown host"))
        self.send_response(status)
        if status == 301:
            self.send_header("Location", body)
            body = ""
        data = body.encode()
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Path]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("".join(f"{h} 127.0.0.1:{server.server_address[1]}\n" for h in PAGES), "utf-8")
    yield hosts
    server.shutdown()
    server.server_close()


def _enterprises(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add_all([
            Enterprise(id="E1", name="Müller Bäckerei GmbH", country="DE", nace="10.71", employees=12),
            Enterprise(id="E2", name="Schulz Handel GmbH", country="DE", nace="47.91", employees=15,
                       email="info@schulz-shop.de.test"),
            Enterprise(id="E3", name="Zzyzx Qwerty Holding GmbH", country="DE", nace="70.10", employees=20,
                       email="kontakt@gone-away.de.test"),
            Enterprise(id="E4", name="Möbel Weber KG", country="DE", nace="47.59", employees=11,
                       url="http://old-name.de.test/"),
            Enterprise(id="E5", name="Nurbots GmbH", country="DE", nace="62.01", employees=10),
        ])
        session.add(Website(url="http://old-name.de.test/", domain="old-name.de.test", enterprise_id="E4",
                            found_by="register", status="candidate"))


def test_discover_through_the_probe_spider(sqlite_engine: Engine, sqlite_url: str, web: Path) -> None:
    _enterprises(sqlite_engine)
    env = {"ECOMSTAT_HOST_MAP": str(web), "ECOMSTAT_ALLOW_PRIVATE_HOSTS": ".test",
           "ECOMSTAT_CANDIDATE_SUFFIX": ".test", "ECOMSTAT_RELAX_MAPPED_DELAYS": "1"}
    result = runner.invoke(app, ["--db", sqlite_url, "register", "discover", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["enterprises"] == 5 and summary["found"] == 3
    with Session(sqlite_engine) as session:
        sites = {w.url: (w.enterprise_id, w.found_by, w.status) for w in session.scalars(select(Website))}
    assert sites["http://www.mueller-baeckerei.de.test/"] == ("E1", "name-guess", "verified")
    assert sites["http://schulz-shop.de.test/"] == ("E2", "email", "parked")
    assert sites["https://gone-away.de.test/"] == ("E3", "email", "dead")
    # the register URL redirects: the target is stored, found by the register
    assert sites["http://www.weber-moebel.de.test/"] == ("E4", "register", "verified")
    # robots.txt forbids the home page: the probe obeys, and the site still counts as existing
    assert sites["http://www.nurbots.de.test/"] == ("E5", "name-guess", "verified")
    assert not any("zzyzx" in url for url in sites)  # guesses that do not answer are not stored

    # a second run finds nothing new to do for the enterprises that now have a site
    again = runner.invoke(app, ["--db", sqlite_url, "register", "discover", "--format", "json"], env=env)
    assert json.loads(again.stdout.strip().splitlines()[-1])["enterprises"] == 2  # E2, E3


def test_probe_variants() -> None:
    hosts = {"www.a.de.test": "127.0.0.1:1"}
    assert probe_variants("a.de.test", hosts) == ["http://www.a.de.test/"]
    assert probe_variants("b.de.test", hosts) == []  # .test never resolves unless mapped
    assert probe_variants("b.de", {})[0] == "https://b.de/"


def test_a_host_map_confines_probes_to_its_hosts() -> None:
    """A rehearsal on the sample web (host map in use) never probes a real domain: `mueller.de`
    is what the candidate generator proposes when ECOMSTAT_CANDIDATE_SUFFIX is forgotten."""
    hosts = {"www.mueller.de.test": "127.0.0.1:1"}
    assert probe_variants("mueller.de", hosts) == []
    assert probe_variants("mueller.de.test", hosts) == ["http://www.mueller.de.test/"]


def test_discover_is_idempotent_and_keeps_links(engine: Engine) -> None:
    """Storage rules with a stand-in prober, on SQLite and PostgreSQL."""
    _enterprises(engine)
    with Session(engine) as session, session.begin():  # a person linked E2 by hand
        session.add(Website(url="https://www.schulz-handel.de/", domain="schulz-handel.de",
                            enterprise_id="E2", found_by="manual", status="linked"))

    def prober(tasks, settings):
        ok = ProbeResult("x", "https://www.mueller-baeckerei.de/", "ok", 200,
                         "https://www.mueller-baeckerei.de/", "Müller", "Brot")
        parked = ProbeResult("x", "https://schulz-handel.de/", "ok", 200, "https://schulz-handel.de/",
                             None, "This domain may be for sale")
        answers = {"mueller-baeckerei.de": ok, "schulz-handel.de": parked}
        return {t["key"]: answers.get(t["key"], ProbeResult(t["key"], t["urls"][0], "dns-failure")) for t in tasks}

    settings = Settings({"ECOMSTAT_HOST_MAP": ""}, environ={})
    for _ in range(2):
        discover(engine, settings, redo=True, prober=prober)
    with Session(engine) as session:
        rows = {w.url: (w.status, w.enterprise_id, w.found_by) for w in session.scalars(select(Website))}
    assert rows["https://www.mueller-baeckerei.de/"] == ("verified", "E1", "name-guess")
    assert rows["https://schulz-handel.de/"] == ("parked", "E2", "name-guess")
    assert rows["https://www.schulz-handel.de/"] == ("linked", "E2", "manual")  # never touched
    assert len(rows) == 6  # + dead e-mail domains of E2, E3 and E4's dead register URL


def test_a_company_keeps_its_own_blocklisted_domain(sqlite_engine: Engine) -> None:
    """google.com is on the shipped blocklist (a search engine, never another firm's site), yet
    it is Google's own site: discovery stores it for Google, and never for anyone else."""
    with Session(sqlite_engine) as session, session.begin():
        session.add_all([Enterprise(id="G", name="Google LLC", country="US", nace="63.12", employees=900),
                         Enterprise(id="X", name="Xylo Tools Inc", country="US", nace="25.73", employees=20,
                                    email="sales@xylo-tools.com")])

    def prober(tasks, settings):  # every candidate answers; xylo-tools.com redirects to google
        return {task["key"]: ProbeResult(task["key"], task["urls"][0], "ok", 200,
                                         "https://www.google.com/" if task["key"] == "xylo-tools.com"
                                         else task["urls"][0], "Home", "Welcome to our site")
                for task in tasks}

    discover(sqlite_engine, Settings({}), prober=prober)
    with Session(sqlite_engine) as session:
        owners = {w.url: w.enterprise_id for w in session.scalars(select(Website))}
    assert owners.get("https://google.com/") == "G" or owners.get("https://www.google.com/") == "G"
    assert "X" not in {owner for url, owner in owners.items() if "google" in url}
