"""Second line of trap defence: a request the spider did not vet itself (a redirect target, a
request from another component) is checked against the trap rules before download."""

from __future__ import annotations

from typing import Any

from ecomstat.spiders.outcomes import TrapRefused
from ecomstat.spiders.traps import TrapDetector


class TrapMiddleware:
    def __init__(self, max_url_length: int) -> None:
        self.detector = TrapDetector(max_url_length)

    @classmethod
    def from_crawler(cls, crawler: Any) -> TrapMiddleware:
        return cls(crawler.settings.getint("URLLENGTH_LIMIT") or 2048)

    def process_request(self, request: Any) -> None:
        if request.meta.get("dont_obey_robotstxt") or \
                request.meta.get("ecomstat_vetted_url") == request.url:
            return None
        reason = self.detector.reason(request.url)
        if reason:
            raise TrapRefused(f"trap ({reason}): {request.url}")
        return None
