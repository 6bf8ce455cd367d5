"""Items the spiders yield. A site's pages are collected until its SiteDone arrives (carrying how
many pages to expect), then written in one transaction, whatever order the items came in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageItem:
    website_id: int
    url: str
    depth: int = 0
    outcome: str = "ok"
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    content_hash: str | None = None
    rendered: bool = False
    title: str | None = None
    language: str | None = None
    text: str | None = None
    links: list[dict[str, str]] | None = None
    structured_data: dict[str, Any] | None = None
    fetched_at: dt.datetime | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    # the raw response, for the WARC pipeline (dropped after writing)
    raw_body: bytes | None = field(default=None, repr=False)
    raw_headers: list[tuple[str, str]] | None = field(default=None, repr=False)

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "url", "final_url", "http_status", "outcome", "fetched_at", "content_type",
            "content_hash", "rendered", "depth", "title", "language", "text", "links",
            "structured_data", "warc_file", "warc_offset")}


@dataclass
class SiteDone:
    website_id: int
    outcome: str
    expected_pages: int


@dataclass
class ProductItem:
    website_id: int | None
    url: str
    name: str
    price: float | None = None
    currency: str | None = None
    availability: str | None = None
    brand: str | None = None
    gtin: str | None = None
    sku: str | None = None
    breadcrumb: str | None = None
    description: str | None = None
    image_url: str | None = None
    source: str | None = None
