"""`SampleWebServer`: one threaded HTTP server for every sample-web host, dispatching on Host.

`latency` (seconds, default 0) delays every response, as a distant server would (benchmarks);
with `latency_spread` each response waits `latency` plus a uniform draw in [0, spread) instead
(200-800 ms: latency=0.2, latency_spread=0.6), from a generator seeded by `latency_seed`.

It answers origin-form requests (`GET /path` with `Host: www.x.de.test`) and absolute-form
proxy requests (`GET http://www.x.de.test/path HTTP/1.1`), since the crawler uses it as an HTTP
proxy for the hosts in the host map. Unknown hosts get 502 and the connection is closed. Pages
are rendered on the fly from the site specs and the rendered bytes cached; HTTP/1.1 keep-alive.
"""

from __future__ import annotations

import random
import socket
import sys
import threading
import time
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from ecomstat.errors import BadInput
from ecomstat.sampleweb.model import Population
from ecomstat.sampleweb.pages import Response, SiteRenderer


class SampleWeb:
    """Host -> response, independent of the socket layer (so tests and benches can call it)."""

    def __init__(self, population: Population, cache_size: int = 20_000) -> None:
        self.population = population
        self._renderers: dict[str, SiteRenderer] = {}
        self._lock = threading.Lock()
        self.respond = lru_cache(maxsize=cache_size)(self._respond)

    def knows(self, host: str) -> bool:
        return host in self.population.sites or host in self.population.redirects

    def _renderer(self, host: str) -> SiteRenderer:
        renderer = self._renderers.get(host)
        if renderer is None:
            with self._lock:
                renderer = self._renderers.get(host)
                if renderer is None:
                    renderer = SiteRenderer(self.population.sites[host])
                    self._renderers[host] = renderer
        return renderer

    def _respond(self, host: str, target: str) -> Response | None:
        """The response for `target` (path + query) on `host`; None for an unknown host."""
        parts = urlsplit(target)
        path = parts.path or "/"
        redirect = self.population.redirects.get(host)
        if redirect is not None:
            location = redirect.rstrip("/") + path + (f"?{parts.query}" if parts.query else "")
            return Response(301, "text/html; charset=utf-8",
                            b"<html><body>Moved Permanently</body></html>", location)
        if host not in self.population.sites:
            return None
        return self._renderer(host).respond(path, parts.query)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SampleWeb/1.0"
    timeout = 60  # idle keep-alive connections are dropped after this
    wbufsize = 1 << 16  # headers and body leave in one segment (flushed after each request)
    server: "_Server"

    def setup(self) -> None:
        super().setup()
        # no Nagle: with delayed ACKs it would add ~40 ms to every keep-alive response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_POST(self) -> None:  # noqa: N802  forms (cart, contact, booking) land on their page
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute-form: we are being used as a proxy
            parts = urlsplit(target)
            host = parts.hostname or ""
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        else:  # origin-form: the Host header names the site (any port is ours)
            host = urlsplit("//" + (self.headers.get("Host") or "").strip()).hostname or ""
        host = host.rstrip(".").lower()
        delay = self.server.response_delay()
        if delay:
            time.sleep(delay)  # this connection's thread only
        response = self.server.web.respond(host, target)
        if response is None:
            body = f"unknown host {host!r}\n".encode()
            self.send_response(502)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self.wfile.write(body)
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if response.location:
            self.send_header("Location", response.location)
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: benches log nothing
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # listen backlog: benches open hundreds of connections at once
    web: SampleWeb
    latency: float = 0.0
    latency_spread: float = 0.0
    _latency_random: random.Random
    _latency_lock: threading.Lock

    def response_delay(self) -> float:
        if not self.latency_spread:
            return self.latency
        with self._latency_lock:  # one seeded sequence shared by the handler threads
            return self.latency + self._latency_random.uniform(0.0, self.latency_spread)

    def handle_error(self, request: object, client_address: object) -> None:
        # Crawlers drop connections (timeouts, size caps, shutdown): that is no server error.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class SampleWebServer:
    """The sample web on `host:port` (port 0 = the OS picks). A context manager:

        with SampleWebServer(pop) as server:
            print(server.port, server.address)
    """

    def __init__(self, population: Population, host: str = "127.0.0.1", port: int = 0,
                 latency: float = 0.0, latency_spread: float = 0.0,
                 latency_seed: int = 0) -> None:
        for name, value in (("latency", latency), ("latency spread", latency_spread)):
            if not 0 <= value < 3600:  # also refuses NaN
                raise BadInput(f"{name} must be 0 or more seconds (under an hour), got {value!r}")
        self.population = population
        self.web = SampleWeb(population)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.web = self.web
        self._httpd.latency = latency
        self._httpd.latency_spread = latency_spread
        self._httpd._latency_random = random.Random(latency_seed)
        self._httpd._latency_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT`, the form used in the host map."""
        return f"{self.host}:{self.port}"

    def start(self) -> "SampleWebServer":
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="sampleweb",
                                            daemon=True, kwargs={"poll_interval": 0.2})
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until `stop()` (or KeyboardInterrupt)."""
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> "SampleWebServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
