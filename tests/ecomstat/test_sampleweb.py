"""The sample web's population and files: determinism, layouts, identifiers, realism."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
from anyascii import anyascii
from stdnum import get_cc_module
from stdnum.br import cnpj
from stdnum.id import npwp
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.errors import BadInput
from ecomstat.sampleweb import generate, write_population
from ecomstat.sampleweb.server import SampleWeb

REGISTER_HEADER = ("id,name,legal_form,address,postcode,city,country,region,nace,employees,"
                   "size_class,vat_id,company_id,phone,email,url,weight").split(",")
TRUTH_HEADER = ("id,has_website,true_url,site_status,web_sales,marketplace,social_media,"
                "online_booking,job_ads,needs_js,language,platform,true_name,true_address,"
                "true_postcode,true_city,true_phone,true_vat_id,contradicted_fields,"
                "url_in_register,discoverable").split(",")
SIZE_BOUNDS = {"0-9": (0, 9), "10-49": (10, 49), "50-249": (50, 249), "250+": (250, 10**7)}


@pytest.fixture(scope="module")
def population():
    return generate(n=300, seed=7)


@pytest.fixture(scope="module")
def files(population, tmp_path_factory) -> dict[str, Path]:
    return write_population(population, tmp_path_factory.mktemp("sampleweb"))


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    write_population(generate(80, seed=1), tmp_path / "a")
    write_population(generate(80, seed=1), tmp_path / "b")
    write_population(generate(80, seed=2), tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a")["register.csv"] != _digest(tmp_path / "c")["register.csv"]
    # served pages are part of the promise too
    web_a, web_b = SampleWeb(generate(80, seed=1)), SampleWeb(generate(80, seed=1))
    for host in web_a.population.live_hostnames():
        for target in ("/", "/robots.txt"):
            assert web_a.respond(host, target) == web_b.respond(host, target)


_DIGEST_SCRIPT = """
import hashlib, pathlib, sys, tempfile
from ecomstat.sampleweb import generate, write_population
from ecomstat.sampleweb.server import SampleWeb
population = generate(60, seed=5)
folder = tempfile.mkdtemp()
write_population(population, folder)
digest = hashlib.sha256()
for path in sorted(pathlib.Path(folder).glob("*.csv")):
    digest.update(path.read_bytes())
web = SampleWeb(population)
for host in population.live_hostnames():
    digest.update(web.respond(host, "/").body)
