"""A small local web for the spider tests: one threaded HTTP server on 127.0.0.1:port 0 that
answers for many `.test` hosts (the crawler reaches them through a host map, as it reaches the
sample web), with generated enterprise sites and hostile hosts. Nothing touches the internet."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

Response = tuple[int, dict[str, str], bytes]


def site_host(index: int) -> str:
    return f"www.site{index:03d}.example.test"


def enterprise_page(host: str, path: str) -> Response | None:
    """Deterministic generated sites: home, imprint, contact, about (+ a duplicate), products
    with deeper detail pages, a calendar trap and an external link."""
    index = int(host.split(".")[1][4:])
    def page(title: str, body: str) -> Response:
        html = (f"<html lang='en'><head><title>{title}</title></head><body><h1>{title}</h1>"
                f"<p>Site {index} of the spider tests. {body}</p></body></html>")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()
    if path == "/robots.txt":
        rules = "User-agent: *\nDisallow: /private\n" if index % 3 == 0 else "User-agent: *\n"
        return 200, {"Content-Type": "text/plain"}, rules.encode()
    if path == "/":
        links = "".join(f"<a href='/products/{n}'>Product {n}</a>" for n in range(6))
        return page("Home", "Welcome to our company, we sell many products to customers "
                    "across the country since 1990. " + links +
                    "<a href='/impressum'>Impressum</a><a href='/contact'>Contact</a>"
                    "<a href='/about'>About us</a><a href='/about-copy'>About (copy)</a>"
                    "<a href='/private/area'>Private</a><a href='/events/calendar?month=2024-01'>"
                    "Calendar</a><a href='https://www.elsewhere.example/'>Elsewhere</a>"
                    "<a href='/brochure.pdf'>Brochure</a>")
    if path == "/impressum":
        return page("Impressum", f"Example Site {index} GmbH, VAT DE{100000000 + index}.")
    if path == "/contact":
        return page("Contact", f"Call +49 30 {1000 + index}.")
    if path in ("/about", "/about-copy"):
        return page("About", "We are a family business.")
    if path.startswith("/private"):
        return page("Private", "Robots may not see this.")
    if path.endswith("/details"):
        return page("Details", f"Details of {path}")
    if path.startswith("/products/"):
        number = path.rsplit("/", 1)[1]
        return page(f"Product {number}", f"Price EUR {number}9.99 "
                    f"<a href='/products/{number}/details'>details</a>")
    if path.startswith("/events/calendar"):
        return page("Calendar", "Events <a href='/events/calendar?month=2024-02'>next</a>")
    return 404, {"Content-Type": "text/html"}, b"<html><title>Not found</title></html>"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "MiniWeb"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("http://") or self.path.startswith("https://"):
            parts = urlsplit(self.path)
            host = (parts.hostname or "").lower()
            path = parts.path or "/"
            query = parts.query
        else:
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            parts = urlsplit(self.path)
            path, query = parts.path, parts.query
        self.server.hits.append((host, path + ("?" + query if query else "")))
        self.server.hit_times.append((host, time.monotonic()))
        delay = self.server.host_delays.get(host, self.server.delay)
        if delay:
            time.sleep(delay)
        gate = self.server.gates.get(host)
        if gate is not None:  # held until the test opens it (bounded, so no thread is stuck)
            gate.wait(timeout=300)
        special = HOSTILE.get(host.split(".")[0]) or JS_SITES.get(host.split(".")[0])
        if special is not None:
            special(self, path, query)
            return
        if ".example.test" in host and host.startswith("www.site"):
            result = enterprise_page(host, path)
        else:
            result = (502, {"Content-Type": "text/plain"}, b"unknown host")
        self._send(*result)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _html(handler: Handler, body: str, status: int = 200, charset: str = "utf-8",
          raw: bytes | None = None) -> None:
    handler._send(status, {"Content-Type": f"text/html; charset={charset}"},
                  raw if raw is not None else body.encode())


def _robots_ok(handler: Handler, path: str) -> bool:
    if path == "/robots.txt":
        handler._send(404, {"Content-Type": "text/plain"}, b"")
        return True
    return False


def redirect_loop(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    target = "/b" if path == "/a" else "/a"
    handler._send(302, {"Location": target, "Content-Type": "text/html"}, b"")


def calendar(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    day = int(parse_qs(query).get("day", ["0"])[0])
    # a "calendar" without calendar words: only the permutation guard and page cap stop it
    links = f"<a href='/cal/{day + 1}/'>next</a><a href='/view?day={day + 1}&s=x'>v</a>"
    _html(handler, f"<html><title>Day {day}</title><body>Day {day} {links}"
                   f"<a href='/agenda/2024/01/{day + 1}'>agenda</a></body></html>")


def huge(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    size = 50 * 1024 * 1024
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    if path != "/chunked":
        handler.send_header("Content-Length", str(size))
    else:
        handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = b"<p>" + b"x" * 65536 + b"</p>"
    try:
        for _ in range(size // len(chunk)):
            handler.wfile.write(chunk)
    except OSError:
        pass
    handler.close_connection = True


def trickle(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(120):  # bounded: at most 60 s
            handler.wfile.write(b"<")
            handler.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass
    handler.close_connection = True


def error500(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    handler._send(500, {"Content-Type": "text/html"}, b"<html>Internal error</html>")


def charset(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    text = "<html><title>Bäckerei Müller</title><body>Frische Brötchen und Kuchen aus " \
           "unserer Bäckerei in München, täglich geöffnet.</body></html>"
    _html(handler, "", charset="utf-8", raw=text.encode("latin-1"))


def binary(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    _html(handler, "", raw=bytes(range(256)) * 64)


def broken(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    _html(handler, "<html><head><title>Broken</title><body><div><p>Unclosed <b>bold <a href='/x'>link"
                   "<table><tr><td>cell</div></span></html></html><<<>>> &bogus; \x01")


def robots5xx(handler: Handler, path: str, query: str) -> None:
    if path == "/robots.txt":
        handler._send(503, {"Content-Type": "text/plain"}, b"down")
        return
    _html(handler, "<html><title>Fine</title><body>fine page</body></html>")


def reset(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    # RST instead of a response
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def pdf(handler: Handler, path: str, query: str) -> None:
    if _robots_ok(handler, path):
        return
    handler._send(200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 fake")


HOSTILE: dict[str, Callable[[Handler, str, str], None]] = {
    "redirect-loop": redirect_loop, "calendar": calendar, "huge": huge, "trickle": trickle,
    "error500": error500, "charset": charset, "binary": binary, "broken": broken,
    "robots5xx": robots5xx, "reset": reset, "pdf": pdf,
}


def spa(handler: Handler, path: str, query: str) -> None:
    """A shop whose catalogue exists only after JavaScript runs."""
    _script_page(handler, path, "Teapots", "<h1>Teapot shop</h1><div class=product>Blue Tea Pot "
                 "EUR 19.99</div><a href=/cart>Cart</a>")


def leaky(handler: Handler, path: str, query: str) -> None:
    """A JavaScript page whose script also pulls a file from an intranet host (intranet.corp,
    mapped to loopback and not allowed): the browser must not fetch it."""
    _script_page(handler, path, "Tools", "<h1>Garden tools</h1><p>Spades and rakes for every "
                 "garden, delivered to your door.</p>",
                 extra_head="<script src='http://intranet.corp/secret.js' defer></script>")


def _script_page(handler: Handler, path: str, title: str, content: str,
                 extra_head: str = "") -> None:
    """An empty page (and robots.txt) whose /app.js writes `content` into it."""
    if _robots_ok(handler, path):
        return
    if path == "/app.js":
        script = f"document.getElementById('app').innerHTML = '{content}';"
        handler._send(200, {"Content-Type": "application/javascript"}, script.encode())
        return
    _html(handler, f"<html><head><title>{title}</title><script src='/app.js' defer></script>"
                   f"{extra_head}</head><body><div id='app'></div></body></html>")


def intranet(handler: Handler, path: str, query: str) -> None:
    script = "document.body.insertAdjacentHTML('beforeend', '<p>INTRANET SECRET</p>');"
    handler._send(200, {"Content-Type": "application/javascript"}, script.encode())


def jsonld_shop(handler: Handler, path: str, query: str) -> None:
    """Category pages with JSON-LD products and ?page=N pagination (5 pages, 3 products each)."""
    if _robots_ok(handler, path):
        return
    if path == "/":
        _html(handler, "<html><title>Shop</title><body><a href='/collections/tea'>Tea</a>"
                       "<a href='/impressum'>Impressum</a></body></html>")
        return
    if path != "/collections/tea":
        handler._send(404, {"Content-Type": "text/html"}, b"<html>no</html>")
        return
    page = int(parse_qs(query).get("page", ["1"])[0])
    items = [{"@type": "ListItem", "position": n, "item": {
        "@type": "Product", "name": f"Green Tea {page}-{n}", "sku": f"SKU{page}{n}",
        "gtin13": f"40000000{page}{n:04d}", "brand": {"@type": "Brand", "name": "Leaf"},
        "image": f"/img/{page}-{n}.jpg", "url": f"/products/tea-{page}-{n}",
        "offers": {"@type": "Offer", "price": f"{page}.{n}9", "priceCurrency": "EUR",
                   "availability": "https://schema.org/InStock"}}} for n in range(3)]
    import json
    data = json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "ItemList", "itemListElement": items},
        {"@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home"},
            {"@type": "ListItem", "position": 2, "name": "Tea"}]}]})
    more = f"<a rel='next' href='/collections/tea?page={page + 1}'>Next</a>" if page < 5 else ""
    _html(handler, f"<html><title>Tea {page}</title><script type='application/ld+json'>{data}"
                   f"</script><body>{more}</body></html>")


def tiles_shop(handler: Handler, path: str, query: str) -> None:
    """No structured data: product tiles with prices only."""
    if _robots_ok(handler, path):
        return
    tiles = "".join(f"<li class='product-tile'><h3>Mug {n}</h3><span class='price'>{n},50 €"
                    f"</span><a href='/mug-{n}'>view</a><img src='/m{n}.png'></li>"
                    for n in range(4))
    _html(handler, f"<html><title>Mugs</title><body><ul class='products'>{tiles}</ul>"
                   "</body></html>")


def crawl_delay(handler: Handler, path: str, query: str) -> None:
    """robots.txt asks for one second between requests."""
    if path == "/robots.txt":
        handler._send(200, {"Content-Type": "text/plain"},
                      b"User-agent: *\nCrawl-delay: 1\nDisallow: /no\n")
        return
    links = "".join(f"<a href='/page{n}'>p{n}</a>" for n in range(3))
    _html(handler, f"<html><title>{path}</title><body>Page {path} {links}</body></html>")


JS_SITES: dict[str, Callable[[Handler, str, str], None]] = {
    "crawl-delay": crawl_delay,
    "spa": spa, "jsonld-shop": jsonld_shop, "tiles-shop": tiles_shop, "leaky": leaky,
    "intranet": intranet}


class MiniWeb(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.delay = delay
        self.host_delays: dict[str, float] = {}  # per host, instead of `delay`
        # per host: its responses wait until the event is set (a crawl that cannot finish yet)
        self.gates: dict[str, threading.Event] = {}
        self.hits: list[tuple[str, str]] = []
        self.hit_times: list[tuple[str, float]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]

    def host_map(self, path: Path, hosts: list[str]) -> Path:
        path.write_text("".join(f"{host} 127.0.0.1:{self.port}\n" for host in hosts))
        return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path
