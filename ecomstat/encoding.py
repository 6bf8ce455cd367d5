"""One HTML decoder for every component: the crawler (page text, URL probes), the classifiers
(stored WARC payloads, `classify page`) and anything else that turns page bytes into text.

Order of evidence, strongest first:
1. a byte-order mark;
2. valid UTF-8: multi-byte UTF-8 sequences are almost never text in another encoding, so bytes
   that decode strictly as UTF-8 are UTF-8 whatever the page declares (a UTF-8 page declared
   `iso-8859-1` would otherwise be stored as `BÃ¤ckerei`);
3. the declared charset, from the HTTP header, then `<meta charset>` / `http-equiv`, resolved
   the way browsers resolve labels (WHATWG Encoding Standard, through `w3lib.encoding`): the most
   common legacy declaration, `iso-8859-1`, means windows-1252, so 0x80 is `€` and 0x96 `–`,
   not C1 control characters. A declaration that does not decode strictly falls through;
4. a charset-normalizer guess; among equally good guesses the code pages web pages are actually
   written in win (a French cp1252 page reads as well in cp1250, whose letters differ);
5. windows-1252 with replacement characters, so every byte string decodes.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom
from w3lib.encoding import resolve_encoding

GUESS_BYTES = 65_536  # charset-normalizer reads this much of a page
DECLARATION_BYTES = 4_096  # where <meta charset> must appear (HTML spec: the first 1024 bytes)
# Legacy encodings of web pages, most common first.
LEGACY_ENCODINGS = ("cp1252", "cp1250", "iso8859_2", "cp1251", "iso8859_15", "cp1257",
                    "cp1253", "cp1254", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr")
_UNICODE_FAMILIES = frozenset({"utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})


class Decoded(NamedTuple):
    text: str
    encoding: str  # the Python codec name used
    exact_utf8: bool  # the bytes are exactly the UTF-8 encoding of `text` (no BOM)


def decode_html(body: bytes, content_type: str | None = None,
                declared: str | None = None) -> Decoded:
    """Decode page bytes (see the module docstring for the order). `content_type` is the HTTP
    Content-Type header; `declared` an encoding label the caller already extracted (e.g. a
    stored page's charset). Never raises."""
    if not body:
        return Decoded("", "utf-8", False)
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        codec = _codec(bom_encoding) or "utf-8"
        return Decoded(body[len(bom):].decode(codec, errors="replace"), codec, False)
    try:
        return Decoded(body.decode("utf-8"), "utf-8", True)
    except UnicodeDecodeError:
        pass
    for label in _declarations(body, content_type, declared):
        codec = _codec(label)
        if codec is None or codec in _UNICODE_FAMILIES:
            continue  # unknown, or a UTF declaration the bytes just contradicted
        try:
            return Decoded(body.decode(codec), codec, False)
        except UnicodeDecodeError:
            continue
    guess = _guess(body)
    if guess is not None:
        return Decoded(body.decode(guess, errors="replace"), guess, False)
    return Decoded(body.decode("cp1252", errors="replace"), "cp1252", False)


def _declarations(body: bytes, content_type: str | None, declared: str | None) -> list[str]:
    labels = [declared] if declared else []
    if content_type:
        header = http_content_type_encoding(content_type)
        if header:
            labels.append(header)
    meta = html_body_declared_encoding(body[:DECLARATION_BYTES])
    if meta:
        labels.append(meta)
    return labels


def _codec(label: str) -> str | None:
    """The Python codec browsers would use for an encoding label, or None when unknown."""
    resolved = resolve_encoding(label.strip().lower())
    if not resolved:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def _guess(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        guesses = from_bytes(body[:GUESS_BYTES])
        best = guesses.best()
    except (LookupError, ValueError):
        return None
    if best is None or not best.encoding:
        return None
    tied = [g.encoding for g in guesses if g.chaos == best.chaos and g.coherence == best.coherence]
    return next((e for e in LEGACY_ENCODINGS if e in tied), best.encoding)
