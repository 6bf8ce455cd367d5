"""Turn raw page bytes (or a stored page row) into a `PageDoc`: the parts of a page the
classifiers look at, extracted once, with every piece capped so a huge page cannot blow up time
or memory.

Parsing uses selectolax's lexbor engine (an HTML5 parser about twice as fast as lxml on shop
pages, which is what lets classification keep up with crawling). Decoding tries, in order: a
BOM, strict UTF-8 (valid multi-byte UTF-8 is almost never another encoding, so it also rescues
pages that declare the wrong charset), the declared charset (HTTP header or <meta>), a
charset-normalizer guess, and finally cp1252 with replacement, so any byte string decodes.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

MAX_HTML_CHARS = 2_000_000  # parse at most this much markup (oversized pages are truncated)
MAX_TEXT_CHARS = 30_000  # visible text kept for the text model and keyword signals
MAX_LINKS = 1_500
MAX_ANCHOR_CHARS = 120
MAX_SCRIPT_SAMPLE = 1_000  # characters kept from the start of each inline script
MAX_SCRIPTS_SAMPLE_TOTAL = 20_000
MAX_JSONLD_CHARS = 200_000

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.\-]+)", re.I)
_ELEMENTS = ("meta, script, link[href], iframe[src], a[href], area[href], form, button, "
             "[role=button], input[type=submit], [itemtype], [typeof]")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text, never raising (see module docstring for the order of guesses)."""
    return _decode(body, content_type)[0]


def _decode(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """(text, whether `body` is exactly the UTF-8 encoding of text, with no BOM)."""
    if not body:
        return "", False
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace"), False
    try:
        return body.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    declared = []
    if content_type and (match := _HEADER_CHARSET.search(content_type)):
        declared.append(match.group(1))
    if match := _META_CHARSET.search(body[:4096]):
        declared.append(match.group(1).decode("ascii", "ignore"))
    for name in declared:
        try:
            codecs.lookup(name)
            if name.lower().replace("-", "") not in {"utf8", "utf16"}:
                return body.decode(name, errors="replace"), False
        except (LookupError, ValueError):
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:65536]).best()
        if best is not None and best.encoding:
            return body.decode(best.encoding, errors="replace"), False
    except (LookupError, ValueError):
        pass
    return body.decode("cp1252", errors="replace"), False


def squash(text: str) -> str:
    # Same as re.sub(r"\s+", " ", text).strip() (re's \s on str is exactly str.isspace),
    # several times faster.
    return " ".join(text.split())


@dataclass
class Link:
    url: str  # the href as written (relative or absolute)
    text: str  # anchor text (or title/aria-label), whitespace-squashed, capped

    def resolve(self, base: str) -> str:
        try:
            return urljoin(base, self.url) if base else self.url
        except ValueError:
            return self.url


@dataclass
class Form:
    action: str
    method: str
    fields: list[str]  # input/select names
    buttons: list[str]  # submit button texts / values


@dataclass
class PageDoc:
    """What the classifiers read from one page. Built by `parse_html` or `from_stored`."""

    url: str = ""
    title: str = ""
    text: str = ""
    lang: str = ""
    links: list[Link] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)  # <button> and clickable-looking texts
    resources: list[str] = field(default_factory=list)  # script/link/iframe URLs
    scripts: str = ""  # start of each inline script, joined (platform/payment fingerprints)
    classes: str = ""  # class attributes of html/body plus ids/classes of forms and buttons
    meta: dict[str, str] = field(default_factory=dict)  # name/property -> content
    jsonld: list[Any] = field(default_factory=list)
    itemtypes: list[str] = field(default_factory=list)  # microdata itemtype / RDFa typeof
    hreflangs: list[str] = field(default_factory=list)
    truncated: bool = False

    @property
    def empty(self) -> bool:
        return not (self.text or self.links or self.jsonld or self.title)


def _attr(node: Any, name: str) -> str:
    value = node.attributes.get(name)
    return value if isinstance(value, str) else ""


def _jsonld(raw: str) -> list[Any]:
    raw = raw.strip()
    if not raw or len(raw) > MAX_JSONLD_CHARS:
        return []
    try:
        data = json.loads(raw, strict=False)
    except ValueError:
        # Frequent real-world damage: trailing commas or HTML comments around the JSON.
        cleaned = re.sub(r",\s*([}\]])", r"\1", raw.replace("<!--", "").replace("-->", ""))
        try:
            data = json.loads(cleaned, strict=False)
        except ValueError:
            return []
    return data if isinstance(data, list) else [data]


def _value(get: Callable[[str], str | None], name: str) -> str:
    value = get(name)
    return value if isinstance(value, str) else ""


