"""Read the pages `ecomstat classify page` is given: local .html/.html.gz files or URLs (one
plain HTTP GET under the crawler's rules: classifiers.fetch; nothing fancy such as robots.txt or
rendering)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ecomstat.classifiers.ecommerce.model import EcommerceModel
from ecomstat.classifiers.ecommerce.registry import classify_html
from ecomstat.classifiers.errors import PageInputError
from ecomstat.classifiers.fetch import USER_AGENT, FetchLimits, check_url, fetch

__all__ = ["USER_AGENT", "FetchLimits", "check_inputs", "classify_inputs", "is_url",
           "read_input"]

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def check_inputs(sources: Sequence[str], limits: FetchLimits | None = None) -> None:
    """Fail before any output when a local file is missing or a URL is refused by its form
    (scheme, length, an address literal the private-address rule refuses); names are resolved
    and checked when fetched."""
    if not sources:
        raise PageInputError("give at least one HTML file or URL")
    missing = [s for s in sources if not is_url(s) and not Path(s).is_file()]
    if missing:
        raise PageInputError(f"file not found: {', '.join(missing[:5])}")
    for source in sources:
        if is_url(source):
            check_url(source, limits or FetchLimits())


def read_input(source: str, *, max_bytes: int = DEFAULT_MAX_BYTES, timeout: float = 30.0,
               limits: FetchLimits | None = None) -> tuple[bytes, str, str | None]:
    """(body, url, content type) of a file or URL. A URL's response beyond the byte cap is
    refused (TooLarge, a PageInputError); a refused address raises RefusedAddress (BadInput).
    Local files beyond max_bytes are truncated."""
    if is_url(source):
        fetched = fetch(source, limits or FetchLimits(max_bytes=max_bytes, timeout=timeout))
        return fetched.body, fetched.url, fetched.content_type
    path = Path(source)
    try:
        with open(path, "rb") as handle:
            gzipped = handle.read(2) == GZIP_MAGIC
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as handle:
            body = handle.read(max_bytes)  # larger pages are truncated, never a memory blow-up
    except (OSError, EOFError) as exc:
        raise PageInputError(f"{source}: cannot read ({exc})") from None
    return body, "", None


def classify_inputs(sources: Sequence[str], model: EcommerceModel, *,
                    max_bytes: int = DEFAULT_MAX_BYTES,
                    limits: FetchLimits | None = None) -> Iterator[dict[str, Any]]:
    """One result object per input, in order; an unreadable input (missing page, HTTP error,
    too large, timeout) gives an `error` object instead of stopping the others. A host the
    private-address rule refuses stops everything (RefusedAddress): that is a wrong input, not
    a page that failed."""
    limits = limits or FetchLimits(max_bytes=max_bytes)
    for source in sources:
        try:
            body, url, content_type = read_input(source, max_bytes=limits.max_bytes,
                                                 limits=limits)
        except PageInputError as exc:
            yield {"input": source, "error": str(exc)}
            continue
        prediction = classify_html(body, url, model, content_type)
        yield {"input": source, "ecommerce": prediction.ecommerce,
               "probability": round(prediction.probability, 4),
               "model": f"{model.name}@{model.version}", "evidence": prediction.evidence}
