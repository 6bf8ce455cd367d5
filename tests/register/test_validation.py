"""Validation findings and the register-staff worklist, end to end through the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecomstat.cli import app
import register_sites_data as sites_data
from ecomstat.store.models import ValidationFinding, Website


runner = CliRunner()


def _run(url: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", url, "register", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _findings(engine: Engine) -> dict[tuple[str, str], ValidationFinding]:
    with Session(engine) as session:
        return {(f.enterprise_id, f.field): f for f in session.scalars(select(ValidationFinding))}


def test_findings_and_report(engine: Engine, tmp_path: Path) -> None:
    sites_data.populate(engine)
    with Session(engine) as session, session.begin():  # E3's e-mail domain was found dead
        session.add(Website(url="http://schmidt-transporte.de.test/", domain="schmidt-transporte.de.test",
                            enterprise_id="E3", found_by="email", status="dead"))
    url = engine.url.render_as_string(hide_password=False)
    _run(url, "match")
    summary = json.loads(_run(url, "validate", "--format", "json"))
    assert summary["enterprises"] == 3
    findings = _findings(engine)

    assert findings[("E1", "website")].verdict == "confirmed"
    for field in ("vat_id", "phone", "postcode", "address", "name"):
        assert findings[("E1", field)].verdict == "confirmed", field
    assert findings[("E1", "vat_id")].evidence_url.endswith("/impressum")

    assert findings[("E2", "website")].verdict == "confirmed"
    assert findings[("E2", "vat_id")].verdict == "confirmed"
    postcode = findings[("E2", "postcode")]
    assert (postcode.verdict, postcode.register_value, postcode.web_value) == ("contradicted", "00100", "00185")
    assert postcode.evidence_url.endswith("/contatti")
    phone = findings[("E2", "phone")]
    assert (phone.verdict, phone.web_value) == ("contradicted", "+39062222222")
    assert findings[("E2", "address")].verdict == "confirmed"

    assert findings[("E3", "website")].verdict == "dead"

    # idempotent: the same findings again, no duplicates
    _run(url, "validate")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ValidationFinding)) == len(findings)

    out = tmp_path / "worklist.csv"
    assert "wrote" in _run(url, "report", "--out", str(out), "--all")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == len(findings)
    assert rows[0]["verdict"] == "contradicted"  # actionable first
    confidences = [float(r["confidence"]) for r in rows if r["verdict"] == "contradicted"]
    assert confidences == sorted(confidences, reverse=True)
    html_out = tmp_path / "worklist.html"
    _run(url, "report", "--out", str(html_out), "--verdict", "contradicted")
    text = html_out.read_text("utf-8")
    assert "00185" in text and "<table>" in text and "confirmed</td>" not in text


def test_report_bad_input_leaves_nothing(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    for args, message in ((["--out", str(tmp_path / "x.pdf")], ".csv or .html"),
                          (["--out", str(tmp_path / "x.csv"), "--verdict", "wrong"], "unknown verdict"),
                          (["--out", str(tmp_path / "nodir" / "x.csv")], "does not exist")):
        result = runner.invoke(app, ["--db", url, "register", "report", *args])
        assert result.exit_code == 2
        assert message in str(result.exception) + result.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("x.")]


def test_field_findings_brazil_cnpj_and_legal_form() -> None:
    from ecomstat.register.extract import extract_site_facts
    from ecomstat.register.features import RegisterRecord
    from ecomstat.register.validation import field_findings

    rec = RegisterRecord(id="B1", name="Oliveira Construções Ltda", country="BR",
                         vat_id="11222333000181", legal_form="Ltda", address="Avenida Brasil 87",
                         postcode="20660-139", phone="(21) 4084-6962")
    page = {"url": "http://x.com.br/aviso-legal",
            "text": "Oliveira Construções EIRELI · Avenida Brasil 87 · 20660-139 Rio de Janeiro · "
                    "Tel (21) 4084-6962 · CNPJ 82.116.465/0001-77"}
    facts = extract_site_facts([page], "BR", "x.com.br")
    found = {f.field: f for f in field_findings(rec, facts, 0.9)}
    assert (found["vat_id"].verdict, found["vat_id"].web_value) == ("contradicted", "82116465000177")
    assert found["phone"].verdict == "confirmed"
    assert found["postcode"].verdict == "confirmed"
    assert (found["legal_form"].verdict, found["legal_form"].web_value) == ("contradicted", "eireli")
    assert found["vat_id"].evidence_url == "http://x.com.br/aviso-legal"


@pytest.mark.parametrize("value, safe", [
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("@SUM(A1)", "'@SUM(A1)"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd", "'-2+3+cmd"), ("\tx", "'\tx"),
    ("+49 30 1234567", "+49 30 1234567"), ("+49 (0)30-123/45", "+49 (0)30-123/45"),
    ("-12.5", "-12.5"), ("Müller GmbH", "Müller GmbH"), (None, None), (0.93, 0.93)])
def test_worklist_csv_cells_cannot_run_as_formulas(value: object, safe: object) -> None:
    from ecomstat.register.report import spreadsheet_safe

    assert spreadsheet_safe(value) == safe
