"""The Brave Search API provider against a local server speaking its wire format."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ecomstat.errors import ConfigurationError
from ecomstat.settings import Settings
from ecomstat.register.errors import SearchError
from ecomstat.register.search import BraveSearchProvider, provider_from_settings

KEY = "test-token"
RESULTS = {
    "type": "search",
    "query": {"original": "x"},
    "web": {"type": "search", "results": [
        {"title": "Müller Bäckerei – Startseite", "url": "https://www.mueller-baeckerei.de/",
         "description": "Brot und Brötchen in Berlin", "language": "de", "family_friendly": True},
        {"title": "Müller Bäckerei | Facebook", "url": "https://www.facebook.com/muellerbaeckerei",
         "description": "..."},
        {"title": "no url"},
    ]},
}


# the country codes the API accepts (others are refused with 422)
BRAVE_COUNTRIES = {"ALL", "AR", "AU", "AT", "BE", "BR", "CA", "CL", "DK", "FI", "FR", "DE", "HK", "IN",
                   "ID", "IT", "JP", "KR", "MY", "MX", "NL", "NZ", "NO", "CN", "PL", "PT", "PH", "RU",
                   "SA", "ZA", "ES", "SE", "CH", "TW", "TR", "GB", "US"}


class BraveHandler(BaseHTTPRequestHandler):
    requests: list[dict] = []
    mode = "ok"

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        type(self).requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                    "token": self.headers.get("X-Subscription-Token"),
                                    "accept": self.headers.get("Accept")})
        if self.headers.get("X-Subscription-Token") != KEY:
            return self._send(401, {"type": "ErrorResponse", "error": {"code": "SUBSCRIPTION_TOKEN_INVALID"}})
        if self.mode == "429-once":
            type(self).mode = "ok"
            return self._send(429, {"type": "ErrorResponse", "error": {"code": "RATE_LIMITED"}},
                              {"X-RateLimit-Reset": "1, 2419200"})
        if self.mode == "quota":
            return self._send(429, {"type": "ErrorResponse", "error": {"code": "RATE_LIMITED"}},
                              {"X-RateLimit-Reset": "2419200, 2419200"})
        if self.mode == "429":
            return self._send(429, {"type": "ErrorResponse", "error": {"code": "RATE_LIMITED"}},
                              {"X-RateLimit-Reset": "1, 2419200"})
        if self.mode == "500":
            return self._send(503, {"error": "unavailable"})
        if self.mode == "garbage":
            body = b"<html>not json</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        country = (parse_qs(parts.query).get("country") or ["US"])[0]
        if country not in BRAVE_COUNTRIES:
            return self._send(422, {"type": "ErrorResponse", "error": {
                "status": 422, "code": "VALIDATION", "detail": "Unable to validate request parameter(s)",
                "meta": {"errors": [{"type": "enum", "loc": ["query", "country"],
                                     "msg": "Input should be 'ALL', 'AR', 'AU', ..."}]}}})
        if self.mode == "empty":
            return self._send(200, {"type": "search", "query": {"original": "x"}})
        return self._send(200, RESULTS)

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def brave() -> Iterator[str]:
    BraveHandler.requests = []
    BraveHandler.mode = "ok"
    server = ThreadingHTTPServer(("127.0.0.1", 0), BraveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/res/v1/web/search"
    server.shutdown()
    server.server_close()


def test_search_speaks_the_brave_wire_format(brave: str) -> None:
    provider = BraveSearchProvider(brave, KEY)
    results = provider.search("Müller Bäckerei Berlin", "de")
    assert [r.url for r in results] == ["https://www.mueller-baeckerei.de/",
                                        "https://www.facebook.com/muellerbaeckerei"]
    assert results[0].title.startswith("Müller") and results[0].rank == 1
    sent = BraveHandler.requests[-1]
    assert sent["path"] == "/res/v1/web/search"
    assert sent["query"]["q"] == ["Müller Bäckerei Berlin"]
    assert sent["query"]["country"] == ["DE"]
    assert sent["token"] == KEY and sent["accept"] == "application/json"


def test_a_country_the_api_refuses_is_searched_in_all_regions(brave: str) -> None:
    results = BraveSearchProvider(brave, KEY).search("Boulangerie Schmit", "LU")
    assert results[0].url == "https://www.mueller-baeckerei.de/"
    assert [r["query"]["country"] for r in BraveHandler.requests] == [["LU"], ["ALL"]]


def test_the_per_second_rate_limit_is_waited_for_once(brave: str) -> None:
    BraveHandler.mode = "429-once"
    assert len(BraveSearchProvider(brave, KEY).search("x", "DE")) == 2
    assert len(BraveHandler.requests) == 2


def test_no_results_is_an_empty_list(brave: str) -> None:
    BraveHandler.mode = "empty"
    assert BraveSearchProvider(brave, KEY).search("nothing", "DE") == []


@pytest.mark.parametrize(("mode", "key", "message"), [
    ("ok", "wrong", "refused the key (HTTP 401)"),
    ("429", KEY, "rate limit or quota exceeded (HTTP 429); retry after 1 s"),
    ("quota", KEY, "rate limit or quota exceeded (HTTP 429); retry after 2419200 s"),
    ("500", KEY, "server error (HTTP 503)"),
    ("garbage", KEY, "invalid JSON"),
])
def test_errors_are_clear(brave: str, mode: str, key: str, message: str) -> None:
    BraveHandler.mode = mode
    with pytest.raises(SearchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BraveSearchProvider(brave, key).search("x", "DE")


def test_unreachable_and_configuration() -> None:
    with pytest.raises(SearchError, match="unreachable"):
        BraveSearchProvider("http://127.0.0.1:9/res/v1/web/search", KEY, timeout=2).search("x", "DE")
    assert provider_from_settings(Settings({}, environ={})) is None
    with pytest.raises(ConfigurationError, match="ECOMSTAT_SEARCH_KEY"):
        provider_from_settings(Settings({"ECOMSTAT_SEARCH_ENDPOINT": "https://api.example/x"}, environ={}))
    with pytest.raises(ConfigurationError, match="http"):
        BraveSearchProvider("ftp://x", KEY)


def test_discover_falls_back_to_search(sqlite_engine, brave: str) -> None:
    """Enterprises no guess finds are searched; blocklisted results are skipped; the answering
    result is stored with found_by='search'."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from ecomstat.register.discover import ProbeResult, discover
    from ecomstat.store.models import Enterprise, Website

    with Session(sqlite_engine) as session, session.begin():
        session.add(Enterprise(id="E1", name="Müller Bäckerei GmbH", country="DE", nace="10.71",
                               employees=12, city="Berlin"))

    def prober(tasks, settings):
        keys = {t["key"] for t in tasks}
        assert "facebook.com" not in keys  # blocklisted search result never probed
        return {k: (ProbeResult(k, f"https://{k}/", "ok", 200, f"https://www.{k}/", "Müller", "Brot")
                    if k == "mueller-baeckerei.de" and len(tasks) < 5 else
                    ProbeResult(k, f"https://{k}/", "dns-failure")) for k in keys}

    settings = Settings({"ECOMSTAT_SEARCH_ENDPOINT": brave, "ECOMSTAT_SEARCH_KEY": KEY}, environ={})
    summary = discover(sqlite_engine, settings, prober=prober)
    assert summary.searched == 1 and summary.found == 1
    with Session(sqlite_engine) as session:
        site = session.scalar(select(Website))
    assert (site.url, site.found_by, site.status) == ("https://www.mueller-baeckerei.de/", "search", "verified")
    assert BraveHandler.requests[-1]["query"]["q"] == ["Müller Bäckerei GmbH Berlin"]


