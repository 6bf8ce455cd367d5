"""Page extraction: title, visible text, language, outgoing links, structured data, content hash.

One lxml parse per page feeds everything (extruct's extractors accept the parsed tree), which
keeps the full pipeline close to the speed of a bare fetch.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from functools import lru_cache

from ecomstat.urls import canonicalize_url as _canonicalize_url
from ecomstat.spiders.language import detect_language
from ecomstat.spiders.language import warm_up as load_language_model

logger = logging.getLogger(__name__)

INVISIBLE = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
WHITESPACE = re.compile(r"\s+")
MAX_LINKS = 500
CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)  # NUL..BS, SO..US
SKIP_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "#", "ftp:", "whatsapp:", "sms:")


@lru_cache(maxsize=65536)
def canonicalize_url(url: str) -> str:
    """Cached: a site repeats its navigation links on every page."""
    return _canonicalize_url(url)


# Exactly the nodes extruct's extractors start from (json-ld: script[@type]; microdata:
# descendant-or-self::*[@itemscope]; OpenGraph: meta[@property and @content] of a <head>)
HAS_JSON_LD = etree.XPath('boolean(descendant-or-self::script[@type="application/ld+json"])')
HAS_MICRODATA = etree.XPath("boolean(descendant-or-self::*[@itemscope])")
HAS_OPENGRAPH = etree.XPath("boolean(//head/meta[@property and @content])")


@dataclass
class PageContent:
    title: str | None = None
    text: str = ""
    language: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    structured_data: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    html_lang: str | None = None
    tree: Any = field(default=None, repr=False)  # the parsed document, for further extraction


def looks_binary(body: bytes) -> bool:
    """Binary data served as text/html: NUL bytes or mostly non-text bytes near the start."""
    head = body[:2048]
    if not head:
        return False
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, CONTROL_BYTES))
    return control / len(head) > 0.1


def content_hash(text: str) -> str:
    """Hash of the normalised visible text: a page served twice under two URLs (or with a
    changing timestamp in a script) counts as identical content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def extract_page(html: str, url: str, *, max_text_chars: int = 20000) -> PageContent:
    content = PageContent()
    try:
        tree = lxml.html.document_fromstring(html or "<html></html>")
    except (etree.ParserError, ValueError) as exc:
        logger.debug("unparseable HTML at %s: %s", url, exc)
        content.content_hash = content_hash("")
        return content
    title = tree.findtext(".//title")
    content.tree = tree
    content.title = WHITESPACE.sub(" ", title).strip()[:1000] if title else None
    content.html_lang = (tree.get("lang") or "").strip().lower()[:10] or None
    content.links = _links(tree, url)
    content.structured_data = _structured_data(tree, url)
    full_text = visible_text(tree)
    content.content_hash = content_hash(full_text)
    content.text = full_text[:max_text_chars]
    content.language = detect_language(full_text, content.html_lang)
    return content


def warm_up() -> None:
    """Import extruct and load the language model now: done lazily, the first pages' callbacks
    would stall the reactor (~0.5 s CPU) while every connection waits."""
    import extruct.jsonld  # noqa: F401
    import extruct.opengraph  # noqa: F401
    import extruct.w3cmicrodata  # noqa: F401

    load_language_model()


def visible_text(tree: Any) -> str:
    """The text and tails under <body> (or the whole document), outside invisible elements, each
    piece separated by a space, whitespace squashed. Done in C: the invisible elements of a
    copy are emptied (their tails stay, as they lie outside them) and one XPath call collects
    the text nodes, as plain strings. A walk in Python over lxml's element proxies (or
    itertext, which makes a proxy per element) cost more than the parse itself."""
    body = tree.find("body")
    root = body if body is not None else tree
    if root.tag in INVISIBLE:
        return ""
    if next(root.iter(*INVISIBLE), None) is not None:
        root = copy.deepcopy(root)  # the caller's tree keeps its scripts (structured data)
        for element in list(root.iter(*INVISIBLE)):
            element.clear(keep_tail=True)
    return WHITESPACE.sub(" ", " ".join(TEXT_NODES(root))).strip()


TEXT_NODES = etree.XPath("descendant::text()", smart_strings=False)


def _links(tree: Any, base_url: str) -> list[dict[str, str]]:
    base = tree.find(".//base")
    if base is not None and base.get("href"):
        base_url = urljoin(base_url, base.get("href"))
    links: list[dict[str, str]] = []
    seen: set[str] = set()
    for anchor in tree.iter("a", "area"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(SKIP_SCHEMES):
            continue
        try:
            absolute = _resolve(base_url, href)
        except ValueError:
            continue
        if not absolute.startswith(("http://", "https://")) or absolute in seen:
            continue
        seen.add(absolute)
        text = WHITESPACE.sub(" ", anchor.text_content() if anchor.tag == "a" else
                              anchor.get("alt") or "").strip()[:200]
        link = {"url": absolute, "text": text}
        hreflang = anchor.get("hreflang")
        if hreflang:
            link["hreflang"] = hreflang.lower()
        links.append(link)
        if len(links) >= MAX_LINKS:
            break
    return links


def _resolve(base_url: str, href: str) -> str:
    """canonicalize_url(urljoin(base_url, href)), cached where the result cannot depend on the
    base's path: a root-relative href ("/contact") resolves the same from every page of a site,
    an absolute http(s) one from every page anywhere."""
    if href.startswith("/") and not href.startswith("//"):
        scheme, _, rest = base_url.partition("://")
        if rest:
            netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
            return _resolve_cached(f"{scheme}://{netloc}/", href)
    elif href.startswith(("http://", "https://")):
        scheme, _, rest = href.partition("://")
        if rest[:1] not in ("", "/") and base_url.startswith(scheme + ":"):
            return _resolve_cached(scheme + "://", href)
    return canonicalize_url(urljoin(base_url, href))


@lru_cache(maxsize=65536)
def _resolve_cached(base_url: str, href: str) -> str:
    return canonicalize_url(urljoin(base_url, href))


def _structured_data(tree: Any, url: str) -> dict[str, Any]:
    """JSON-LD, microdata and OpenGraph via extruct, each allowed to fail alone."""
    from extruct.jsonld import JsonLdExtractor
    from extruct.opengraph import OpenGraphExtractor
    from extruct.w3cmicrodata import LxmlMicrodataExtractor

    data: dict[str, Any] = {}
    for name, present, extract in (
        ("json-ld", HAS_JSON_LD, lambda: JsonLdExtractor().extract_items(tree, base_url=url)),
        ("microdata", HAS_MICRODATA, lambda: LxmlMicrodataExtractor().extract_items(tree, url)),
        ("opengraph", HAS_OPENGRAPH, lambda: list(OpenGraphExtractor().extract_items(tree))),
    ):
        # the extractors find nothing without this markup; most pages have none, and a
        # microdata extractor (item-id map of the whole tree) is not free
        if not present(tree):
            continue
        try:
            items = list(extract())
        except Exception as exc:  # extruct raises anything on malformed markup
            logger.debug("%s extraction failed at %s: %s", name, url, exc)
            continue
        if items:
            data[name] = items
    return data
