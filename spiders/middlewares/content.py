"""Only HTML pages go on: other content types and binary bodies served as text/html end with the
not-html outcome (the response size cap is Scrapy's DOWNLOAD_MAXSIZE -> too-large)."""

from __future__ import annotations

from typing import Any

from ecomstat.spiders.extract import looks_binary
from ecomstat.spiders.outcomes import NotHtml

HTML_TYPES = (b"text/html", b"application/xhtml+xml")


class ContentTypeMiddleware:
    @classmethod
    def from_crawler(cls, crawler: Any) -> ContentTypeMiddleware:
        return cls()

    def process_response(self, request: Any, response: Any) -> Any:
        if request.meta.get("dont_obey_robotstxt") or request.meta.get("ecomstat_any_content"):
            return response  # robots.txt and the like
        if 300 <= response.status < 400:
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
        if content_type and content_type not in HTML_TYPES:
            raise NotHtml(f"content type {content_type.decode('latin-1')}")
        if looks_binary(response.body):
            raise NotHtml("binary body")
        return response