def test_a_search_failure_keeps_what_earlier_searches_found(sqlite_engine, brave: str) -> None:
    """The quota runs out after the first search: the site it found is probed and stored, the
    run then fails with one line saying how far the search got."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from ecomstat.register.discover import ProbeResult, discover
    from ecomstat.store.models import Enterprise, Website

    with Session(sqlite_engine) as session, session.begin():
        session.add(Enterprise(id="E1", name="Müller Bäckerei GmbH", country="DE", nace="10.71",
                               employees=12, city="Berlin"))
        session.add(Enterprise(id="E2", name="Schmidt Metallbau GmbH", country="DE", nace="25.11",
                               employees=30, city="Köln"))

    class QuotaAfterOne(BraveSearchProvider):
        def search(self, query: str, country: str):  # type: ignore[no-untyped-def]
            results = super().search(query, country)
            BraveHandler.mode = "quota"  # the monthly quota is used up by this search
            return results

    def prober(tasks, settings):
        return {t["key"]: (ProbeResult(t["key"], f"https://{t['key']}/", "ok", 200,
                                       f"https://www.{t['key']}/", "Müller", "Brot")
                           if t["key"] == "mueller-baeckerei.de" and len(tasks) < 5 else
                           ProbeResult(t["key"], f"https://{t['key']}/", "dns-failure"))
                for t in tasks}

    settings = Settings({}, environ={})
    with pytest.raises(SearchError, match=r"stopped after 1 of 2 enterprises"):
        discover(sqlite_engine, settings, prober=prober, search=QuotaAfterOne(brave, KEY))
    with Session(sqlite_engine) as session:
        sites = session.scalars(select(Website).where(Website.found_by == "search")).all()
    assert [(s.url, s.enterprise_id) for s in sites] == [("https://www.mueller-baeckerei.de/", "E1")]
