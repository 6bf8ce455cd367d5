"""Facts from pages: validated VAT/company ids, E.164 phones, e-mail domains, postcodes."""

from __future__ import annotations

import pytest

from ecomstat.register.extract import extract_site_facts, id_keys, normalise_phone, page_priority
from ecomstat.register.parked import parked_reason


def _facts(text: str, country: str, url: str = "http://x.test/impressum", **page):
    return extract_site_facts([{"url": url, "text": text, **page}], country, "x.test")


@pytest.mark.parametrize(("text", "country", "vat"), [
    ("USt-IdNr.: DE 136 695 976", "DE", "DE136695976"),
    ("Partita IVA IT00743110157 - tutti i diritti", "IT", "IT00743110157"),
    ("TVA intracommunautaire : FR 40 303 265 045", "FR", "FR40303265045"),
    ("BTW-nummer NL004495445B01", "NL", "NL004495445B01"),
    ("NIP: PL8567346215", "PL", "PL8567346215"),
    ("CIF ESB58378431", "ES", "ESB58378431"),
    ("UID-Nr. ATU13585627", "AT", "ATU13585627"),
    ("VAT Reg No GB 980 7806 84", "GB", "GB980780684"),
])
def test_prefixed_vat_ids_validated(text: str, country: str, vat: str) -> None:
    assert vat in _facts(text, country).vat_ids


def test_invalid_check_digit_rejected() -> None:
    facts = _facts("USt-IdNr.: DE 136 695 977", "DE")
    assert facts.vat_ids == set()


@pytest.mark.parametrize(("text", "country", "company_id"), [
    ("CNPJ: 11.222.333/0001-81", "BR", "11222333000181"),
    ("NPWP 01.300.066.6-091.000", "ID", "013000666091000"),
    ("P.IVA 00743110157", "IT", "IT00743110157"),
    ("Company No. 01234567, registered in England", "GB", "01234567"),
])
def test_national_ids(text: str, country: str, company_id: str) -> None:
    facts = _facts(text, country)
    assert company_id in facts.company_ids | facts.vat_ids
    assert id_keys(company_id) & facts.id_keys()


def test_id_keywords_start_a_word() -> None:
    # "Oregon 97401" read as the Polish REGON keyword gave a company id "97401" (real page)
    assert _facts("296 E. Fifth Avenue, Eugene, Oregon 97401", "US").company_ids == set()
    assert _facts("Great area 12345678, uniform 87654321", "GB").company_ids == set()
    assert "123456785" in _facts("REGON 123456785", "PL").company_ids


def test_invalid_cnpj_rejected() -> None:
    assert "11222333000182" not in _facts("CNPJ: 11.222.333/0001-82", "BR").company_ids


def test_phones_in_e164_from_text_and_tel_links() -> None:
    facts = _facts("Telefon: 030 12345678 · Fax +49 (0)30 1234567-9", "DE",
                   links=[{"url": "tel:+49-89-123456"}])
    assert "+493012345678" in facts.phones
    assert "+4989123456" in facts.phones
    assert normalise_phone("(030) 123 456 78", "DE") == "+493012345678"
    assert normalise_phone("not a phone", "DE") is None


def test_postcodes_emails_and_structured_data() -> None:
    facts = _facts("Müller GmbH, Hauptstraße 5, 10115 Berlin. HRB 12345 B. info@mueller.de", "DE",
                   structured_data={"json-ld": [{"@type": "LocalBusiness", "name": "Müller GmbH",
                                                 "address": {"@type": "PostalAddress", "postalCode": "10117",
                                                             "streetAddress": "Hauptstraße 5"}}]})
    assert facts.postcodes == {"10115", "10117"}  # the register number is not a postcode
    assert facts.postcode_order[0] == "10117"  # structured data first
    assert facts.email_domains == {"mueller.de"}
    assert facts.names[0] == "Müller GmbH"
    assert "hauptstrasse 5" in facts.legal_text
    gb = _facts("12 High Street, London SW1A 1AA", "GB")
    assert "SW1A1AA" in gb.postcodes
    pl = _facts("ul. Długa 5, 00-950 Warszawa", "PL")
    assert "00950" in pl.postcodes


def test_legal_pages_first() -> None:
    assert page_priority("http://x.de/impressum") == 0
    assert page_priority("http://x.de/en/contact-us") == 0
    assert page_priority("http://x.de/") == 1
    assert page_priority("http://x.de/products/5") == 2
    # phones are read from legal pages and the home page, not from product pages
    facts = extract_site_facts([{"url": "http://x.de/products/5", "text": "Hotline 030 99999999"}], "DE")
    assert facts.phones == set()


def test_parked_detection() -> None:
    assert parked_reason("This domain may be for sale. Make an offer!")
    assert parked_reason("Diese Domain kann gekauft werden")
    assert parked_reason("Ce nom de domaine est à vendre")
    assert parked_reason("", "https://www.sedoparking.com/x")
    assert parked_reason("Welcome to our bakery in Berlin, fresh bread daily") is None
    # the regex runs only where a trigger word is (case-insensitive, accents kept)
    assert parked_reason("ESTE DOMÍNIO ESTÁ À VENDA")
    assert parked_reason("Related Searches: cheap flights")
    assert parked_reason("Deze domeinnaam is te koop")
