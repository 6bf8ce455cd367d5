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

from classifiers.html import Link
from ecomstat.urls import registered_domain

# What urlsplit/urlunsplit would change or strip: control characters, params, IPv6
# brackets, an empty query or fragment marker (dropped on re-joining).
_NOT_PLAIN = re.compile(r"[\t\r\n;\[\]]|\?#|[?#]\Z")
_HTTP = ("http://", "https://")


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
def split_link(url: str) -> tuple[str, str, tuple[str, ...]]:
    """(registered-domain name, path, path segments) of an absolute link; ('', '', ()) else.
    Cached: a site's pages repeat their navigation links."""
    if url.startswith("//"):
        url = "https:" + url
    if not url.startswith(_HTTP):
        return "", "", ()
    fast = _split_plain(url)
    if fast is not None:
        host, path = fast
    else:
        try:
            parts = urlsplit(url)
            host, path = parts.hostname or "", parts.path
        except ValueError:
            return "", "", ()
    try:
        domain = registered_domain(host)
    except ValueError:
        return "", "", ()
    path = path or "/"
    return domain.split(".")[0], path, tuple(s for s in path.split("/") if s)


def _split_plain(url: str) -> tuple[str, str] | None:
    """(hostname, path) of a plain ASCII http(s) URL as `urlsplit` gives them, else None."""
    if not url.isascii() or _NOT_PLAIN.search(url):
        return None
    start = url.index("://") + 3
    end = len(url)
    for mark in "/?#":
        found = url.find(mark, start)
        if found != -1 and found < end:
            end = found
    netloc = url[start:end]
    if "%" in netloc:
        return None
    rest = url[end:]
    for mark in "#?":  # the fragment first, as urlsplit: a '?' after '#' is in the fragment
        found = rest.find(mark)
        if found != -1:
            rest = rest[:found]
    host = netloc.rpartition("@")[2].partition(":")[0].lower()
    return host, rest
