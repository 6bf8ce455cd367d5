"""Outcomes: what happened to one fetch, as recorded on page rows, site visits and run counts."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

OK = "ok"
ROBOTS_DENIED = "robots-denied"
DNS_FAILURE = "dns-failure"
TIMEOUT = "timeout"
HTTP_ERROR = "http-error"
REFUSED_PRIVATE = "refused-private"
TRAP = "trap"
TOO_LARGE = "too-large"
NOT_HTML = "not-html"
TOO_MANY_REDIRECTS = "too-many-redirects"
CONNECTION_ERROR = "connection-error"
DUPLICATE = "duplicate"  # same content as another page of the site (not stored)

ALL = (
    OK, ROBOTS_DENIED, DNS_FAILURE, TIMEOUT, HTTP_ERROR, REFUSED_PRIVATE, TRAP, TOO_LARGE,
    NOT_HTML, TOO_MANY_REDIRECTS, CONNECTION_ERROR,
)

# Website status after the home page ended with this outcome. Transient outcomes never demote a
# 'linked' or 'verified' website (the site visit records them).
PERMANENT_FAILURES = {DNS_FAILURE: "dead", REFUSED_PRIVATE: "dead"}
TRANSIENT_FAILURES = {TIMEOUT: "unreachable", HTTP_ERROR: "unreachable",
                      CONNECTION_ERROR: "unreachable", TOO_MANY_REDIRECTS: "unreachable"}


class OutcomeIgnore(IgnoreRequest):
    """An IgnoreRequest that carries the outcome to record."""

    outcome = "ignored"

    def __init__(self, message: str = "", outcome: str | None = None) -> None:
        super().__init__(message or self.outcome)
        if outcome:
            self.outcome = outcome


class RefusedPrivate(OutcomeIgnore):
    outcome = REFUSED_PRIVATE


class DnsFailure(OutcomeIgnore):
    outcome = DNS_FAILURE


class TrapRefused(OutcomeIgnore):
    outcome = TRAP


class NotHtml(OutcomeIgnore):
    outcome = NOT_HTML


class TooLarge(OutcomeIgnore):
    """A rendered page over its caps (bytes fulfilled, DOM size)."""

    outcome = TOO_LARGE


class TimedOut(OutcomeIgnore):
    """A render that did not finish in ECOMSTAT_RENDER_TIMEOUT."""

    outcome = TIMEOUT


def outcome_of_failure(failure: object) -> str:
    """Map a Twisted failure (errback argument) or exception to an outcome."""
    exc = getattr(failure, "value", failure)
    if isinstance(exc, OutcomeIgnore):
        return exc.outcome
    name = type(exc).__name__
    message = str(exc).lower()
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in message:
            return ROBOTS_DENIED
        if "redirect" in message:
            return TOO_MANY_REDIRECTS
        return TRAP if "trap" in message else CONNECTION_ERROR
    if name == "DownloadCancelledError" or "maxsize" in message or "larger than" in message:
        return TOO_LARGE
    if name in {"DNSLookupError", "CannotResolveHostError", "gaierror"}:  # Scrapy 2.13+ wraps
        return DNS_FAILURE
    if "timeout" in name.lower() or "timed out" in message or name == "CancelledError":
        return TIMEOUT
    if name == "HttpError":
        return HTTP_ERROR
    return CONNECTION_ERROR
