"""Web-search providers behind one interface, for enterprises whose domain cannot be guessed.

`BraveSearchProvider` speaks the Brave Search API's web-search wire format:
`GET {endpoint}?q=...&country=DE&count=10` with headers `Accept: application/json` and
`X-Subscription-Token: <key>`; the answer is JSON `{"web": {"results": [{"url", "title",
"description"}, ...]}}` (no `web` key when nothing was found). Configure with
ECOMSTAT_SEARCH_ENDPOINT (e.g. https://api.search.brave.com/res/v1/web/search) and
ECOMSTAT_SEARCH_KEY. A country code the API does not take (422) is searched again with
`country=ALL`; a per-second rate limit (429, reset within 10 s) is waited for once.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from ecomstat import __version__
from ecomstat.errors import ConfigurationError
from ecomstat.settings import Settings
from ecomstat.register.errors import SearchError


MAX_RATE_WAIT = 10.0  # seconds: a longer reset (the monthly quota) fails the run instead


@dataclass(frozen=True)
class SearchResult:
    url: str
    title: str = ""
    description: str = ""
    rank: int = 0


class SearchProvider(Protocol):
    def search(self, query: str, country: str) -> list[SearchResult]:
        """Up to N web results for `query`, biased to `country` (ISO alpha-2)."""
        ...


class BraveSearchProvider:
    """Brave Search API web search (https://api.search.brave.com/app/documentation)."""

    def __init__(self, endpoint: str, key: str, *, count: int = 10, timeout: float = 15.0) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ConfigurationError(f"ECOMSTAT_SEARCH_ENDPOINT must be an http(s) URL, got {endpoint!r}")
        if not key:
            raise ConfigurationError("ECOMSTAT_SEARCH_KEY is empty: the search API needs a subscription token")
        self.endpoint = endpoint
        self.key = key
        self.count = count
        self.timeout = timeout

    def _request(self, query: str, country: str) -> urllib.request.Request:
        params = {"q": query, "count": str(self.count)}
        if country:
            params["country"] = country.upper()
        sep = "&" if "?" in self.endpoint else "?"
        return urllib.request.Request(
            self.endpoint + sep + urllib.parse.urlencode(params),
            headers={
                "Accept": "application/json",
                "X-Subscription-Token": self.key,
                "User-Agent": f"ecomstat/{__version__}",
            },
        )

    def _fetch(self, query: str, country: str) -> bytes:
        with urllib.request.urlopen(self._request(query, country), timeout=self.timeout) as resp:
            return resp.read()

    def _fetch_retrying(self, query: str, country: str) -> bytes:
        try:
            return self._fetch(query, country)
        except urllib.error.HTTPError as exc:
            # the API takes a few dozen country codes (not LU, IE, CZ, GR, ...): a code it
            # refuses (422) is asked again for all regions rather than failing the run
            if exc.code == 422 and country and country.upper() != "ALL":
                return self._fetch(query, "ALL")
            # per-second rate limit (1 query/s on the free plan): wait for the window once
            wait = _reset_seconds(exc.headers.get("X-RateLimit-Reset")) if exc.code == 429 else None
            if wait is None or wait > MAX_RATE_WAIT:
                raise
            time.sleep(max(wait, 1.0))
            return self._fetch(query, country)

    def search(self, query: str, country: str) -> list[SearchResult]:
        try:
            body = self._fetch_retrying(query, country)
        except urllib.error.HTTPError as exc:
            raise SearchError(self._http_error_message(exc)) from None
        except (urllib.error.URLError, socket.timeout, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SearchError(f"search API at {self.endpoint} unreachable: {reason}") from None
        try:
            data = json.loads(body)
        except ValueError:
            raise SearchError(f"search API at {self.endpoint} answered with invalid JSON") from None
        if not isinstance(data, dict):
            raise SearchError(f"search API at {self.endpoint} answered with unexpected JSON")
        results = (data.get("web") or {}).get("results") or []
        out = []
        for rank, item in enumerate(results, start=1):
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                out.append(SearchResult(item["url"], str(item.get("title") or ""),
                                        str(item.get("description") or ""), rank))
        return out

    def _http_error_message(self, exc: urllib.error.HTTPError) -> str:
        code = exc.code
        if code in (401, 403):
            return f"search API refused the key (HTTP {code}): check ECOMSTAT_SEARCH_KEY"
        if code == 429:
            reset = exc.headers.get("X-RateLimit-Reset") or exc.headers.get("Retry-After")
            wait = f"; retry after {reset.split(',')[0].strip()} s" if reset else ""
            return f"search API rate limit or quota exceeded (HTTP 429){wait}"
        if code == 422:
            return "search API rejected the query parameters (HTTP 422)"
        if code >= 500:
            return f"search API server error (HTTP {code}); try again later"
        return f"search API answered HTTP {code}"


def _reset_seconds(header: str | None) -> float | None:
    """Seconds until the shortest rate-limit window resets (`X-RateLimit-Reset: 1, 1419704`)."""
    try:
        return float((header or "").split(",")[0])
    except ValueError:
        return None


def provider_from_settings(settings: Settings) -> SearchProvider | None:
    """The configured provider, or None when ECOMSTAT_SEARCH_ENDPOINT is empty (offline)."""
    endpoint = str(settings["ECOMSTAT_SEARCH_ENDPOINT"]).strip()
    if not endpoint:
        return None
    return BraveSearchProvider(endpoint, str(settings["ECOMSTAT_SEARCH_KEY"]).strip())
