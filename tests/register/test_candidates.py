"""Candidate URLs: legal forms, transliteration, TLDs, webmail, blocklist, the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.settings import Settings
from ecomstat.register.candidates import MAX_CANDIDATES, CandidateGenerator
from ecomstat.register.legal_forms import core_name, legal_form_of

runner = CliRunner()


@pytest.mark.parametrize(
    ("name", "country", "core"),
    [
        ("Müller Bäckerei GmbH & Co. KG", "DE", "muller backerei"),
        ("Schmidt UG (haftungsbeschränkt)", "DE", "schmidt"),
        ("Weber e.K.", "DE", "weber"),
        ("Acme Widgets Ltd", "GB", "acme widgets"),
        ("Acme Widgets PLC", "GB", "acme widgets"),
        ("Foo Bar LLC", "US", "foo bar"),
        ("Boulangerie Martin SARL", "FR", "boulangerie martin"),
        ("Dupont S.A.S.", "FR", "dupont"),
        ("Pasta Fresca S.p.A.", "IT", "pasta fresca"),
        ("Gelateria Roma S.r.l.", "IT", "gelateria roma"),
        ("De Vries B.V.", "NL", "de vries"),
        ("Kowalski Sp. z o.o.", "PL", "kowalski"),
        ("Muebles Garcia S.L.", "ES", "muebles garcia"),
        ("Loja do Zé Ltda", "BR", "loja do ze"),
        ("Padaria Central S/A", "BR", "padaria central"),
        ("Oficina Silva EIRELI", "BR", "oficina silva"),
        ("PT Toko Baju Indonesia Tbk", "ID", "toko baju indonesia"),
        ("CV Maju Jaya", "ID", "maju jaya"),
    ],
)
def test_legal_forms_are_stripped(name: str, country: str, core: str) -> None:
    assert core_name(name, country) == core
    assert legal_form_of(name, country)


def test_a_name_is_never_stripped_to_nothing() -> None:
    assert core_name("GmbH", "DE") == "gmbh"
    assert core_name("AS", "DE") == "as"  # Norwegian form, not stripped for Germany


def _urls(name: str, country: str, email: str = "", city: str = "", suffix: str = "") -> list[str]:
    return [c.url for c in CandidateGenerator(suffix=suffix).generate(name, country, email, city)]


def test_transliteration_both_spellings_hyphenated_and_joined() -> None:
    urls = _urls("Müller Bäckerei GmbH", "DE")
    for expected in ("https://mueller-baeckerei.de", "https://muellerbaeckerei.de",
                     "https://muller-backerei.de", "https://muellerbaeckerei.com"):
        assert expected in urls
    # German-speaking countries: the ue spelling ranks before the plain one
    assert urls.index("https://muellerbaeckerei.de") < urls.index("https://mullerbackerei.de")
    strasse = _urls("Große Straße GmbH", "DE")
    assert not any("stra-e" in u or "grosstrae" in u for u in strasse)  # ß is ss, not a break
    assert "https://grosse-strasse.de" in strasse and "https://grossestrasse.de" in strasse
    assert "https://bjoern.no" in _urls("Bjørn AS", "NO")


def test_country_second_level_domains_and_com() -> None:
    # the name under .com and under the country's main suffix come first (.com first: the
    # more frequent of the two for the real companies of the development data)
    assert set(_urls("Acme Widgets Ltd", "GB")[:2]) == {"https://acmewidgets.co.uk", "https://acmewidgets.com"}
    assert "https://lojadoze.com.br" in _urls("Loja do Zé Ltda", "BR")
    assert "https://tokobaju.co.id" in _urls("PT Toko Baju Tbk", "ID")[:2]
    assert "https://kowalski.pl" in _urls("Kowalski Sp. z o.o.", "Poland")


def test_email_domain_first_unless_webmail() -> None:
    assert _urls("Acme Ltd", "GB", "sales@shop.acme-online.co.uk")[0] == "https://acme-online.co.uk"
    for webmail in ("gmail.com", "web.de", "t-online.de", "orange.fr", "libero.it", "wp.pl",
                    "o2.pl", "uol.com.br", "bol.com.br", "gmx.de", "hotmail.com"):
        urls = _urls("Acme Ltd", "GB", f"acme@{webmail}")
        assert not any(webmail in u for u in urls), webmail


def test_acronym_city_and_cap() -> None:
    urls = _urls("Schmidt Meier Wagner GmbH", "DE", city="Köln")
    assert "https://smw.de" in urls
    assert any("koln" in u for u in urls)
    assert len(urls) == len(set(urls))
    rich = _urls("Müller Bäckerei und Konditorei GmbH", "DE", "info@mb-k.de", "München")
    assert len(rich) == MAX_CANDIDATES
    assert rich[0] == "https://mb-k.de"


def test_blocklisted_domains_dropped_and_blocklist_extendable(tmp_path: Path) -> None:
    assert not any("facebook" in u for u in _urls("Acme", "GB", "x@facebook.com"))
    extra = tmp_path / "block.txt"
    extra.write_text("# mine\nacmewidgets.co.uk\n", "utf-8")
    gen = CandidateGenerator(Settings({"ECOMSTAT_URL_BLOCKLIST": str(extra)}, environ={}))
    urls = [c.url for c in gen.generate("Acme Widgets Ltd", "GB")]
    assert "https://acmewidgets.co.uk" not in urls and "https://acmewidgets.com" in urls


def test_suffix_setting_appended() -> None:
    gen = CandidateGenerator(Settings({"ECOMSTAT_CANDIDATE_SUFFIX": ".test"}, environ={}))
    urls = [c.url for c in gen.generate("Müller Bäckerei GmbH", "DE")]
    assert all(u.endswith(".test") for u in urls)
    assert "https://mueller-baeckerei.de.test" in urls


def test_cli_candidates_json_lines(tmp_path: Path) -> None:
    src = tmp_path / "firms.csv"
    src.write_text("id,name,country,email,city\n"
                   "1,Müller Bäckerei GmbH,Germany,info@mueller-brot.de,Berlin\n"
                   "2,Loja do Zé Ltda,br,,\n", "utf-8")
    result = runner.invoke(app, ["register", "candidates", str(src)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["1", "2"]
    assert lines[0]["candidates"][0] == "https://mueller-brot.de"
    assert "https://loja-do-ze.com.br" in lines[1]["candidates"]

    as_csv = runner.invoke(app, ["register", "candidates", str(src), "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["id"], r["candidate"]) for r in rows] == [
        (line["id"], url) for line in lines for url in line["candidates"]]
    assert [r["rank"] for r in rows if r["id"] == "2"][:3] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,name\n1,Acme\n", "missing required column"),
        ("id,name,country\n1,,DE\n", "line 2, column name"),
        ("id,name,country\n1,A,DE\n1,B,DE\n", "duplicate id"),
        ("", "empty"),
    ],
)
def test_cli_candidates_bad_input(tmp_path: Path, content: str, message: str) -> None:
    src = tmp_path / "bad.csv"
    src.write_text(content, "utf-8")
    result = runner.invoke(app, ["register", "candidates", str(src)])
    assert result.exit_code == 2
    assert message in str(result.exception) or message in result.output
    assert result.stdout.strip() == ""  # nothing half-printed