def parse_html(html: str | bytes, url: str = "", content_type: str | None = None) -> PageDoc:
    """Parse one page. Never raises on bad markup; an empty page gives an empty PageDoc."""
    source: str | bytes
    if isinstance(html, (bytes, bytearray)):
        body = bytes(html)
        html, utf8 = _decode(body, content_type)
        # Valid UTF-8 goes to the parser as it came: it would re-encode the text to these bytes.
        source = body if utf8 and len(html) <= MAX_HTML_CHARS else html
    else:
        source = html
    doc = PageDoc(url=url)
    if not html.strip():
        return doc
    if len(html) > MAX_HTML_CHARS:
        source, doc.truncated = html[:MAX_HTML_CHARS], True
    tree = LexborHTMLParser(source)
    root = tree.root
    if root is not None and root.tag == "html":
        doc.lang = _attr(root, "lang").strip().lower()
    classes = [_attr(root, "class")] if root is not None else []
    if tree.body is not None:
        classes.append(_attr(tree.body, "class"))

    title = tree.css_first("title")
    doc.title = squash(title.text())[:300] if title is not None else ""
    # One selector pass over the tree (each css() call walks the whole document, so eight
    # separate queries cost more than the parse itself); dispatch on the tag here. Attributes
    # are read one by one (`node.attrs.get`): `node.attributes` builds a dict of all of them
    # on every access, which cost more than the selector pass.
    scripts: list[str] = []
    budget = MAX_SCRIPTS_SAMPLE_TOTAL
    seen: set[str] = set()
    visited: set[int] = set()
    links, buttons, itemtypes = doc.links, doc.buttons, doc.itemtypes
    for node in tree.css(_ELEMENTS):
        mem_id = node.mem_id
        if mem_id in visited:  # a node matching several selectors comes back each time
            continue
        visited.add(mem_id)
        tag = node.tag
        attribute = node.attrs.get
        if attribute("itemtype") or attribute("typeof"):
            if len(itemtypes) < 200:
                kinds = _value(attribute, "itemtype") + " " + _value(attribute, "typeof")
                itemtypes.extend(kinds.split())
        if tag == "a" or tag == "area":
            href = _value(attribute, "href").strip()
            # hrefs stay as written: resolving 1,500 links with urljoin costs more than
            # parsing; the classifiers need paths and, for external links, hosts (`resolve`).
            if href and not href.startswith(("javascript:", "#")) and href not in seen \
                    and len(links) < MAX_LINKS:
                seen.add(href)
                text = (squash(node.text(deep=True)) or _value(attribute, "title")
                        or _value(attribute, "aria-label"))
                links.append(Link(href, text[:MAX_ANCHOR_CHARS]))
        elif tag == "meta":
            key = (_value(attribute, "name") or _value(attribute, "property")
                   or _value(attribute, "itemprop")).lower()
            if key and key not in doc.meta:
                doc.meta[key] = _value(attribute, "content")[:300]
        elif tag == "script":
            src = _value(attribute, "src")
            if src:
                doc.resources.append(src)
            elif "ld+json" in _value(attribute, "type").lower():
                doc.jsonld.extend(_jsonld(node.text()))
            elif budget > 0:
                sample = node.text()[:MAX_SCRIPT_SAMPLE]
                scripts.append(sample)
                budget -= len(sample)
        elif tag == "link" or tag == "iframe":
            href = _value(attribute, "href") or _value(attribute, "src")
            if _value(attribute, "rel").lower() == "alternate" and \
                    (lang := _value(attribute, "hreflang")):
                doc.hreflangs.append(lang.lower())
            if href:
                doc.resources.append(href)
        elif tag == "form":
            if len(doc.forms) < 50:
                fields = [_attr(i, "name") for i in node.css("input, select, textarea")
                          if _attr(i, "name")]
                form_buttons = [squash(b.text() or _attr(b, "value"))[:80]
                                for b in node.css("button, input[type=submit], input[type=image]")]
                doc.forms.append(Form(_value(attribute, "action"),
                                      _value(attribute, "method").lower(),
                                      fields[:60], [b for b in form_buttons if b][:20]))
                classes.append(_value(attribute, "class") + " " + _value(attribute, "id"))
        if tag == "button" or tag == "input" or attribute("role") == "button":
            if len(buttons) < 300:
                label = squash(node.text() or _value(attribute, "value")
                               or _value(attribute, "aria-label"))
                if label:
                    buttons.append(label[:80])
                classes.append(_value(attribute, "class") + " " + _value(attribute, "name"))
    doc.scripts = "\n".join(scripts)
    doc.classes = " ".join(c for c in classes if c)

    tree.strip_tags(["script", "style", "noscript", "template", "svg", "iframe"])
    body = tree.body
    text = body.text(separator=" ") if body is not None else ""
    doc.text = squash(text[: MAX_TEXT_CHARS * 4])[:MAX_TEXT_CHARS]
    return doc


def from_stored(
    url: str,
    *,
    title: str | None = None,
    text: str | None = None,
    links: Iterable[Any] | None = None,
    structured_data: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> PageDoc:
    """A PageDoc from what the crawler stored in the `page` row, for pages whose raw HTML is
    not available. Weaker than parsing the HTML (no forms, scripts or classes), so the
    classifier's evidence says which source it used."""
    doc = PageDoc(url=url, title=squash(title or "")[:300], lang=(language or "").lower())
    doc.text = squash(text or "")[:MAX_TEXT_CHARS]
    for item in list(links or [])[:MAX_LINKS]:
        # Links are stored as URLs or as {"url": ..., "text": ...} objects.
        if isinstance(item, str):
            doc.links.append(Link(urljoin(url, item), ""))
        elif isinstance(item, Mapping):
            href = str(item.get("url") or item.get("href") or "")
            if href:
                doc.links.append(Link(urljoin(url, href), squash(str(item.get("text") or ""))))
    data = structured_data or {}
    for item in data.get("json-ld", []) or []:
        doc.jsonld.append(item)
    for syntax in ("microdata", "rdfa"):
        for item in data.get(syntax, []) or []:
            if isinstance(item, Mapping):
                kind = item.get("type") or item.get("@type") or ""
                doc.itemtypes.extend(kind if isinstance(kind, list) else [str(kind)])
    for item in data.get("opengraph", []) or []:
        props = item.get("properties", []) if isinstance(item, Mapping) else []
        for pair in props:
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                doc.meta.setdefault(str(pair[0]).lower(), str(pair[1])[:300])
    return doc
