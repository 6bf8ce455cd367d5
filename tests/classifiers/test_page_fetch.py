"""`ecomstat classify page URL` fetches under the crawler's rules (issue 12 item 3): the
private-address rule on every hop (no connection at all to a refused address, counted by the
listeners), the checked address is the one connected to, and the size caps hold for the body as
sent and decompressed."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecomstat.cli import app

from ecommerce_fixtures import shop_page  # noqa: E402

runner = CliRunner()
SHOP = shop_page("de", 1).encode()
CAP = 200_000  # ECOMSTAT_MAX_RESPONSE_BYTES in these tests


class CountingServer(ThreadingHTTPServer):
    """Counts TCP connections, accepted or still waiting in the backlog when stopped."""

    daemon_threads = True

    def __init__(self, host: str, routes: dict[str, Callable[[BaseHTTPRequestHandler], None]],
                 port: int = 0) -> None:
        self.routes = routes
        self.connections = 0
        super().__init__((host, port), Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        conn = super().get_request()
        self.connections += 1
        return conn

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def stop(self) -> int:
        """Stop serving; the number of connections ever made to it."""
        self.shutdown()
        self.socket.setblocking(False)
        while True:
            try:
                waiting, _ = self.socket.accept()
            except (BlockingIOError, OSError):
                break
            waiting.close()
            self.connections += 1
        self.server_close()
        return self.connections


class Handler(BaseHTTPRequestHandler):
    server: CountingServer

    def do_GET(self) -> None:  # noqa: N802
        route = self.server.routes.get(self.path, _not_found)
        route(self)

    def log_message(self, *args: object) -> None:
        pass


def _send(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200,
          headers: dict[str, str] | None = None, length: bool = True) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    else:
        handler.send_header("Connection", "close")
    handler.end_headers()
    try:
        handler.wfile.write(body)
    except OSError:
        pass  # the client stopped reading at its cap


def _not_found(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, b"no", 404)


def _shop(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, SHOP)


@pytest.fixture
def serve() -> Iterator[Callable[..., CountingServer]]:
    started: list[CountingServer] = []

    def start(routes: dict[str, Callable[[BaseHTTPRequestHandler], None]],
              host: str = "127.0.0.1", port: int = 0) -> CountingServer:
        server = CountingServer(host, routes, port)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.socket.fileno() != -1:
            server.stop()


def classify(*urls: str, allow: str = "", **env: str):  # noqa: ANN201
    settings = {"ECOMSTAT_ALLOW_PRIVATE_HOSTS": allow, "ECOMSTAT_MAX_RESPONSE_BYTES": str(CAP),
                "ECOMSTAT_DOWNLOAD_TIMEOUT": "20", **env}
    return runner.invoke(app, ["classify", "page", *urls], env=settings)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f.0.0.1",
                                  "017700000001", "[::ffff:127.0.0.1]"])
def test_loopback_is_refused_without_a_connection(serve: Callable[..., CountingServer],
                                                  host: str) -> None:
    server = serve({"/": _shop})
    result = classify(f"http://{host}:{server.port}/")
    assert server.stop() == 0
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a public address" in result.stderr
    assert "ECOMSTAT_ALLOW_PRIVATE_HOSTS" in result.stderr


def test_a_refused_url_among_others_prints_nothing(serve: Callable[..., CountingServer],
                                                   tmp_path: Path) -> None:
    page = tmp_path / "shop.html"
    page.write_bytes(SHOP)
    server = serve({"/": _shop})
    result = classify(str(page), f"http://10.1.2.3:{server.port}/")
    assert result.exit_code == 2 and result.stdout == ""
    assert "10.1.2.3 is not a public address" in result.stderr


def test_a_redirect_to_a_refused_address_is_never_followed(
        serve: Callable[..., CountingServer]) -> None:
    target = serve({"/": _shop}, host="127.0.0.2")

    def to_target(handler: BaseHTTPRequestHandler) -> None:
        _send(handler, b"", 302, {"Location": f"http://127.0.0.2:{target.port}/"})

    first = serve({"/go": to_target})
    result = classify(f"http://localhost:{first.port}/go", allow="localhost")
    assert target.stop() == 0
    assert first.stop() == 1
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "redirects to http://127.0.0.2" in line and "not a public address" in line


def test_allowed_host_is_fetched_and_classified(serve: Callable[..., CountingServer]) -> None:
    def hop(handler: BaseHTTPRequestHandler) -> None:
        _send(handler, b"", 301, {"Location": "/shop"})

    server = serve({"/": hop, "/shop": _shop})
    result = classify(f"http://localhost:{server.port}/", allow="localhost")
    assert server.stop() == 2  # the redirect and the page
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert line["ecommerce"] is True and line["input"] == f"http://localhost:{server.port}/"


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversized_body_is_refused(serve: Callable[..., CountingServer], declared: bool) -> None:
    big = b"<html><body>" + b"<p>Warenkorb</p>" * (CAP // 10) + b"</body></html>"
    server = serve({"/big": lambda h: _send(h, big, length=declared), "/": _shop})
    base = f"http://localhost:{server.port}"
    result = classify(f"{base}/big", f"{base}/", allow="localhost")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1  # the other page was still classified
    assert "too large" in lines[0]["error"] and "ECOMSTAT_MAX_RESPONSE_BYTES" in lines[0]["error"]
    assert str(CAP) in lines[0]["error"]
    assert lines[1]["ecommerce"] is True


def test_a_gzip_bomb_is_refused(serve: Callable[..., CountingServer]) -> None:
    bomb = gzip.compress(b"<html><body>" + b" " * (40 * CAP), compresslevel=9)
    assert len(bomb) < CAP  # small on the wire, 40 times the cap unpacked
    server = serve({"/bomb": lambda h: _send(h, bomb, headers={"Content-Encoding": "gzip"})})
    result = classify(f"http://localhost:{server.port}/bomb", allow="localhost")
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert "decompressed body over the" in error and "ECOMSTAT_MAX_RESPONSE_BYTES" in error


def test_gzip_within_the_cap_is_unpacked(serve: Callable[..., CountingServer]) -> None:
    packed = gzip.compress(SHOP)
    server = serve({"/": lambda h: _send(h, packed, headers={"Content-Encoding": "gzip"})})
    result = classify(f"http://localhost:{server.port}/", allow="localhost")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ecommerce"] is True


def test_redirect_loops_stop_at_the_cap(serve: Callable[..., CountingServer]) -> None:
    server = serve({"/loop": lambda h: _send(h, b"", 302, {"Location": "/loop"})})
    result = classify(f"http://localhost:{server.port}/loop", allow="localhost",
                      ECOMSTAT_MAX_REDIRECTS="3")
    assert server.stop() == 4  # the first request and 3 redirects
    assert result.exit_code == 1
    assert "more than 3 redirects" in json.loads(result.stdout)["error"]


def test_overlong_urls_are_refused_before_anything(serve: Callable[..., CountingServer]) -> None:
    server = serve({"/": _shop})
    url = f"http://localhost:{server.port}/?q=" + "x" * 100
    result = classify(url, allow="localhost", ECOMSTAT_MAX_URL_LENGTH="80")
    assert server.stop() == 0
    assert result.exit_code == 2 and "ECOMSTAT_MAX_URL_LENGTH" in result.stderr


def test_a_slow_server_ends_at_the_timeout(serve: Callable[..., CountingServer]) -> None:
    release = threading.Event()

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        # a byte every 0.2 s: no single read waits long, only the whole exchange is too slow
        while not release.wait(0.2):
            try:
                handler.wfile.write(b" ")
                handler.wfile.flush()
            except OSError:
                return

    server = serve({"/": drip})
    try:
        result = classify(f"http://localhost:{server.port}/", allow="localhost",
                          ECOMSTAT_DOWNLOAD_TIMEOUT="1")
    finally:
        release.set()
    assert result.exit_code == 1
    assert "timed out after 1 s" in json.loads(result.stdout)["error"]


def test_the_connection_goes_to_the_checked_address(serve: Callable[..., CountingServer],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a second lookup would answer the decoy; there is no second lookup."""
    checked = serve({"/": _shop})
    decoy = serve({"/": _shop}, host="127.0.0.2", port=checked.port)
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2"])
    real = socket.getaddrinfo

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> list[tuple]:
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    result = classify(f"http://rebind.test:{checked.port}/", allow=".test")
    assert decoy.stop() == 0
    assert checked.stop() == 1
    assert result.exit_code == 0, result.output
    assert next(answers) == "127.0.0.2"  # exactly one lookup was made
