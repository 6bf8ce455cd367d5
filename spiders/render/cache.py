"""The scripts rendered pages load, kept by URL for the crawl process's other renders.

Every page of a JavaScript shop loads the same bundle (/static/app.js and the like): a browser
takes it from its HTTP cache after the first page, the render path fetched it through Scrapy
again for each page (a request to the site and a round trip inside every render). Only GET
answers 200 with a JavaScript type are kept (not API answers: they may differ per page or
visit), not when the site says `no-store`, up to a byte budget, least recently used out. Each was
downloaded through the crawl's downloader middlewares (private-address rule, robots.txt, size
caps), so reusing it opens no new route.
"""

from __future__ import annotations

from collections import OrderedDict

from ecomstat.spiders.render.job import Fetched

JS_TYPES = frozenset({"application/javascript", "text/javascript", "application/x-javascript",
                      "application/ecmascript", "text/ecmascript", "module"})


class ScriptCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, Fetched] = OrderedDict()

    def get(self, method: str, url: str) -> Fetched | None:
        if method != "GET":
            return None
        fetched = self._entries.get(url)
        if fetched is not None:
            self._entries.move_to_end(url)
        return fetched

    def put(self, method: str, url: str, fetched: Fetched) -> None:
        if method != "GET" or fetched.status != 200 or not cacheable(fetched.headers) or \
                len(fetched.body) > self.max_bytes // 8:
            return
        old = self._entries.pop(url, None)
        if old is not None:
            self.size -= len(old.body)
        self._entries[url] = fetched
        self.size += len(fetched.body)
        while self.size > self.max_bytes and self._entries:
            _url, dropped = self._entries.popitem(last=False)
            self.size -= len(dropped.body)


def cacheable(headers: dict[str, str]) -> bool:
    lowered = {name.lower(): value for name, value in headers.items()}
    content_type = lowered.get("content-type", "").split(";")[0].strip().lower()
    return content_type in JS_TYPES and "no-store" not in lowered.get("cache-control", "").lower()