print(digest.hexdigest())
"""


def test_same_bytes_across_processes_whatever_the_hash_seed() -> None:
    digests = set()
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run([sys.executable, "-c", _DIGEST_SCRIPT], capture_output=True,
                                text=True, env=env, check=True)
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def test_prefix_of_a_larger_population_is_the_smaller_one() -> None:
    small, large = generate(40, seed=3), generate(120, seed=3)
    assert [r.as_row() for r in small.register] == [r.as_row() for r in large.register[:40]]


def test_files_have_the_documented_columns(population, files) -> None:
    header, rows = _read(files["register"])
    assert header == REGISTER_HEADER
    assert len(rows) == population.n == len({r["id"] for r in rows})
    truth_header, truth = _read(files["truth"])
    assert truth_header == TRUTH_HEADER
    assert [t["id"] for t in truth] == [r["id"] for r in rows]
    assert _read(files["audit"])[0] == ["enterprise_id", "web_sales"]


def test_register_rows_are_valid_register_data(files) -> None:
    _, rows = _read(files["register"])
    for row in rows:
        assert row["name"] and re.fullmatch(r"[A-Z]{2}", row["country"])
        assert re.fullmatch(r"\d\d\.\d\d", row["nace"]), row["nace"]
        low, high = SIZE_BOUNDS[row["size_class"]]
        assert low <= int(row["employees"]) <= high
        assert float(row["weight"]) > 0
        if row["url"]:
            assert re.fullmatch(r"http://[a-z0-9.-]+\.test/", row["url"]), row["url"]
        if row["email"]:
            assert re.fullmatch(r"[^@\s]+@[a-z0-9.-]+\.[a-z]+", row["email"]), row["email"]
        if row["phone"]:
            number = phonenumbers.parse(row["phone"], row["country"])
            assert phonenumbers.is_valid_number(number), row["phone"]


def _vat_valid(country: str, value: str) -> bool:
    if country == "BR":
        return cnpj.is_valid(value)
    if country == "ID":
        return npwp.is_valid(value)
    return get_cc_module(country.lower(), "vat").is_valid(value)


def test_vat_ids_have_valid_check_digits(files) -> None:
    _, rows = _read(files["register"])
    _, truth = _read(files["truth"])
    checked = Counter()
    for row, true in zip(rows, truth):
        assert _vat_valid(row["country"], true["true_vat_id"]), true["true_vat_id"]
        if row["vat_id"]:
            assert _vat_valid(row["country"], row["vat_id"]), row["vat_id"]
            checked[row["country"]] += 1
    assert len(checked) >= 10  # all schemes exercised, not just one


def test_population_is_varied_like_an_economy(population) -> None:
    register = population.register
    assert {r.nace[:2] for r in register} >= {"10", "25", "43", "47", "49", "55", "56", "62", "69"}
    assert set(Counter(r.size_class for r in register)) == set(SIZE_BOUNDS)
    assert len({site.language for site in population.sites.values()}) == 9
    kinds = Counter(site.kind for site in population.sites.values())
    for kind in ("shopify", "woocommerce", "magento", "handmade", "spa", "service", "restaurant",
                 "hotel", "manufacturer", "marketplace", "parked"):
        assert kinds[kind] > 0, kind
    statuses = Counter(t.site_status for t in population.truth)
    assert set(statuses) == {"live", "redirect", "dead", "parked", "none"}
    truth = population.truth
    assert any(t.contradicted_fields for t in truth)
    assert any(t.has_website and not t.url_in_register for t in truth)
    assert any(r.email and not r.url and t.has_website for r, t in zip(register, truth))
    assert any(t.has_website and not t.discoverable for t in truth)


def _candidate_labels(name: str, legal_form: str) -> set[str]:
    """URL discovery's usual rules, re-implemented independently of the generator."""
    base = name.replace(legal_form, " ").replace("PT ", " ").replace(" Tbk", " ")
    german = base.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    out = set()
    for variant in (base, german):
        words = [w for w in re.split(r"[^a-z0-9]+", anyascii(variant).lower().replace("'", ""))
                 if w and w not in {"und", "and", "et", "e", "y", "i", "en"}]
        out |= {"".join(words), "-".join(words)}
    return out


def test_most_domains_derive_from_the_name_some_from_email_only(population) -> None:
    truth, register = population.truth, population.register
    live = [(r, t) for r, t in zip(register, truth) if t.has_website]
    from_name = 0
    for row, true in live:
        label = re.sub(r"^http://(www\.)?", "", true.true_url).split(".")[0]
        if label in _candidate_labels(row.name, row.legal_form):
            from_name += 1
        elif true.discoverable:  # then the register's e-mail reveals the domain
            assert row.email.split("@")[-1] in true.true_url, (row, true)
    assert from_name / len(live) > 0.7


def test_contradictions_are_real_and_only_where_declared(population) -> None:
    for row, true in zip(population.register, population.truth):
        fields = set(true.contradicted_fields)
        assert fields <= {"address", "postcode", "phone", "legal_form", "vat_id"}
        assert (row.address != true.true_address) == ("address" in fields)
        assert (row.postcode != true.true_postcode) == ("postcode" in fields)
        if "vat_id" in fields:
            assert row.vat_id and row.vat_id != true.true_vat_id
        elif row.vat_id:
            assert row.vat_id == true.true_vat_id
        if "phone" in fields:
            parsed = phonenumbers.parse(row.phone, row.country)
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != true.true_phone


def test_audit_sample_comes_from_the_truth(population, files) -> None:
    _, audit = _read(files["audit"])
    truth = population.truth_by_id()
    with_site = sum(t.has_website for t in population.truth)
    assert 0.12 * with_site < len(audit) < 0.4 * with_site
    for row in audit:
        assert truth[row["enterprise_id"]].has_website
        assert row["web_sales"] == ("1" if truth[row["enterprise_id"]].web_sales else "0")


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput):
        generate(0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BadInput):
        write_population(generate(5), blocker)
    assert blocker.read_text() == "x"


def test_cli_generate_writes_files_and_reports_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["sample-web", "generate", "--n", "25", "--seed", "4",
                                 "--out", str(tmp_path / "out"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"n": 25' in result.output
    _, rows = _read(tmp_path / "out" / "register.csv")
    assert len(rows) == 25
    bad = runner.invoke(app, ["sample-web", "generate", "--n", "0", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert not (tmp_path / "x").exists()
