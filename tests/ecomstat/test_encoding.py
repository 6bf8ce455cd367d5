"""The one HTML decoder (`ecomstat.encoding`), on golden bytes, and the components that use it."""

from __future__ import annotations

import codecs

import pytest

from ecomstat.classifiers.html import parse_html
from ecomstat.encoding import decode_html
from ecomstat.spiders.spiders import enterprise_site, url_probe

TEXT = "Größe: Préférence – 12,99 € „Angebot“"
CP1252 = TEXT.encode("cp1252")  # 0x80 is €, 0x96 is –, 0x84/0x93 the German quotes


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO-8859-1", "latin1", "l1", "us-ascii",
                                   "windows-1252", "cp1252"])
def test_latin1_declarations_mean_windows_1252(label: str) -> None:
    """WHATWG: these labels are windows-1252, so 0x80-0x9F are letters and signs, not C1
    control characters (Python's latin-1 codec gave '\\x80' for the euro sign)."""
    by_header = decode_html(CP1252, f"text/html; charset={label}")
    by_meta = decode_html(f'<meta charset="{label}">'.encode() + CP1252)
    assert by_header.text == TEXT and by_header.encoding == "cp1252"
    assert by_meta.text.endswith(TEXT)
    assert not any("\x80" <= ch <= "\x9f" for ch in by_header.text + by_meta.text)


def test_valid_utf8_wins_over_a_latin1_declaration() -> None:
    body = TEXT.encode("utf-8")
    assert decode_html(body, "text/html; charset=iso-8859-1") == (TEXT, "utf-8", True)
    assert decode_html(b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
                       + body).text.endswith(TEXT)


def test_a_false_utf8_declaration_falls_through_to_the_bytes() -> None:
    decoded = decode_html(b'<meta charset="utf-8"><p>' + CP1252, "text/html; charset=utf-8")
    # (cp1250 spells these letters with the same bytes, so the guess may name either)
    assert decoded.text.endswith(TEXT) and decoded.encoding in ("cp1252", "cp1250")


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                        (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_a_byte_order_mark_decides(bom: bytes, codec: str) -> None:
    decoded = decode_html(bom + TEXT.encode(codec), "text/html; charset=iso-8859-1")
    assert decoded.text == TEXT and not decoded.exact_utf8


def test_declared_legacy_encodings_are_used() -> None:
    polish = "Zażółć gęślą jaźń, cena 12 zł"
    assert decode_html(polish.encode("iso-8859-2"), "text/html; charset=iso-8859-2").text == polish
    japanese = "ご注文はこちら"
    assert decode_html(japanese.encode("shift_jis"), "text/html; charset=Shift_JIS").text == japanese


def test_unknown_labels_and_garbage_never_raise() -> None:
    assert decode_html(b"") == ("", "utf-8", False)
    assert decode_html(CP1252, "text/html; charset=no-such-thing").text == TEXT
    assert isinstance(decode_html(bytes(range(256)) * 10).text, str)


def test_every_component_decodes_alike() -> None:
    """The crawler and the classifiers read the same bytes as the same text."""
    assert enterprise_site.decode_html is decode_html and url_probe.decode_html is decode_html
    page = parse_html(b"<html><body><p>" + CP1252 + b"</p></body></html>", "http://a.test/",
                      "text/html; charset=iso-8859-1")
    assert TEXT in page.text
