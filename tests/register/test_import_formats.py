"""Register files as offices really send them: other encodings and delimiters, other headers
(mapping files), odd URL spellings; plus the shipped code lists against their source."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.urls import canonicalize_url, registered_domain, site_root
from ecomstat.register.countries import country_names
from ecomstat.register.csvsniff import scan_file, sniff_delimiter
from ecomstat.register.errors import InvalidMapping, InvalidRegister, InvalidRows
from ecomstat.register.importer import import_register
from ecomstat.register.nace import lookup_nace, nace_codes
from ecomstat.register.validate_rows import website_of
from ecomstat.store.models import Enterprise

runner = CliRunner()
ROWS = "id{d}name{d}country{d}nace{d}employees\nG1{d}Café Müller{d}DE{d}56.10{d}4\nG2{d}Ørsted Søn{d}DK{d}4791{d}30\n"


def names(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Enterprise.id, Enterprise.name)).all())


@pytest.mark.parametrize(
    ("encoding", "prefix", "delimiter", "detected"),
    [
        ("utf-8", b"", ",", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", ";", "utf-8-sig"),
        ("cp1252", b"", "\t", "cp1252"),
        ("utf-16", b"", "|", "utf-16"),  # Python writes the BOM
    ],
)
def test_encodings_and_delimiters_are_sniffed(
    sqlite_engine: Engine, tmp_path: Path, encoding: str, prefix: bytes, delimiter: str,
    detected: str,
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(prefix + ROWS.format(d=delimiter).encode(encoding))
    summary = import_register(sqlite_engine, path)
    assert (summary.encoding, summary.delimiter, summary.rows) == (detected, delimiter, 2)
    assert names(sqlite_engine) == {"G1": "Café Müller", "G2": "Ørsted Søn"}


def test_declared_encoding_is_used_and_checked(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(ROWS.format(d=",").encode("latin-1") + b"G3,\x81ber,DE,4791,5\n")
    with pytest.raises(InvalidRegister, match=r"byte 0x81 at offset \d+ is neither UTF-8 nor cp1252"):
        import_register(sqlite_engine, path)
    summary = import_register(sqlite_engine, path, encoding="latin-1")
    assert summary.encoding == "iso8859-1" and names(sqlite_engine)["G3"] == "\x81ber"
    offset = path.read_bytes().index(0xE9)  # the first non-UTF-8 byte: é of Café in latin-1
    with pytest.raises(InvalidRegister, match=rf"byte 0xe9 at offset {offset} cannot be decoded as utf-8$"):
        import_register(sqlite_engine, path, encoding="utf-8", snapshot="x")


def test_scan_reports_binary_offset_and_hashes(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"id,name\n" * 200_000 + b"a\x00b")
    with pytest.raises(InvalidRegister, match=r"NUL byte at offset 1600001\)"):
        scan_file(path)
    path.write_bytes(b"id,name\nx,y\n")
    facts = scan_file(path)
    assert facts.size == 12 and facts.encoding == "utf-8" and len(facts.sha256) == 64


def test_sniffing_prefers_the_consistent_delimiter() -> None:
    sample = "id;name;nace\n1;Smith, Jones & Co;4791\n2;A, B;4791\n"
    assert sniff_delimiter(sample) == ";"
    assert sniff_delimiter("id,name,nace\n1,\"Smith; Jones\",4791\n") == ","
    assert sniff_delimiter("just one column\nvalue\n") is None


def test_quoted_multiline_values_keep_line_numbers(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        'id,name,address,country,nace,employees\n'
        'H1,Firm,"Main St 1\nBuilding B\n3rd floor",DE,4791,5\n'
        'H2,Other,,DE,47.999,5\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidRows) as caught:
        import_register(sqlite_engine, path)
    assert caught.value.problems == [f"{path}, line 5, column nace: '47.999' is not a NACE Rev.2 code"]


def test_mapping_file_maps_headers_values_and_defaults(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    register = tmp_path / "kvk.csv"
    register.write_text(
        "KVK_NR;HANDELSNAAM;SBI;GK_KLASSE;WEBSITE;EXTRA\n"
        "K1;Bakkerij de Vries;1071;1;www.devries.nl;x\n"
        "K2;Fietsen BV;4764;3;;y\n",
        encoding="cp1252",
    )
    mapping = tmp_path / "kvk.toml"
    mapping.write_text(
        'encoding = "cp1252"\ndelimiter = ";"\n'
        '[columns]\nid = "kvk_nr"\nname = "HANDELSNAAM"\nnace = "SBI"\nsize_class = "GK_KLASSE"\n'
        'url = "WEBSITE"\n'
        '[values.size_class]\n"1" = "0-9"\n"2" = "10-49"\n"3" = "50-249"\n"4" = "250+"\n'
        '[defaults]\ncountry = "NL"\n',
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["--db", sqlite_url, "register", "import", str(register), "--mapping", str(mapping),
              "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ignored_columns"] == ["EXTRA"] and summary["encoding"] == "cp1252"
    with sqlite_engine.connect() as conn:
        stored = {r.id: r for r in conn.execute(select(Enterprise.__table__))}
    assert (stored["K1"].nace, stored["K1"].size_class, stored["K1"].country) == ("10.71", "0-9", "NL")
    assert (stored["K2"].nace_section, stored["K2"].size_class) == ("G", "50-249")

    # a mapped column shows under the file's header name in errors
    register.write_text("KVK_NR;HANDELSNAAM;SBI;GK_KLASSE;WEBSITE\nK3;X;9999;1;\n", encoding="cp1252")
    with pytest.raises(InvalidRows, match=r"line 2, column SBI \(nace\): '9999' is not a NACE"):
        import_register(sqlite_engine, register, mapping=mapping)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[columns]\nnaam = "NAAM"\n', r"\[columns\] names unknown columns naam"),
        ('colums = 1\n', r"unknown keys colums"),
        ('[columns\n', r"not a valid TOML mapping file"),
        ('delimiter = ";;"\n', r"delimiter must be one character"),
        ('encoding = "klingon"\n', r"unknown encoding 'klingon'"),
        ('[columns]\nnace = "SBI_CODE"\n', r"maps nace to column 'SBI_CODE', which the header does not have"),
    ],
)
def test_bad_mapping_files_are_refused(
    sqlite_engine: Engine, tmp_path: Path, toml: str, message: str
) -> None:
    register = tmp_path / "r.csv"
    register.write_text(ROWS.format(d=","), encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(toml, encoding="utf-8")
    with pytest.raises(InvalidRegister, match=message):
        import_register(sqlite_engine, register, mapping=mapping)
    assert names(sqlite_engine) == {}
    assert issubclass(InvalidMapping, InvalidRegister)


URLS = [
    "www.Firm.de", "https://shop.example.co.uk:443/a?b=1#c", "http://x.de:8080/path",
    "HTTPS://WWW.EXAMPLE.COM", "http://Sub.Domain.example.com.au/", "example.com:80",
    "https://bäckerei-müller.de/shop", "www.müller.at", "http://192.0.2.10/", "firm.de.test/x",
    # public-suffix wildcards and exceptions, private suffixes, deep names
    "www.city.kawasaki.jp", "shop.foo.kawasaki.jp", "a.b.ck", "www.ck", "x.github.io",
    "a.b.c.d.co.id", "http://sample-shop.de.test:8123/x",
]


@pytest.mark.parametrize("url", URLS)
def test_fast_website_root_equals_the_shared_canonical_form(url: str) -> None:
    website = website_of(url)
    absolute = url if "://" in url else f"http://{url}"
    expected = site_root(canonicalize_url(absolute))
    assert website is not None and website.url == expected
    assert website.domain == registered_domain(expected)


@pytest.mark.parametrize("text", ["ftp://x.de", "not a url", "http://", "localhost", "x..de",
                                  "http://x.de:99999/", "mailto:a@b.de", "-bad-.de"])
def test_non_web_addresses_are_refused(text: str) -> None:
    assert website_of(text) is None


def test_nace_spellings() -> None:
    assert lookup_nace("4791").code == lookup_nace(" 47.91 ").code == "47.91"
    assert (lookup_nace("479").code, lookup_nace("47").code, lookup_nace("g").code) == ("47.9", "47", "G")
    assert lookup_nace("01.11").section == "A" and lookup_nace("99").section == "U"
    for bad in ("47.999", "4798", "Z", "47.", "", "479100"):
        assert lookup_nace(bad) is None


def test_shipped_code_lists_match_their_sources(shared_data: Path) -> None:
    source = shared_data / "classifications" / "nace_rev2" / "NACE_REV2_en.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert {r[1].strip(): r[2].strip() for r in rows} == {
        code: entry.title for code, entry in nace_codes().items()}
    levels = [entry.level for entry in nace_codes().values()]
    assert [levels.count(level) for level in (1, 2, 3, 4)] == [21, 88, 272, 615]
    codes = country_names()
    assert len(codes) == 249 and {"DE", "GR", "GB", "ID", "BR"} <= set(codes)
    assert not {"EL", "UK"} & set(codes)


def test_header_quirks(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,Name,name,country,nace,employees\nI1,a,b,DE,4791,3\n", encoding="utf-8")
    with pytest.raises(InvalidRegister, match=r"line 1: column 'name' appears twice \(columns 2 and 3\)"):
        import_register(sqlite_engine, path)
    path.write_bytes(b"\xef\xbb\xbf \n\t\n")
    with pytest.raises(InvalidRegister, match=r"r\.csv is empty"):
        import_register(sqlite_engine, path)
    # BOM read under a declared utf-8, upper-case headers, trailing delimiters, blank lines
    path.write_bytes(b"\xef\xbb\xbfID;NAME;COUNTRY;NACE;EMPLOYEES;\n\nI1;a;DE;4791;3;\n;;;;;\nI2;b;DE;4791;300;;\n")
    summary = import_register(sqlite_engine, path, encoding="utf-8")
    assert summary.rows == 2 and names(sqlite_engine) == {"I1": "a", "I2": "b"}
    path.write_text("id,name,country,nace,employees\nI3,c,DE,4791,3,extra\n", encoding="utf-8")
    with pytest.raises(InvalidRows, match=r"line 2: has 6 fields, the header has 5"):
        import_register(sqlite_engine, path)


def test_fast_registered_domain_agrees_with_the_shared_one_on_every_kind_of_suffix() -> None:
    """Hosts built on a seeded sample of the public-suffix rules (plain, wildcard, exception),
    with and without subdomains and the sample web's `.test` wrapper."""
    import random

    import tldextract

    from ecomstat.register.validate_rows import _registered_domain

    rules = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None).tlds
    rng = random.Random(7)
    for i, rule in enumerate(rng.sample(rules, 1500)):
        base = rule.lstrip("!*.")
        for host in (base, f"firm{i}.{base}", f"www.firm{i}.{base}", f"shop.firm{i}.{base}.test"):
            assert _registered_domain(host) == registered_domain(host), host
