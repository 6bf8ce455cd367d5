"""Web-search providers behind one interface, for enterprises whose domain cannot be guessed.

`BraveSearchProvider` speaks the Brave Search API's web-search wire format:
`GET {endpoint}?q=...&country=DE&count=10` with headers `Accept: application/json` and
`X-Subscription-Token: <key>`; the answer is JSON `{"web": {"results": [{"url", "title",
"description"}, ...]}}` (no `web` key when nothing was found). Configure with
ECOMSTAT_SEARCH_ENDPOINT (e.g. https://api.search.brave.com/res/v1/web/search) and
ECOMSTAT_SEARCH_KEY.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from ecomstat import __version__
from ecomstat.errors import ConfigurationError
from ecomstat.settings import Settings
from register.errors import SearchError


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

    def search(self, query: str, country: str) -> list[SearchResult]:
        try:
            with urllib.request.urlopen(self._request(query, country), timeout=self.timeout) as resp:
                body = resp.read()
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


def provider_from_settings(settings: Settings) -> SearchProvider | None:
    """The configured provider, or None when ECOMSTAT_SEARCH_ENDPOINT is empty (offline)."""
    endpoint = str(settings["ECOMSTAT_SEARCH_ENDPOINT"]).strip()
    if not endpoint:
        return None
    return BraveSearchProvider(endpoint, str(settings["ECOMSTAT_SEARCH_KEY"]).strip())
