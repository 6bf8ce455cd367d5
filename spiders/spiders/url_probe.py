"""`url_probe`: does a candidate domain answer, and with what? One home-page fetch per candidate.

Input (`-a input=FILE.json`): `[{"key": "...", "urls": ["https://example.de/", "http://www.example.de/", ...]}]`,
the variants of one candidate domain, tried in order until one answers (any HTTP response).
Output (`-a output=FILE.jsonl`): one JSON object per candidate: key, url tried, outcome (the
crawler's outcome names: ok, dns-failure, refused-private, timeout, http-error, ...), HTTP
status, final URL after redirects, title, the first part of the visible text and the links, for
parked-domain detection and matching hints. Nothing is written to the store: discovery
(register.discover) decides what becomes a website row.

Built on the project's downloader middlewares (host map for the sample web, private-address
refusal, robots.txt as configured, size caps); run it with `spiders.runner` like any other
spider. A home page robots.txt forbids is reported as `robots-denied`: the host exists.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from ecomstat.encoding import decode_html
from ecomstat.spiders import outcomes
from ecomstat.spiders.extract import extract_page

TEXT_CHARS = 4000
MAX_LINKS = 60


class UrlProbeSpider(scrapy.Spider):
    name = "url_probe"
    custom_settings = {
        "ITEM_PIPELINES": {},  # results go to the output file, not the page table
        "EXTENSIONS": {"ecomstat.spiders.extensions.RunStatsExtension": None},
        "RETRY_TIMES": 0,
        "DOWNLOAD_TIMEOUT": 15,
        "DNS_TIMEOUT": 5,
    }

    def __init__(self, input: str = "", output: str = "", run_id: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not input or not output:
            raise ValueError("url_probe needs -a input=FILE.json -a output=FILE.jsonl")
        self.candidates = json.loads(Path(input).read_text("utf-8"))
        self.output_path = Path(output)
        self._out = open(self.output_path, "w", encoding="utf-8")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for candidate in self.candidates:
            request = self._request(candidate["key"], list(candidate["urls"]), 0)
            if request is not None:
                yield request

    def _request(self, key: str, urls: list[str], index: int) -> scrapy.Request | None:
        if index >= len(urls):
            return None
        return scrapy.Request(
            urls[index], callback=self.parsed, errback=self.failed, dont_filter=True,
            meta={"key": key, "urls": urls, "index": index, "ecomstat_vetted_url": urls[index]},
        )

    def _write(self, record: dict[str, Any]) -> None:
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()

    def parsed(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        outcome = outcomes.OK if response.status < 400 else outcomes.HTTP_ERROR
        title, text, links = None, "", []
        content_type = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        if "html" in content_type or not content_type:
            page = extract_page(decode_html(response.body, content_type).text, response.url,
                                max_text_chars=TEXT_CHARS)
            title, text = page.title, page.text
            links = [link.get("url", "") for link in page.links[:MAX_LINKS]]
        self._write({
            "key": meta["key"], "url": meta["urls"][meta["index"]], "outcome": outcome,
            "status": response.status, "final_url": response.url, "title": title,
            "text": text, "links": links,
        })
        return iter(())

    def failed(self, failure: Any) -> Iterator[Any]:
        request = failure.request
        meta = request.meta
        outcome = outcomes.outcome_of_failure(failure)
        retry = self._request(meta["key"], meta["urls"], meta["index"] + 1)
        if retry is not None and outcome not in (outcomes.REFUSED_PRIVATE, outcomes.ROBOTS_DENIED):
            yield retry
            return
        self._write({"key": meta["key"], "url": meta["urls"][meta["index"]], "outcome": outcome,
                     "status": None, "final_url": None, "title": None, "text": "", "links": []})

    def closed(self, reason: str) -> None:
        self._out.close()
