"""Read the pages `ecomstat classify page` is given: local .html/.html.gz files or URLs (one
plain HTTP GET, size-capped; nothing fancy such as robots.txt or rendering)."""

from __future__ import annotations

import gzip
import io
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from classifiers.ecommerce.model import EcommerceModel
from classifiers.ecommerce.registry import classify_html
from classifiers.errors import PageInputError

USER_AGENT = "ecomstat-classify/0.1 (+https://github.com/ecomstat)"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def check_inputs(sources: Sequence[str]) -> None:
    """Fail before any output when a local file is missing (URLs are checked when fetched)."""
    if not sources:
        raise PageInputError("give at least one HTML file or URL")
    missing = [s for s in sources if not is_url(s) and not Path(s).is_file()]
    if missing:
        raise PageInputError(f"file not found: {', '.join(missing[:5])}")


def read_input(source: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
               timeout: float = 30.0) -> tuple[bytes, str, str | None]:
    """(body, url, content type) of a file or URL; bodies beyond max_bytes are truncated."""
    if is_url(source):
        request = urllib.request.Request(source, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body = response.read(max_bytes)
                content_type = response.headers.get("Content-Type")
                # gzip transfer encoding, or a gzipped file (.html.gz) served as is
                if body[:2] == GZIP_MAGIC:
                    if response.headers.get("Content-Encoding", "") != "gzip":
                        content_type = None  # application/gzip says nothing of the page
                    body = _gunzip(body, max_bytes)
                return body, response.geturl(), content_type
        except urllib.error.HTTPError as exc:
            raise PageInputError(f"{source}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise PageInputError(f"{source}: {getattr(exc, 'reason', exc)}") from None
    path = Path(source)
    try:
        with open(path, "rb") as handle:
            gzipped = handle.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as handle:
            body = handle.read(max_bytes)  # larger pages are truncated, never a memory blow-up
    except (OSError, EOFError) as exc:
        raise PageInputError(f"{source}: cannot read ({exc})") from None
    return body, "", None


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    """At most max_bytes of a gzipped body (a gzip bomb stops there; a truncated or damaged
    stream gives what could be read)."""
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            while len(out) < max_bytes:
                chunk = stream.read(min(65536, max_bytes - len(out)))
                if not chunk:
                    break
                out += chunk
    except (OSError, EOFError, zlib.error):
        pass
    return bytes(out)


def classify_inputs(sources: Sequence[str], model: EcommerceModel, *,
                    max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[dict[str, Any]]:
    """One result object per input, in order; an unreadable input gives an `error` object
    instead of stopping the others."""
    for source in sources:
        try:
            body, url, content_type = read_input(source, max_bytes=max_bytes)
        except PageInputError as exc:
            yield {"input": source, "error": str(exc)}
            continue
        prediction = classify_html(body, url, model, content_type)
        yield {"input": source, "ecommerce": prediction.ecommerce,
               "probability": round(prediction.probability, 4),
               "model": f"{model.name}@{model.version}", "evidence": prediction.evidence}
