"""Resolving and splitting the links of a site's pages, as `urllib.parse` would, faster.

The site characteristics look at every link of every page: its absolute URL (the evidence a
reviewer sees), its registered domain and its path. `urljoin` and `urlsplit` cost ~20 µs per
link, more than the rest of the characteristics together. Most hrefs are plain: absolute
`http(s)://host/...` or root-relative `/path`. For those, the result of `urljoin` is the href
itself or origin + href, and the split is a few `find` calls. Anything unusual (dot segments,
empty query or fragment markers, `;` parameters, control characters, brackets, `%` in a host,
non-ASCII) goes the `urllib` way, so the answers are the same as `urllib`'s
(tests/classifiers/test_links.py compares them on real and random hrefs).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from ecomstat.classifiers.html import Link
from ecomstat.urls import registered_domain

# What urlsplit/urlunsplit would change or strip: control characters, params, IPv6
# brackets, an empty query or fragment marker (dropped on re-joining).
_NOT_PLAIN = re.compile(r"[\t\r\n;\[\]]|\?#|[?#]\Z")
_HTTP = ("http://", "https://")
# netloc and path of an http(s) URL as urlsplit splits them (it removes tabs and newlines
# first, and checks brackets and non-ASCII hosts: such URLs take the urlsplit way)
_PLAIN_SPLIT = re.compile(r"https?://([^/?#]*)([^?#]*)")


def plain_absolute(href: str) -> bool:
    """True when `urljoin(base, href)` is `href` itself for any http(s) base."""
    return href.startswith(_HTTP) and href.isascii() and not _NOT_PLAIN.search(href)


def plain_root_relative(href: str) -> bool:
    """True when `urljoin(base, href)` is `scheme://netloc` + `href` for an http(s) base."""
    return (href[:1] == "/" and href[1:2] != "/" and "/." not in href and href.isascii()
            and not _NOT_PLAIN.search(href))


def _has_host(href: str) -> bool:
    for scheme in _HTTP:
        if href.startswith(scheme):
            return href[len(scheme) : len(scheme) + 1] not in ("", "/", "?", "#")
    return False


class Resolver:
    """`link.resolve(page)` for the pages of one site. Results that do not depend on the
    page's path are remembered: an href starting with "/" (root-relative or "//host") or
    "http(s)://" with a host resolves from the page's scheme and host alone."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, str], str] = {}
        self._origin: tuple[str, str] | None = None
        self._page = ""

    def page(self, page: str) -> None:
        self._page = page
        try:
            parts = urlsplit(page)
            self._origin = (parts.scheme, parts.netloc) if page else None
        except ValueError:
            self._origin = None

    def __call__(self, link: Link) -> str:
        href = link.url
        origin = self._origin
        if origin is None or not (href[:1] == "/" or _has_host(href)):
            return link.resolve(self._page)
        key = (*origin, href)
        absolute = self._known.get(key)
        if absolute is None:
            absolute = self._known[key] = self._join(origin, link)
        return absolute

    def _join(self, origin: tuple[str, str], link: Link) -> str:
        scheme, netloc = origin
        href = link.url
        if scheme in ("http", "https"):
            if plain_absolute(href):
                return href
            if plain_root_relative(href):
                return f"{scheme}://{netloc}{href}"
        return link.resolve(self._page)


@lru_cache(maxsize=65_536)
def split_link(url: str) -> tuple[str, str]:
    """(registered-domain name, path) of an absolute link; ('', '') else. Cached: a site's
    pages repeat their navigation links."""
    if url.startswith("//"):
        url = "https:" + url
    plain = _PLAIN_SPLIT.match(url)
    if plain is None:
        return "", ""
    netloc, path = plain.group(1), plain.group(2)
    if "\t" in url or "\r" in url or "\n" in url or not netloc.isascii() \
            or "%" in netloc or "[" in netloc or "]" in netloc:
        try:  # what urlsplit does to these is not worth repeating here
            parts = urlsplit(url)
            netloc, path = parts.netloc, parts.path
            host = parts.hostname or ""
        except ValueError:
            return "", ""
    else:
        host = netloc.rpartition("@")[2].partition(":")[0].lower()
    try:
        domain = registered_domain(host)
    except ValueError:
        return "", ""
    return domain.split(".")[0], path or "/"


def path_segments(path: str) -> tuple[str, ...]:
    return tuple(segment for segment in path.split("/") if segment)
