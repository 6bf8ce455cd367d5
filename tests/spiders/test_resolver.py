"""The downloader's resolver refuses private answers at connect time (DNS rebinding): a name
checked as public before the request and resolving to 127.0.0.1 when the crawler connects."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy.resolver import dnscache
from twisted.internet.error import DNSLookupError

from ecomstat.spiders.resolver import SafeResolver


def _resolve(resolver: SafeResolver, name: str) -> str | BaseException:
    """The resolver's answer (the cache is primed, so the Deferred has fired already)."""
    outcome: list[object] = []
    resolver.getHostByName(name).addBoth(outcome.append)
    result = outcome[0]
    return result.value if hasattr(result, "value") else result  # type: ignore[return-value]


@pytest.fixture
def primed() -> Iterator[None]:
    dnscache["rebound.example"] = "127.0.0.1"
    dnscache["intranet.example.test"] = "10.1.2.3"
    dnscache["public.example"] = "93.184.216.34"
    yield
    for name in ("rebound.example", "intranet.example.test", "public.example"):
        dnscache.pop(name, None)


def test_a_private_answer_fails_like_an_unknown_name(primed: None) -> None:
    resolver = SafeResolver(object(), 100, 10.0, [".test"])
    refused = _resolve(resolver, "rebound.example")
    assert isinstance(refused, DNSLookupError) and "127.0.0.1" in str(refused)
    assert _resolve(resolver, "public.example") == "93.184.216.34"
    assert _resolve(resolver, "intranet.example.test") == "10.1.2.3"  # allowed by suffix
    assert _resolve(resolver, "127.0.0.1") == "127.0.0.1"  # an address, not a name: passed on


@pytest.fixture
def primed_non_global() -> Iterator[None]:
    names = {"metadata.example": "100.100.100.200", "six.example": "2002:a9fe:a9fe::1",
             "site.example": "fec0::1", "nat.example": "64:ff9b::7f00:1"}
    dnscache.update(names)
    yield
    for name in names:
        dnscache.pop(name, None)


def test_every_non_global_answer_is_refused(primed_non_global: None) -> None:
    """The same rule as the middleware (ecomstat.netsafety): carrier-grade NAT, 6to4 and NAT64
    wrapping a private IPv4, site-local IPv6 all fail at connect time."""
    resolver = SafeResolver(object(), 100, 10.0, [])
    for name in ("metadata.example", "six.example", "site.example", "nat.example"):
        assert isinstance(_resolve(resolver, name), DNSLookupError), name


def test_odd_ipv4_spellings_are_passed_on_as_the_address() -> None:
    """`0x7f.1` is 127.0.0.1 to the OS: handed on canonical (the middleware checks it), never
    looked up as a name."""
    resolver = SafeResolver(object(), 100, 10.0, [])
    for spelling in ("0x7f.0.0.1", "2130706433", "127.1", "017700000001"):
        assert _resolve(resolver, spelling) == "127.0.0.1", spelling
    assert _resolve(resolver, "[::1]") == "::1"


def test_the_crawl_settings_install_it() -> None:
    from ecomstat.spiders.settings import scrapy_settings

    assert scrapy_settings()["TWISTED_DNS_RESOLVER"] == "ecomstat.spiders.resolver.SafeResolver"


class Counting(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits += 1
        body = b"<html><title>intranet</title></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


SPIDER = textwrap.dedent("""
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    url, allowed, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    seen = {}

    class Probe(scrapy.Spider):
        name = "probe"
        async def start(self):
            yield scrapy.Request(url, callback=self.ok, errback=self.failed, dont_filter=True)
        def ok(self, response):
            seen["status"] = response.status
        def failed(self, failure):
            from ecomstat.spiders.outcomes import outcome_of_failure
            seen["error"] = outcome_of_failure(failure)

    process = CrawlerProcess({"TWISTED_DNS_RESOLVER": "ecomstat.spiders.resolver.SafeResolver",
                              "ECOMSTAT_ALLOW_PRIVATE_HOSTS": allowed, "RETRY_ENABLED": False,
                              "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "WARNING"})
    process.crawl(Probe)
    process.start()
    open(out, "w").write(json.dumps(seen))
""")


@pytest.mark.parametrize("allowed, expected", [([], {"error": "dns-failure"}),
                                               (["localhost"], {"status": 200})])
def test_scrapy_never_connects_to_a_name_resolving_privately(tmp_path: Path, allowed: list[str],
                                                             expected: dict[str, object]) -> None:
    """No private-address middleware here: the resolver alone stops the connection."""
    Counting.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script, out = tmp_path / "probe.py", tmp_path / "seen.json"
    script.write_text(SPIDER, encoding="utf-8")
    try:
        url = f"http://localhost:{server.server_address[1]}/"
        proc = subprocess.run([sys.executable, str(script), url, json.dumps(allowed), str(out)],
                              check=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
                              capture_output=True, text=True)
    finally:
        server.shutdown()
        server.server_close()
    assert json.loads(out.read_text()) == expected
    assert Counting.hits == (0 if "error" in expected else 1)
    assert ("refused at connect time: localhost" in proc.stderr) == ("error" in expected)
