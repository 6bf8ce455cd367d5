"""Audit of issue 5, part 3: every field the issue names can be reported contradicted, with the
page that says so; a register phone that is no number is contradicted, not 'missing'."""

from __future__ import annotations

from ecomstat.register.extract import extract_site_facts
from ecomstat.register.features import RegisterRecord
from ecomstat.register.validation import field_findings

IMPRINT = "http://mueller.de.test/impressum"


def _findings(rec: RegisterRecord, text: str, structured: dict | None = None) -> dict:
    page = {"url": IMPRINT, "text": text, "structured_data": structured or {}}
    facts = extract_site_facts([page], rec.country, "mueller.de.test")
    return {f.field: f for f in field_findings(rec, facts, 0.93, [page])}


def test_every_field_can_be_contradicted_with_its_evidence_url() -> None:
    rec = RegisterRecord(id="D1", name="Müller Bäckerei GmbH", country="DE", vat_id="DE136695976",
                         legal_form="GmbH", address="Hauptstraße 5", postcode="10115", phone="030 12345678")
    found = _findings(rec, "Impressum: Müller Bäckerei AG, Lindenallee 77, 80331 München. "
                           "Tel 089 7654321. USt-IdNr. DE 811 569 869")
    expected = {"vat_id": "DE811569869", "phone": "+49897654321", "postcode": "80331", "legal_form": "ag"}
    for field, web_value in expected.items():
        assert (found[field].verdict, found[field].web_value) == ("contradicted", web_value), field
    # the address as the page writes it (street, postcode, city), not a text window
    assert (found["address"].verdict, found["address"].web_value) == ("contradicted", "Lindenallee 77, 80331 München")
    # confidence: how sure the contradiction is (one source, exact mismatch), not the link
    assert all(f.evidence_url == IMPRINT and f.basis["link"] == 0.93 for f in found.values())
    assert all(f.confidence < 0.93 for f in found.values())

    other = _findings(rec, "Impressum: Schneider Feinkost GmbH, Hauptstraße 5, 10115 Berlin",
                      {"json-ld": [{"@type": "Organization", "name": "Schneider Feinkost GmbH"}]})
    assert (other["name"].verdict, other["name"].web_value) == ("contradicted", "Schneider Feinkost GmbH")
    assert other["name"].evidence_url == IMPRINT


def test_a_register_phone_that_is_no_number_is_contradicted() -> None:
    text = "Impressum: Müller Bäckerei GmbH, Tel 030 12345678"
    bad = _findings(RegisterRecord(id="D1", name="Müller Bäckerei GmbH", country="DE", phone="12"), text)
    assert (bad["phone"].verdict, bad["phone"].register_value, bad["phone"].web_value) == (
        "contradicted", "12", "+493012345678")
    empty = _findings(RegisterRecord(id="D2", name="Müller Bäckerei GmbH", country="DE"), text)
    assert (empty["phone"].verdict, empty["phone"].register_value) == ("missing", None)
