"""Audit of issue 5, part 1: every legal form the issue names, malformed candidate files,
country names, the editable blocklist, no network, and discovery through a search provider."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.settings import Settings
from ecomstat.register.candidates import CandidateGenerator
from ecomstat.register.country_domains import resolve_country
from ecomstat.register.discover import ProbeResult, discover
from ecomstat.register.legal_forms import split_legal_forms
from ecomstat.register.search import SearchResult
from ecomstat.store.models import Enterprise, Website

runner = CliRunner()


@pytest.mark.parametrize(("name", "country"), [
    ("Alpha Beta GmbH", "DE"), ("Alpha Beta AG", "DE"), ("Alpha Beta AG", "CH"), ("Alpha Beta UG", "DE"),
    ("Alpha Beta KG", "DE"), ("Alpha Beta KG", "AT"), ("Alpha Beta e.K.", "DE"), ("Alpha Beta Ltd", "GB"),
    ("Alpha Beta Ltd.", "IE"), ("Alpha Beta PLC", "GB"), ("Alpha Beta LLP", "GB"), ("Alpha Beta Inc.", "US"),
    ("Alpha Beta LLC", "US"), ("Alpha Beta Corp.", "US"), ("Alpha Beta S.A.", "ES"), ("Alpha Beta S.A.", "FR"),
    ("Alpha Beta S.A.S.", "FR"), ("Alpha Beta SARL", "FR"), ("Alpha Beta S.p.A.", "IT"),
    ("Alpha Beta S.r.l.", "IT"), ("Alpha Beta B.V.", "NL"), ("Alpha Beta N.V.", "NL"), ("Alpha Beta N.V.", "BE"),
    ("Alpha Beta Sp. z o.o.", "PL"), ("Alpha Beta S.L.", "ES"), ("Alpha Beta Ltda", "BR"),
    ("Alpha Beta Ltda.", "PT"), ("Alpha Beta S/A", "BR"), ("Alpha Beta EIRELI", "BR"), ("PT Alpha Beta", "ID"),
    ("PT. Alpha Beta", "ID"), ("Alpha Beta Tbk", "ID"), ("PT Alpha Beta Tbk", "ID"), ("CV Alpha Beta", "ID"),
    ("Alpha Beta CV", "NL"), ("Alpha Beta C.V.", "NL"),
    # Indonesian registers often write the form after a comma: `SINAR JAYA, PT`
    ("Alpha Beta, PT", "ID"), ("ALPHA BETA, PT TBK", "ID"), ("Alpha Beta, CV", "ID"),
])
def test_every_legal_form_of_the_issue_is_stripped(name: str, country: str) -> None:
    core, forms = split_legal_forms(name, country)
    assert core == ("alpha", "beta") and forms
    urls = [c.url for c in CandidateGenerator(suffix="").generate(name, country)]
    assert any("alphabeta." in u for u in urls[:2]), urls[:4]
    assert not any(f"alphabeta{''.join(forms[-1].split())}." in u for u in urls[:4])


@pytest.mark.parametrize(("value", "code"), [
    ("Germany", "DE"), ("de", "DE"), ("United Kingdom", "GB"), ("UK", "GB"), ("Czechia", "CZ"),
    ("Viet Nam", "VN"), ("Russian Federation", "RU"), ("Korea, Republic of", "KR"), ("Türkiye", "TR"),
    ("Côte d’Ivoire", "CI"), ("Cote d'Ivoire", "CI"), ("Ivory Coast", "CI"), ("Curacao", "CW"),
    ("Bosnia & Herzegovina", "BA"), ("Democratic Republic of the Congo", "CD"), ("the Netherlands", "NL"),
])
def test_country_as_code_or_english_name(value: str, code: str) -> None:
    assert resolve_country(value) == code


def _invoke(tmp_path: Path, content: str, env: dict[str, str] | None = None):
    src = tmp_path / "firms.csv"
    src.write_text(content, "utf-8")
    return runner.invoke(app, ["register", "candidates", str(src)], env=env)


@pytest.mark.parametrize(("content", "message"), [
    ('id,name,country\n1,"Acme Widgets,GB\n2,Foo,DE\n', "line 2: malformed CSV"),
    ('id,name,country\n1,"Acme"x,GB\n', "line 2: malformed CSV"),
    ("id,name,country\n1,Acme,GB,extra,more\n", "line 2: 5 fields, the header has 3"),
    ("id,name,country,email,city\n1,Acme,GB\n2,Foo,DE,a@b.de,Bonn,x\n", "line 3: 6 fields"),
])
def test_malformed_csv_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    result = _invoke(tmp_path, content)
    assert result.exit_code == 2
    assert message in str(result.exception) + result.output
    assert result.stdout.strip() == ""


def test_candidates_never_touch_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    result = _invoke(tmp_path, "id,name,country,email,city\n1,Müller Bäckerei GmbH,Germany,,Köln\n"
                               "2,Sinar Jaya, PT,ID,,\n", env={"ECOMSTAT_SEARCH_ENDPOINT": "http://127.0.0.1:9/"})
    # the comma in the unquoted name is a malformed row, reported, not a crash
    assert result.exit_code == 2 and "line 3: 6 fields, the header has 5" in str(result.exception) + result.output
    result = _invoke(tmp_path, "id,name,country,email,city\n1,Müller Bäckerei GmbH,Germany,,Köln\n"
                               '2,"Sinar Jaya, PT",Indonesia,info@gmail.com,\n',
                     env={"ECOMSTAT_SEARCH_ENDPOINT": "http://127.0.0.1:9/"})
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[1] == {"id": "2", "candidates": lines[1]["candidates"]}
    assert set(lines[1]["candidates"][:2]) == {"https://sinarjaya.co.id", "https://sinarjaya.com"}
    assert all(1 <= len(line["candidates"]) <= 20 for line in lines)


def test_blocklist_file_adds_and_removes_entries(tmp_path: Path) -> None:
    edits = tmp_path / "blocklist.txt"
    edits.write_text("# our edits\nacmewidgets.co.uk\n!societe.com  # a firm's own site here\n", "utf-8")
    # societe.com (a directory) is the first-word guess for this name: blocked by the shipped list
    name = "Societe Nouvelle Dupont SA"
    shipped = [c.url for c in CandidateGenerator(Settings({}, environ={})).generate(name, "FR")]
    assert "https://societe.com" not in shipped
    gen = CandidateGenerator(Settings({"ECOMSTAT_URL_BLOCKLIST": str(edits)}, environ={}))
    assert "https://societe.com" in [c.url for c in gen.generate(name, "FR")]
    # an added entry applies even to the company's own name (a person decided it)
    assert "https://acmewidgets.co.uk" not in [c.url for c in gen.generate("Acme Widgets Ltd", "GB")]
    assert "https://facebook.com" not in [c.url for c in gen.generate("Facebook Fan Shop LLC", "US")]


class _Search:
    def __init__(self) -> None:
        self.queries: list[tuple[str, str]] = []

    def search(self, query: str, country: str) -> list[SearchResult]:
        self.queries.append((query, country))
        return [SearchResult("https://www.facebook.com/zzyzx", rank=1),
                SearchResult("https://www.zzyzx-holding.de/about", rank=2)]


def test_discover_asks_the_search_provider_when_no_candidate_answers(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        session.add(Enterprise(id="E1", name="Zzyzx Qwerty Holding GmbH", country="DE", nace="70.10",
                               employees=20, city="Berlin"))

    def prober(tasks, settings):
        ok = ProbeResult("x", "https://www.zzyzx-holding.de/", "ok", 200,
                         "https://www.zzyzx-holding.de/", "Zzyzx", "Zzyzx Qwerty Holding GmbH, Berlin")
        return {t["key"]: ok if t["key"] == "zzyzx-holding.de" else ProbeResult(t["key"], t["urls"][0], "dns-failure")
                for t in tasks}

    search = _Search()
    summary = discover(sqlite_engine, Settings({"ECOMSTAT_HOST_MAP": ""}, environ={}), prober=prober, search=search)
    assert search.queries == [("Zzyzx Qwerty Holding GmbH Berlin", "DE")]
    assert (summary.searched, summary.found) == (1, 1)
    with Session(sqlite_engine) as session:
        sites = {w.url: (w.enterprise_id, w.found_by, w.status) for w in session.scalars(select(Website))}
    assert sites == {"https://www.zzyzx-holding.de/": ("E1", "search", "verified")}


def test_discover_unknown_id_is_bad_input(sqlite_engine: Engine, sqlite_url: str) -> None:
    with Session(sqlite_engine) as session, session.begin():
        session.add(Enterprise(id="E1", name="Acme GmbH", country="DE", nace="70.10", employees=20))
    result = runner.invoke(app, ["--db", sqlite_url, "register", "discover", "--id", "NOPE", "--id", "E1"])
    assert result.exit_code == 2
    assert "no enterprise NOPE" in str(result.exception) + result.output
