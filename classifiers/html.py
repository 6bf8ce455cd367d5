"""Turn raw page bytes (or a stored page row) into a `PageDoc`: the parts of a page the
classifiers look at, extracted once, with every piece capped so a huge page cannot blow up time
or memory.

Parsing uses selectolax's lexbor engine (an HTML5 parser about twice as fast as lxml on shop
pages, which is what lets classification keep up with crawling). Bytes are decoded by the one
HTML decoder of the project, `ecomstat.encoding.decode_html`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from ecomstat.encoding import decode_html

MAX_HTML_CHARS = 2_000_000  # parse at most this much markup (oversized pages are truncated)
MAX_TEXT_CHARS = 30_000  # visible text kept for the text model and keyword signals
MAX_LINKS = 1_500
MAX_ANCHOR_CHARS = 120
MAX_SCRIPT_SAMPLE = 1_000  # characters kept from the start of each inline script
MAX_SCRIPTS_SAMPLE_TOTAL = 20_000
MAX_JSONLD_CHARS = 200_000
# The HTML5 tree builder checks the stack of open elements at each start tag, so its cost grows
# with the sum of the nesting depths of the tags: 200,000 nested <div>s took 100 s. Pages with
# more tags than NESTING_SCAN_TAGS are scanned, and markup past the point where that sum (as
# estimated by `_nesting_cut`) exceeds MAX_NESTING_WORK is dropped. Real pages stay far below
# it (at most 5 million on the 458 reference pages).
NESTING_SCAN_TAGS = 20_000
MAX_NESTING_WORK = 100_000_000

_ELEMENTS = ("meta, script, link[href], iframe[src], a[href], area[href], form, button, "
             "[role=button], input[type=submit], [itemtype], [typeof]")
# Elements whose text is not visible (removed before the body's text is read).
_INVISIBLE = ("script", "style", "noscript", "template", "svg", "iframe")
# One selector walk finds the elements the collector reads, the title and the invisible
# elements: every css() call (and every strip_tags tag) walks the whole document again.
_WALK = ", ".join((_ELEMENTS, "title", *_INVISIBLE))

def squash(text: str) -> str:
    # Same as re.sub(r"\s+", " ", text).strip() (re's \s on str is exactly str.isspace),
    # several times faster.
    return " ".join(text.split())


def squash_prefix(text: str, width: int, limit: int | None = None,
                  first: int | None = None) -> str:
    """`squash(text[:limit])[:width]` without squashing more of the text than needed: squashing
    a prefix gives a prefix of the squashed whole, so a growing prefix (`first` characters,
    then doubling) is squashed until it yields `width` characters. Splitting a whole page's
    text to keep its start was most of the cost (a 120,000-character body, an element with
    role=button around 1.6 MB of text)."""
    end = len(text) if limit is None else min(limit, len(text))
    size = min(first or width * 5 // 4, end)
    while True:
        squashed = squash(text[:size])
        if len(squashed) >= width or size >= end:
            return squashed[:width]
        size = min(size * 2, end)


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
    except RecursionError:  # hostile nesting ([[[[...): no usable markup
        return []
    except ValueError:
        # Frequent real-world damage: trailing commas or HTML comments around the JSON.
        cleaned = re.sub(r",\s*([}\]])", r"\1", raw.replace("<!--", "").replace("-->", ""))
        try:
            data = json.loads(cleaned, strict=False)
        except (ValueError, RecursionError):
            return []
    return data if isinstance(data, list) else [data]


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr", "param", "keygen"})


def _nesting_cut(html: str) -> int | None:
    """Where to cut `html` so that parsing it stays cheap (see MAX_NESTING_WORK), or None."""
    depth = work = 0
    for match in _TAG.finditer(html):
        if match.group(1):
            depth = depth - 1 if depth else 0
        elif match.group(2).lower() not in _VOID:
            depth += 1
        work += depth
        if work > MAX_NESTING_WORK:
            return match.start()
    return None


def parse_html(html: str | bytes, url: str = "", content_type: str | None = None) -> PageDoc:
    """Parse one page. Never raises on bad markup; an empty page gives an empty PageDoc."""
    source: str | bytes
    if isinstance(html, (bytes, bytearray)):
        body = bytes(html)
        html, _encoding, utf8 = decode_html(body, content_type)
        # Valid UTF-8 goes to the parser as it came: it would re-encode the text to these bytes.
        source = body if utf8 and len(html) <= MAX_HTML_CHARS else html
    else:
        source = html
    doc = PageDoc(url=url)
    if not html or html.isspace():  # not `html.strip()`: that copies the whole page
        return doc
    if len(html) > MAX_HTML_CHARS:
        source, doc.truncated = html[:MAX_HTML_CHARS], True
    # (a tag takes at least 3 characters, so a shorter page cannot have that many)
    if len(html) > 3 * NESTING_SCAN_TAGS and html.count("<", 0, MAX_HTML_CHARS) > \
            NESTING_SCAN_TAGS and (cut := _nesting_cut(html[:MAX_HTML_CHARS])) is not None:
        source, doc.truncated = html[:cut], True
    tree = LexborHTMLParser(source)
    root = tree.root
    if root is not None and root.tag == "html":
        doc.lang = _attr(root, "lang").strip().lower()
    classes = [_attr(root, "class")] if root is not None else []
    if tree.body is not None:
        classes.append(_attr(tree.body, "class"))
    collector = _Collector(doc, classes)
    collector.collect(tree.css(_WALK))
    doc.classes = " ".join(c for c in classes if c)
    doc.text = _visible_text(tree, collector.invisible)
    return doc


class _Collector:
    """Fills a PageDoc from one selector pass over the tree (each css() call walks the whole
    document, so separate queries per kind cost more than the parse itself), dispatching on the
    tag. Each node's attributes are read once into a dict (`node.attributes`): `attrs.get` on
    a missing attribute raises and catches a KeyError inside selectolax, and most lookups here
    miss, which made attribute reads the largest per-element cost.

    The pass (`_WALK`) also returns the title and the invisible elements, which `_ELEMENTS`
    alone would not match: the first title is the page title, the invisible ones are kept for
    `_visible_text`. Such an extra node does nothing below unless it has an itemtype, a typeof
    or role=button (and then `_ELEMENTS` matches it too), except an iframe without src, which
    is skipped."""

    def __init__(self, doc: PageDoc, classes: list[str]) -> None:
        self.doc, self.classes = doc, classes
        self.scripts: list[str] = []
        self.budget = MAX_SCRIPTS_SAMPLE_TOTAL
        self.seen: set[str] = set()
        self.invisible: list[Any] = []
        self.title: Any = None

    def collect(self, nodes: Iterable[Any]) -> None:
        visited: set[int] = set()
        itemtypes, buttons, classes = self.doc.itemtypes, self.doc.buttons, self.classes
        links, seen = self.doc.links, self.seen
        for node in nodes:
            mem_id = node.mem_id
            if mem_id in visited:  # a node matching several selectors comes back each time
                continue
            visited.add(mem_id)
            tag = node.tag
            attributes = node.attributes
            get = attributes.get
            if tag == "a" or tag == "area":  # most nodes: the link code inlined
                href = (get("href") or "").strip()
                # hrefs stay as written: resolving 1,500 links with urljoin costs more than
                # parsing; the classifiers need paths and, for external links, hosts
                # (`Link.resolve`).
                if href and href not in seen and len(links) < MAX_LINKS \
                        and not href.startswith(("javascript:", "#")):
                    seen.add(href)
                    # text_lexbor: the same descendant text as text(deep=True), built in C.
                    text = " ".join(node.text_lexbor().split()) or get("title") \
                        or get("aria-label") or ""
                    links.append(Link(href, text[:MAX_ANCHOR_CHARS]))
            elif not self.element(node, tag, attributes, get):
                continue  # matched only as an invisible element
            if (itemtype := get("itemtype") or "") or get("typeof"):
                if len(itemtypes) < 200:
                    itemtypes.extend((itemtype + " " + (get("typeof") or "")).split())
            if tag == "button" or tag == "input" or get("role") == "button":
                if len(buttons) < 300:
                    label = squash_prefix(node.text_lexbor() or get("value")
                                          or get("aria-label") or "", 80, first=640)
                    if label:
                        buttons.append(label)
                    classes.append((get("class") or "") + " " + (get("name") or ""))
        self.doc.scripts = "\n".join(self.scripts)

    def element(self, node: Any, tag: str, attributes: Mapping[str, str | None],
                get: Callable[[str], str | None]) -> bool:
        """Any element but a link, by its tag; False for an iframe without src that `_WALK`
        matched only as an invisible element (nothing else to read from it)."""
        if tag in _INVISIBLE:
            self.invisible.append(node)
            if tag == "script":
                self.script(node, get)
            elif tag == "iframe":
                if "src" not in attributes and not (
                        get("itemtype") or get("typeof") or get("role") == "button"):
                    return False
                self.resource(get)
        elif tag == "meta":
            self.meta(get)
        elif tag == "link":
            self.resource(get)
        elif tag == "form":
            self.form(node, get)
        elif tag == "title" and self.title is None:
            self.title = node
            self.doc.title = squash_prefix(node.text(), 300)
        return True

    def meta(self, get: Callable[[str], str | None]) -> None:
        key = (get("name") or get("property") or get("itemprop") or "").lower()
        if key and key not in self.doc.meta:
            self.doc.meta[key] = (get("content") or "")[:300]

    def script(self, node: Any, get: Callable[[str], str | None]) -> None:
        src = get("src")
        if src:
            self.doc.resources.append(src)
        elif "ld+json" in (get("type") or "").lower():
            self.doc.jsonld.extend(_jsonld(node.text()))
        elif self.budget > 0:
            sample = node.text()[:MAX_SCRIPT_SAMPLE]
            self.scripts.append(sample)
            self.budget -= len(sample)

    def resource(self, get: Callable[[str], str | None]) -> None:
        href = get("href") or get("src")
        if (get("rel") or "").lower() == "alternate" and (lang := get("hreflang")):
            self.doc.hreflangs.append(lang.lower())
        if href:
            self.doc.resources.append(href)

    def form(self, node: Any, get: Callable[[str], str | None]) -> None:
        if len(self.doc.forms) >= 50:
            return
        fields = [name for i in node.css("input, select, textarea")
                  if (name := _attr(i, "name"))]
        form_buttons = [squash_prefix(b.text() or _attr(b, "value"), 80)
                        for b in node.css("button, input[type=submit], input[type=image]")]
        self.doc.forms.append(Form(get("action") or "", (get("method") or "").lower(),
                                   fields[:60], [b for b in form_buttons if b][:20]))
        self.classes.append((get("class") or "") + " " + (get("id") or ""))


def _visible_text(tree: LexborHTMLParser, invisible: list[Any]) -> str:
    """The body's text without scripts, styles and the like (`invisible`: every such element
    of the document, in document order), squashed and capped."""
    for node in invisible:
        # Unlinked, not destroyed: an element inside one removed before stays valid.
        node.decompose(recursive=False)
    body = tree.body
    text = body.text(separator=" ") if body is not None else ""
    return squash_prefix(text, MAX_TEXT_CHARS, limit=MAX_TEXT_CHARS * 4)


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
