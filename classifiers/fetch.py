"""One page fetched over HTTP(S) for `ecomstat classify page`, under the crawler's rules.

The crawler's guarantees without the crawler: every hop's host is resolved once, checked by
ecomstat.netsafety (the one private-address rule) and connected to at exactly the checked
address, so a DNS answer that changes between check and connect (DNS rebinding) is never used;
redirects are followed by hand, each hop checked again, at most ECOMSTAT_MAX_REDIRECTS of them;
URLs longer than ECOMSTAT_MAX_URL_LENGTH are refused; the body is capped at
ECOMSTAT_MAX_RESPONSE_BYTES both as sent and once decompressed (a gzip bomb stops at the cap);
ECOMSTAT_DOWNLOAD_TIMEOUT bounds the whole exchange, not each read, so a server dripping one byte
at a time cannot hold the command.

http.client does the protocol; only the socket it opens is ours (`_create_connection`, the hook
http.client itself uses), so TLS still verifies the certificate for the URL's host name. Proxy
environment variables are not used: a proxy would resolve the name itself, out of the rule's
reach.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from w3lib.url import safe_url_string

from ecomstat.classifiers.errors import PageInputError
from ecomstat.errors import BadInput
from ecomstat.netsafety import RefusedAddress, UnresolvableHost, check_host, parse_address
from ecomstat.settings import Settings

USER_AGENT = "ecomstat-classify/0.1 (+https://github.com/ecomstat)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 65536
GZIP_MAGIC = b"\x1f\x8b"


class TooLarge(PageInputError):
    """A response beyond ECOMSTAT_MAX_RESPONSE_BYTES (as sent or decompressed)."""


@dataclass(frozen=True)
class FetchLimits:
    """The crawler's caps, read from the same settings."""

    max_bytes: int = 5 * 1024 * 1024
    timeout: float = 30.0
    max_redirects: int = 5
    max_url_length: int = 2048
    allowed: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(max_bytes=settings.getint("ECOMSTAT_MAX_RESPONSE_BYTES"),
                   timeout=settings.getfloat("ECOMSTAT_DOWNLOAD_TIMEOUT"),
                   max_redirects=settings.getint("ECOMSTAT_MAX_REDIRECTS"),
                   max_url_length=settings.getint("ECOMSTAT_MAX_URL_LENGTH"),
                   allowed=tuple(settings.getlist("ECOMSTAT_ALLOW_PRIVATE_HOSTS")))


@dataclass(frozen=True)
class Fetched:
    body: bytes
    url: str  # after redirects
    content_type: str | None


def check_url(url: str, limits: FetchLimits) -> tuple[str, str, str, int]:
    """(URL as sent, scheme, host, port) of an http(s) URL within the length cap; an address
    literal in it (any spelling) is checked against the rule here, before anything is resolved
    or sent. What goes on the wire is ASCII, as the crawler sends it (w3lib: IDNA host,
    percent-encoded path). Raises BadInput (RefusedAddress for a refused literal)."""
    try:
        url = safe_url_string(url.strip())
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, UnicodeError) as exc:
        raise BadInput(f"{url}: not a valid URL ({exc})") from None
    if len(url) > limits.max_url_length:
        raise BadInput(f"{url[:80]}...: URL longer than {limits.max_url_length} characters "
                       "(ECOMSTAT_MAX_URL_LENGTH)")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadInput(f"{url}: only http and https URLs are fetched")
    host = parts.hostname or ""
    if not host or any(c.isspace() or ord(c) < 32 for c in host):
        raise BadInput(f"{url}: no valid host")
    if parse_address(host) is not None:
        check_host(host, limits.allowed)  # no lookup for a literal: refuses or passes now
    return url, scheme, host, port or (443 if scheme == "https" else 80)


def fetch(url: str, limits: FetchLimits) -> Fetched:
    """GET `url` under `limits`, following redirects. Raises RefusedAddress (BadInput) when a
    hop's host is not a public address, BadInput for a URL the rules refuse, PageInputError
    for what the server did (HTTP error, too large, timeout, unreachable)."""
    deadline = time.monotonic() + limits.timeout
    current = url
    for hop in range(limits.max_redirects + 1):
        try:
            current, scheme, host, port = check_url(current, limits)
            addresses = check_host(host, limits.allowed, port)
        except UnresolvableHost as exc:
            raise PageInputError(f"{current}: {exc}") from None
        except RefusedAddress as exc:
            if hop == 0:
                raise
            raise RefusedAddress(f"{url} redirects to {current}: {exc}") from None
        except BadInput as exc:
            if hop == 0:
                raise
            # the server's redirect, not the user's URL, is malformed: this page failed
            raise PageInputError(f"{url} redirects to a refused URL: {exc}") from None
        status, location, content_type, body = _get(scheme, host, port, addresses, current,
                                                    limits, deadline)
        if status in REDIRECT_STATUSES and location:
            current = urljoin(current, location.strip())
            continue
        if status >= 400:
            raise PageInputError(f"{current}: HTTP {status}")
        return Fetched(body, current, content_type)
    raise PageInputError(f"{url}: more than {limits.max_redirects} redirects "
                         "(ECOMSTAT_MAX_REDIRECTS)")


