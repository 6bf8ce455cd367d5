"""URL candidates for real companies (issue 19): the patterns the issue names, the country's
second-level domains, blocklisted own domains, unknown countries, and recall on the
development data (../shared, skipped where absent)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.urls import registered_domain
from ecomstat.register.candidates import MAX_CANDIDATES, CandidateGenerator
from ecomstat.register.country_domains import lookup_country

runner = CliRunner()

# Public facts: each company's official website (the examples issue 19 names).
OFFICIAL = [
    ("DHL Express", "Germany", "dhl.com"),  # first word
    ("Dow Chemical Company", "United States", "dow.com"),
    ("LG Electronics", "South Korea", "lg.com"),
    ("Deutsche Bank", "Germany", "db.com"),  # acronyms
    ("Nederlandse Spoorwegen", "Netherlands", "ns.nl"),
    ("Energias de Portugal", "Portugal", "edp.pt"),  # with the short word
    ("Électricité de France", "France", "edf.com"),
    ("Lend Lease Group", "Australia", "lendlease.com"),  # without generic words
    ("GEA Group", "Germany", "gea.com"),
    ("Mitsubishi Corporation", "Japan", "mitsubishicorp.com"),  # corp variant
    ("Google", "United States", "google.com"),  # blocklisted, but the company's own
    ("Rakuten", "Japan", "rakuten.com"),
]


def _domains(name: str, country: str, **kwargs: str) -> list[str]:
    return [c.domain for c in CandidateGenerator(suffix="").generate(name, country, **kwargs)]


@pytest.mark.parametrize(("name", "country", "official"), OFFICIAL)
def test_named_examples_give_the_official_domain_within_20(name: str, country: str, official: str) -> None:
    domains = _domains(name, country)
    assert official in domains, domains
    assert len(domains) <= MAX_CANDIDATES and len(domains) == len(set(domains))


@pytest.mark.parametrize(("country", "suffix"), [
    ("Malaysia", "com.my"), ("Turkey", "com.tr"), ("Indonesia", "co.id"), ("Pakistan", "com.pk"),
    ("Saudi Arabia", "com.sa"), ("Taiwan", "com.tw"), ("Japan", "co.jp"), ("Egypt", "com.eg"),
])
def test_country_second_level_domains_and_generic_tlds(country: str, suffix: str) -> None:
    domains = _domains("Sinar Jaya", country)
    assert f"sinarjaya.{suffix}" in domains[:3] and "sinarjaya.com" in domains[:3]
    # .net and .org beside them (after the name's other spellings when it has several words)
    assert {f"krka.{suffix}", "krka.com", "krka.net", "krka.org"} <= set(_domains("Krka", country)[:8])


def test_blocklist_keeps_the_companys_own_domain_only() -> None:
    assert _domains("Google", "US")[0] == "google.com"
    assert "rakuten.com" in _domains("Rakuten", "Japan")
    # the same domains stay blocked for other firms: guessed, or as an e-mail domain
    assert "google.com" not in _domains("Google Garden Services Ltd", "GB")
    assert "rakuten.com" not in _domains("Acme Trading", "JP", email="sales@rakuten.com")


@pytest.mark.parametrize(("text", "code"), [
    ("Kingdom of the Netherlands", "NL"), ("Republic of Ireland", "IE"), ("United States of America", "US"),
    ("UK", "GB"), ("USA", "US"), ("Federal Republic of Germany", "DE"), ("People's Republic of China", "CN"),
    ("Republic of China", "TW"), ("Kingdom of Saudi Arabia", "SA"), ("Slovak Republic", "SK"),
    ("Swiss Confederation", "CH"), ("UAE", "AE"),
])
def test_common_english_long_forms(text: str, code: str) -> None:
    assert lookup_country(text) == code


def test_unknown_country_warns_once_per_country_and_still_gives_candidates(tmp_path: Path) -> None:
    src = tmp_path / "firms.csv"
    src.write_text("id,name,country\n1,Acme Widgets,Atlantis\n2,Allied Irish Banks,Republic of Ireland\n"
                   "3,Foo Bar,Atlantis\n4,Nederlandse Spoorwegen,Kingdom of the Netherlands\n5,Qux,\n", "utf-8")
    result = runner.invoke(app, ["register", "candidates", str(src)])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row["candidates"] for row in map(json.loads, result.stdout.splitlines())}
    assert list(rows) == ["1", "2", "3", "4", "5"]
    assert "https://acmewidgets.com" in rows["1"] and "https://foobar.com" in rows["3"]
    assert all(registered_domain(u).rsplit(".", 1)[1] in ("com", "net", "org") for u in rows["1"] + rows["5"])
    assert "https://aib.ie" in rows["2"] and "https://ns.nl" in rows["4"]
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 2, warnings  # Atlantis (2 rows) and the empty country (1 row)
    assert any("unknown country 'Atlantis' on 2 rows" in w for w in warnings)
    assert any("no country on 1 row" in w for w in warnings)
    assert all(w.startswith("warning: ") for w in warnings)


def test_recall_at_20_on_the_development_data(shared_data: Path) -> None:
    path = shared_data / "register/wikipedia_companies_dev/companies_dev.csv"
    if not path.exists():
        pytest.skip(f"{path} not present")
    generator = CandidateGenerator(suffix="")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    found = sum(registered_domain(row["web"].strip()).lower()
                in {c.domain for c in generator.generate(row["name"], row["country"])} for row in rows)
    assert len(rows) > 700
    assert found / len(rows) >= 0.80, found / len(rows)
