"""The register-staff worklist (issue 17 item 4): values as the page writes them, a confidence
that says how sure the contradiction is, grouped by enterprise, sorted and filtered."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.register.validation import validate
from ecomstat.store.models import Enterprise, Page, ValidationFinding, Website

runner = CliRunner()

ENTERPRISES = [
    dict(id="W1", name="Kowalski Sp. z o.o.", legal_form="Sp. z o.o.", address="ul. Marszałkowska 1",
         postcode="00-950", city="Warszawa", country="PL", nace="47.91", nace_section="G",
         size_class="10-49"),
    dict(id="W2", name="Bäckerei Adler GmbH", legal_form="GmbH", address="Ringstraße 4", postcode="80331",
         city="München", country="DE", nace="10.71", nace_section="C", size_class="0-9"),
    dict(id="W3", name="Adler Feinkost GmbH", legal_form="GmbH", address="Ringstraße 4", postcode="80331",
         city="München", country="DE", nace="47.11", nace_section="G", size_class="50-249"),
]
SITES = {
    "W1": ("https://kowalski.pl.test/", [
        ("https://kowalski.pl.test/kontakt", "Kontakt",
         "Kontakt Kowalski Sp. z o.o. ul. Puławska 12, 02-583 Warszawa tel. 22 123 45 67")]),
    # two pages say the other postcode: a surer contradiction than W3's single page
    "W2": ("https://adler-baeckerei.de.test/", [
        ("https://adler-baeckerei.de.test/impressum", "Impressum",
         "Impressum Bäckerei Adler GmbH Lindenallee 7 10115 Berlin Telefon 030 1234567"),
        ("https://adler-baeckerei.de.test/kontakt", "Kontakt",
         "Kontakt Schreiben Sie uns. Lindenallee 7, 10115 Berlin")]),
    "W3": ("https://adler-feinkost.de.test/", [
        ("https://adler-feinkost.de.test/impressum", "Impressum",
         "Impressum Adler Feinkost GmbH Lindenallee 9 10117 Berlin")]),
}


def _populate(engine: Engine) -> str:
    with Session(engine) as session, session.begin():
        for e in ENTERPRISES:
            session.add(Enterprise(**e))
        session.flush()
        for enterprise_id, (root, pages) in SITES.items():
            site = Website(url=root, domain=root.split("//")[1].rstrip("/"), enterprise_id=enterprise_id,
                           status="linked", found_by="register", match_score=0.9)
            session.add(site)
            session.flush()
            for depth, (url, title, text) in enumerate(pages):
                session.add(Page(website_id=site.id, url=url, title=title, text=text, outcome="ok",
                                 http_status=200, depth=depth, links=[], structured_data={}))
    validate(engine)
    return engine.url.render_as_string(hide_password=False)


def _report(url: str, tmp_path: Path, *args: str) -> list[dict[str, str]]:
    out = tmp_path / "worklist.csv"
    result = runner.invoke(app, ["--db", url, "register", "report", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(out.open(encoding="utf-8")))


def _by(rows: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["enterprise_id"], r["field"]): r for r in rows}


def test_values_as_written_and_a_confidence_of_the_contradiction(engine: Engine, tmp_path: Path) -> None:
    url = _populate(engine)
    rows = _by(_report(url, tmp_path))
    # the postcode keeps its separator; the address is street, postcode and city as on the page
    assert rows[("W1", "postcode")]["web_value"] == "02-583"
    assert rows[("W1", "address")]["register_value"] == "ul. Marszałkowska 1, 00-950 Warszawa"
    assert rows[("W1", "address")]["web_value"] == "ul. Puławska 12, 02-583 Warszawa"
    assert rows[("W2", "address")]["web_value"] == "Lindenallee 7, 10115 Berlin"
    # how sure the contradiction is: two agreeing pages beat one; never the bare link (0.9)
    two, one = float(rows[("W2", "postcode")]["confidence"]), float(rows[("W3", "postcode")]["confidence"])
    assert two > one and "2 sources" in rows[("W2", "postcode")]["basis"]
    assert all(float(r["confidence"]) < 0.9 for r in rows.values() if r["verdict"] == "contradicted")


def test_grouped_sorted_and_filtered(engine: Engine, tmp_path: Path) -> None:
    url = _populate(engine)
    rows = _report(url, tmp_path, "--all")
    order = [r["enterprise_id"] for r in rows]
    assert order == sorted(order, key=order.index)  # each enterprise's findings together
    assert len(set(order)) == 3 and any(r["verdict"] == "confirmed" for r in rows)  # --all: confirmations too

    assert {r["field"] for r in _report(url, tmp_path, "--field", "postcode")} == {"postcode"}
    assert {r["enterprise_id"] for r in _report(url, tmp_path, "--nace", "G")} == {"W1", "W3"}
    assert {r["enterprise_id"] for r in _report(url, tmp_path, "--nace", "47.9")} == {"W1"}
    assert {r["enterprise_id"] for r in _report(url, tmp_path, "--size", "0-9")} == {"W2"}
    assert {r["enterprise_id"] for r in _report(url, tmp_path, "--search", "PUŁAWSKA")} == {"W1"}
    by_name = [r["name"] for r in _report(url, tmp_path, "--sort", "name")]
    assert by_name == sorted(by_name)
    by_confidence = list(dict.fromkeys(r["enterprise_id"] for r in _report(url, tmp_path, "--sort", "confidence")))
    best = {}
    for r in _report(url, tmp_path):
        best[r["enterprise_id"]] = max(best.get(r["enterprise_id"], 0.0), float(r["confidence"] or 0))
    assert by_confidence == sorted(best, key=lambda e: (-best[e], e))

    printed = runner.invoke(app, ["--db", url, "register", "report", "--field", "postcode", "--format", "json"])
    assert printed.exit_code == 0, printed.output
    assert {json.loads(line)["web_value"] for line in printed.stdout.splitlines()} == {"02-583", "10115", "10117"}
    for bad in (["--sort", "random"], ["--field", "colour"], ["--size", "huge"]):
        result = runner.invoke(app, ["--db", url, "register", "report", *bad])
        assert result.exit_code == 2 and "unknown" in result.output + str(result.exception)


def test_html_shows_register_and_web_side_by_side(engine: Engine, tmp_path: Path) -> None:
    url = _populate(engine)
    out = tmp_path / "worklist.html"
    result = runner.invoke(app, ["--db", url, "register", "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert "<td>ul. Marszałkowska 1, 00-950 Warszawa</td><td>ul. Puławska 12, 02-583 Warszawa</td>" in text
    assert text.count('class="enterprise"') == 3 and "register says" in text


def test_chunks_give_the_same_findings(engine: Engine) -> None:
    _populate(engine)

    def snapshot() -> set[tuple]:
        with Session(engine) as session:
            return {(f.id, f.enterprise_id, f.field, f.verdict, f.web_value, f.confidence)
                    for f in session.scalars(select(ValidationFinding))}

    whole = snapshot()
    assert validate(engine, chunk=1).enterprises == 3
    assert snapshot() == whole  # same rows, same ids: updated in place, chunk by chunk


def test_confidence_factors_and_structured_addresses() -> None:
    from ecomstat.register.validation_evidence import confidence, written_address, written_postcode

    # a near miss (a typo) is a weaker contradiction than a clear one; several values on the
    # site make any one of them less sure; a manual link (1) beats a computed one
    assert confidence(link=0.9, sources=1, exact=False, similarity=80) < confidence(
        link=0.9, sources=1, exact=False, similarity=30)
    assert confidence(link=0.9, sources=1, exact=True, alternatives=3) < confidence(link=0.9, sources=1, exact=True)
    assert confidence(link=1.0, sources=3, exact=True) > confidence(link=0.9, sources=3, exact=True)
    page = {"url": "https://x.co.uk.test/contact", "text": "Contact us",
            "structured_data": {"json-ld": [{"@type": "Organization", "address": {
                "@type": "PostalAddress", "streetAddress": "1 High Street", "postalCode": "SW1A 1AA",
                "addressLocality": "London"}}]}}
    assert written_address([page], "GB", "SW1A1AA") == "1 High Street, SW1A 1AA London"
    assert written_postcode([page], "GB", "SW1A1AA") == "SW1A 1AA"
