"""Audit of issue 5, part 2: ids are validated or dropped, and `register match` refuses a bad
threshold or model file with one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.register.extract import extract_site_facts

runner = CliRunner()


def _ids(text: str, country: str) -> tuple[set[str], set[str]]:
    facts = extract_site_facts([{"url": "http://x.test/impressum", "text": text}], country, "x.test")
    return facts.vat_ids, facts.company_ids


@pytest.mark.parametrize(("text", "country"), [
    ("USt-IdNr.: DE 136 695 977", "DE"),
    ("Partita IVA IT00743110158", "IT"),
    ("TVA FR 40 303 265 046", "FR"),
    ("UID-Nr. ATU13585628", "AT"),
    ("VAT Reg No GB 980 7806 85", "GB"),
])
def test_a_vat_id_failing_its_check_digits_is_no_id_at_all(text: str, country: str) -> None:
    assert _ids(text, country) == (set(), set())


@pytest.mark.parametrize(("text", "country", "company_id"), [
    ("Company No. SC123456", "GB", "SC123456"), ("Registered number: OC301234", "GB", "OC301234"),
    ("REA: NA-657467", "IT", "NA657467"), ("KvK 12345678", "NL", "12345678"),
])
def test_register_numbers_without_check_digits_still_read(text: str, country: str, company_id: str) -> None:
    assert company_id in _ids(text, country)[1]


@pytest.mark.parametrize(("args", "message"), [
    (["--threshold", "2"], "probability in [0, 1]"),
    (["--threshold", "-0.1"], "probability in [0, 1]"),
    (["--model", "{missing}"], "cannot read match model"),
    (["--model", "{csv}"], "is not JSON"),
    (["--model", "{array}"], "not a match model"),
    (["--model", "{short}"], "finite coefficients"),
])
def test_match_bad_threshold_or_model_is_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    shipped = json.loads((Path(__file__).parents[2] / "register" / "data" / "match_model.json").read_text("utf-8"))
    files = {"missing": tmp_path / "nope.json", "csv": tmp_path / "model.csv", "array": tmp_path / "a.json",
             "short": tmp_path / "short.json"}
    files["csv"].write_text("id,name\n1,x\n", "utf-8")
    files["array"].write_text("[1, 2]", "utf-8")
    files["short"].write_text(json.dumps({**shipped, "coef": shipped["coef"][:-1]}), "utf-8")
    args = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    (tmp_path / "e.db").touch()  # commands refuse a missing store
    db = f"sqlite:///{tmp_path / 'e.db'}"
    result = runner.invoke(app, ["--db", db, "register", "match", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
