"""URL and domain helpers shared by the crawler, URL discovery and matching.

The sample web lives under the reserved `.test` TLD with realistic names below it
(`www.mueller-baeckerei.de.test`): `registered_domain` treats a trailing `.test` as a wrapper,
so the registered domain of that host is `mueller-baeckerei.de.test`, exactly as for the real
`mueller-baeckerei.de`. The public-suffix list is the snapshot bundled with tldextract; it is never
fetched at run time.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import tldextract
from w3lib.url import canonicalize_url as _w3lib_canonicalize

TEST_TLD = "test"

_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def hostname(url: str) -> str:
    """Lower-case host of `url` (accepts a bare host or `host/path`)."""
    if "://" not in url:
        url = "http://" + url
    return (urlsplit(url).hostname or "").rstrip(".").lower()


@lru_cache(maxsize=65536)
def registered_domain(host_or_url: str) -> str:
    """`shop.example.co.uk` -> `example.co.uk`; `www.example.de.test` -> `example.de.test`;
    an IP address or a bare name is returned as is."""
    host = hostname(host_or_url)
    wrapped = host.endswith("." + TEST_TLD)
    inner = host[: -len(TEST_TLD) - 1] if wrapped else host
    parts = _extract(inner)
    if parts.suffix and parts.domain:
        domain = f"{parts.domain}.{parts.suffix}"
    else:
        domain = inner
    return f"{domain}.{TEST_TLD}" if wrapped else domain


def public_suffix(host_or_url: str) -> str:
    """The public suffix (`co.uk`, `de`), ignoring a `.test` wrapper."""
    host = hostname(host_or_url)
    if host.endswith("." + TEST_TLD):
        host = host[: -len(TEST_TLD) - 1]
    return _extract(host).suffix


def same_site(url_a: str, url_b: str) -> bool:
    return registered_domain(url_a) == registered_domain(url_b)


def canonicalize_url(url: str) -> str:
    """Canonical form used as a natural key: lower-case scheme and host, sorted query, no
    fragment, default ports dropped, percent-encoding normalised (w3lib)."""
    canonical = _w3lib_canonicalize(url.strip(), keep_fragments=False)
    parts = urlsplit(canonical)
    netloc = parts.netloc.lower()
    if (parts.scheme == "http" and netloc.endswith(":80")) or (
        parts.scheme == "https" and netloc.endswith(":443")
    ):
        netloc = netloc.rsplit(":", 1)[0]
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{netloc}{path}{query}"


def site_root(url: str) -> str:
    """`https://www.example.com/a/b?x` -> `https://www.example.com/`."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}/"