def _target(url: str) -> str:
    """The request target (path and query) of `url`."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _connection(scheme: str, host: str, port: int, address: str, timeout: float,
                watched: list[socket.socket]) -> http.client.HTTPConnection:
    """A connection to `host` whose socket goes to the checked `address` (the Host header and
    the TLS server name and certificate check stay `host`). A duplicate of the socket goes to
    `watched`, for the watchdog: TLS takes the original over, the duplicate still shuts it."""
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def pinned(_where: Any, timeout: Any = None, source_address: Any = None) -> socket.socket:
        sock = socket.create_connection((address, port), timeout, source_address)
        watched.append(sock.dup())
        return sock

    conn._create_connection = pinned  # type: ignore[attr-defined]  # http.client's hook
    return conn


def _get(scheme: str, host: str, port: int, addresses: list[str], url: str,
         limits: FetchLimits, deadline: float) -> tuple[int, str | None, str | None, bytes]:
    """One GET at the first of the checked addresses that accepts a connection: (status,
    Location, content type, body decompressed and capped). The whole exchange (connect, TLS,
    headers, body) ends at the deadline: a watchdog shuts the socket, which also ends a read
    that a slow server keeps alive byte by byte."""
    last_error: Exception | None = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        watched: list[socket.socket] = []
        expired = threading.Event()

        def expire(watched: list[socket.socket] = watched, expired: threading.Event = expired,
                   ) -> None:
            expired.set()
            for sock in watched:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        conn = _connection(scheme, host, port, address, remaining, watched)
        watchdog = threading.Timer(remaining, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                conn.connect()
            except OSError as exc:  # refused, unreachable, TLS handshake or certificate
                if expired.is_set():
                    raise _timed_out(url, limits) from None
                last_error = exc
                continue
            return _exchange(conn, url, limits, expired)
        finally:
            watchdog.cancel()
            conn.close()
            for sock in watched:
                sock.close()
    if last_error is None or isinstance(last_error, TimeoutError):
        raise _timed_out(url, limits)
    raise PageInputError(f"{url}: {getattr(last_error, 'strerror', None) or last_error}")


def _timed_out(url: str, limits: FetchLimits) -> PageInputError:
    return PageInputError(f"{url}: timed out after {limits.timeout:g} s "
                          "(ECOMSTAT_DOWNLOAD_TIMEOUT)")


def _exchange(conn: http.client.HTTPConnection, url: str, limits: FetchLimits,
              expired: threading.Event) -> tuple[int, str | None, str | None, bytes]:
    try:
        conn.request("GET", _target(url), headers={
            "User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
            "Accept-Encoding": "gzip, deflate"})
        response = conn.getresponse()
        status = response.status
        location = response.getheader("Location")
        if status in REDIRECT_STATUSES and location:
            return status, location, None, b""
        if status >= 400:
            return status, None, None, b""
        body = _read_capped(response, url, limits.max_bytes)
        if expired.is_set():  # the watchdog's shutdown reads as an early end of the body
            raise TimeoutError
        content_type = response.getheader("Content-Type")
        encoding = (response.getheader("Content-Encoding") or "").strip().lower()
        return status, None, *_decoded(body, encoding, content_type, url, limits.max_bytes)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise _timed_out(url, limits) from None
        raise PageInputError(f"{url}: {getattr(exc, 'strerror', None) or exc!r}") from None


def _read_capped(response: http.client.HTTPResponse, url: str, max_bytes: int) -> bytes:
    """The body as sent, refused past max_bytes (announced or counted)."""
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > max_bytes:
        raise TooLarge(_too_large(url, max_bytes, f"Content-Length {int(declared)}"))
    body = bytearray()
    while True:
        chunk = response.read(min(CHUNK, max_bytes + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise TooLarge(_too_large(url, max_bytes, "body"))


def _decoded(body: bytes, encoding: str, content_type: str | None, url: str,
             max_bytes: int) -> tuple[str | None, bytes]:
    """(content type, body) with gzip/deflate undone, at most max_bytes of it."""
    if encoding in ("gzip", "x-gzip") or (not encoding and body[:2] == GZIP_MAGIC):
        if not encoding:
            content_type = None  # a .html.gz served as application/gzip: the type says nothing
        return content_type, _inflate(body, zlib.MAX_WBITS | 16, url, max_bytes)
    if encoding == "deflate":
        # zlib-wrapped per the RFC, raw deflate from some servers
        wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS
        return content_type, _inflate(body, wbits, url, max_bytes)
    if encoding in ("", "identity"):
        return content_type, body
    raise PageInputError(f"{url}: unsupported Content-Encoding {encoding!r}")


def _inflate(body: bytes, wbits: int, url: str, max_bytes: int) -> bytes:
    """Decompress at most max_bytes (+1 to tell "exactly the cap" from "more"): a gzip bomb is
    refused after max_bytes of output, never inflated whole. A truncated stream gives what
    could be read."""
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise PageInputError(f"{url}: damaged compressed body ({exc})") from None
    if len(out) > max_bytes:
        raise TooLarge(_too_large(url, max_bytes, "decompressed body"))
    return out


def _too_large(url: str, max_bytes: int, what: str) -> str:
    return (f"{url}: response too large: {what} over the {max_bytes}-byte cap "
            "(ECOMSTAT_MAX_RESPONSE_BYTES)")
