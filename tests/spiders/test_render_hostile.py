"""A hostile site tries every route out of the crawler's Chromium to a service on loopback; a
listener on its own port counts the connections it accepts: 0 expected, and nothing of it stored.

The hostile sites are `.test` hosts mapped to a local server (allowed, as the sample web is); the
listener is reached as 127.0.0.1:PORT and as `intranet.corp` (mapped to it, not allowed).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import write_lines
from tests.conftest import require_service
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun, Page, Product, Website

SECRET = "LOOPBACK SECRET"
pytestmark = pytest.mark.chromium


class CountingListener:
    """A service on loopback: counts every accepted connection, answers with a secret."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
            body = (f"<html><title>{SECRET}</title><body><p>{SECRET}</p><script type="
                    f"'application/ld+json'>{{\"@type\":\"Product\",\"name\":\"{SECRET}\","
                    f"\"offers\":{{\"price\":\"1\",\"priceCurrency\":\"EUR\"}}}}</script>"
                    f"<script>document.title='{SECRET}'</script></body></html>").encode()
            try:
                conn.settimeout(2)
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close"
                             b"\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()


def gzip_bomb(inflated: int) -> bytes:
    """A script that sets the title when run, padded with `inflated` bytes of spaces, gzipped."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b"document.title = 'BOMB RAN';\n")]
    chunk = b" " * (1 << 20)
    for _ in range(inflated >> 20):
        parts.append(compressor.compress(chunk))
    parts.append(compressor.flush())
    return b"".join(parts)


def shell(marker: str, head: str = "") -> bytes:
    """An empty app shell (needs rendering) whose /app.js fills it (APP_JS)."""
    return (f"<html><head><title>{marker}</title><script src='/app.js' defer></script>{head}"
            f"</head><body><div id='app'></div></body></html>").encode()


class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileWeb

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("http://"):
            host, _, path = self.path[len("http://"):].partition("/")
            path = "/" + path
        else:
            host, path = self.headers.get("Host", ""), self.path
        site = host.split(":")[0].split(".")[0]
        agent = self.headers.get("User-Agent", "")
        self.server.hits.append((site, path, agent))
        loop = f"http://127.0.0.1:{self.server.listener_port}"
        if path == "/robots.txt":
            return self._send(404, "text/plain", b"")
        if path == "/app.js":
            return self._send(200, "application/javascript", APP_JS[site].replace(
                "LOOP", loop).encode())
        page = {
            # the navigation itself redirects to loopback (--render always / auto)
            "navredir": lambda: self._redirect(f"{loop}/"),
            # the page's scripts and API call redirect to loopback (302, 301, 307; address
            # written as a name, a literal and a decimal number)
            "subredir": lambda: self._shell(site, "".join(
                f"<script src='/{name}' defer></script>" for name in EVIL)),
            # an app shell to Scrapy, a 302 to any browser's own fetch
            "cloak": lambda: self._shell(site) if "ecomstat" in agent
            else self._redirect(f"{loop}/"),
            "preconnect": lambda: self._shell(site, (
                f"<link rel='preconnect' href='{loop}'><link rel='dns-prefetch' href='{loop}'>"
                "<link rel='preconnect' href='http://intranet.corp'>"
                f"<link rel='prefetch' href='{loop}/prefetch'><link rel='stylesheet' "
                f"href='{loop}/style.css'><link rel='icon' href='{loop}/favicon.ico'>")),
            "iframe": lambda: self._shell(site, f"<iframe src='{loop}/static-frame'></iframe>"),
            "phonehome": lambda: self._shell(site, (
                "<link rel='dns-prefetch' href='//dns-prefetch.phone-home.example'>"
                "<link rel='preconnect' href='http://preconnect.phone-home.example'>"
                "<a href='http://link.phone-home.example/'>elsewhere</a>")),
        }.get(site, lambda: self._shell(site))
        if path == "/api":
            return self._redirect(f"{loop}{path}")
        if path[1:] in EVIL:
            status, target = EVIL[path[1:]]
            return self._redirect(target.replace("PORT", str(self.server.listener_port)), status)
        if path == "/bomb.js":
            return self._send(200, "application/javascript", self.server.bomb,
                              {"Content-Encoding": "gzip"})
        if path == "/sw.js":
            return self._send(200, "application/javascript", f"fetch('{loop}/sw')".encode())
        if path == "/":
            return page()
        return self._send(404, "text/html", b"<html>no</html>")

    def _shell(self, site: str, head: str = "") -> None:
        if site == "gzbomb":
            head += "<script src='/bomb.js' defer></script>"
        self._send(200, "text/html; charset=utf-8", shell(f"{site} page", head))

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, "text/html", b"", {"Location": location})

    def _send(self, status: int, content_type: str, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


EVIL = {"evil.js": (302, "http://127.0.0.1:PORT/evil.js"),
        "evil2.js": (301, "http://localhost:PORT/evil2.js"),
        "evil3.js": (307, "http://2130706433:PORT/evil3.js"),
        "evil4.js": (308, "http://intranet.corp/evil4.js")}
WRITE = "document.getElementById('app').innerHTML = '<h1>{site} content</h1><p>This shop " \
        "sells blue teapots and garden tools to customers.</p>';\n"
APP_JS = {site: WRITE.format(site=site) + extra for site, extra in {
    "navredir": "",
    "jsnav": "setTimeout(() => { location.href = 'LOOP/jsnav'; }, 10);",
    "subredir": "fetch('/api').then(r => r.text()).then(t => document.body.append(t));",
    "cloak": "",
    "xhr": ("fetch('LOOP/fetch').then(r => r.text()).then(t => document.body.append(t));"
            "const x = new XMLHttpRequest(); x.open('GET', 'http://intranet.corp/xhr');"
            "x.onload = () => document.body.append(x.responseText); x.send();"
            "navigator.sendBeacon('LOOP/beacon', 'x');"),
    "ws": ("const w = new WebSocket('ws://127.0.0.1:' + 'LOOP'.split(':')[2] + '/');"
           "w.onmessage = e => document.body.append(e.data);"
           "new WebSocket('ws://intranet.corp/');"),
    "popup": "window.open('LOOP/popup'); window.open('http://intranet.corp/popup', '_blank');",
    "preconnect": "",
    "sw": "navigator.serviceWorker && navigator.serviceWorker.register('/sw.js');",
    "iframe": ("const f = document.createElement('iframe'); f.src = 'LOOP/frame';"
               "document.body.appendChild(f);"),
    "dombomb": ("const big = '<p>' + 'x'.repeat(1 << 20) + '</p>';"
                "for (let i = 0; i < 50; i++) document.body.insertAdjacentHTML('beforeend', big);"),
    "gzbomb": "",
    "busyloop": "while (true) {}",
    # names only Chromium would look up (nothing Scrapy fetches): the namespace test
    "phonehome": ("new WebSocket('ws://ws.phone-home.example/');"
                  "window.open('http://popup.phone-home.example/');"
                  "const g = document.createElement('iframe');"
                  "g.src = 'http://frame.phone-home.example/'; document.body.appendChild(g);"),
}.items()}
SITES = [site for site in APP_JS if site not in ("busyloop", "phonehome")]


class HostileWeb(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, listener_port: int) -> None:
        super().__init__(("127.0.0.1", 0), HostileHandler)
        self.listener_port = listener_port
        self.hits: list[tuple[str, str, str]] = []
        self.bomb = gzip_bomb(64 << 20)


@pytest.fixture
def hostile(crawl_env: Path, chromium_path: str, sqlite_engine, monkeypatch
            ) -> Iterator[tuple[HostileWeb, CountingListener]]:
    listener = CountingListener()
    web = HostileWeb(listener.port)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    hosts = [f"{site}.hostile.test" for site in APP_JS]
    lines = [f"{host} 127.0.0.1:{web.server_address[1]}" for host in hosts]
    lines.append(f"intranet.corp 127.0.0.1:{listener.port}")
    write_lines(crawl_env / "hosts.txt", lines)
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(crawl_env / "hosts.txt"))
    # the hostile sites are allowed onto loopback (as the sample web is), nothing else
    monkeypatch.setenv("ECOMSTAT_ALLOW_PRIVATE_HOSTS", ".hostile.test")
    monkeypatch.setenv("ECOMSTAT_CHROMIUM_PATH", chromium_path)
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_TIMEOUT", "20")
    yield web, listener
    web.shutdown()
    web.server_close()
    listener.close()


def stored_bytes(crawl_env: Path) -> bytes:
    """Every WARC record written by the crawl, decompressed."""
    return b"".join(gzip.decompress(path.read_bytes())
                    for path in (crawl_env / "data").rglob("*.warc.gz"))


def test_rendered_pages_cannot_reach_loopback(
    hostile: tuple[HostileWeb, CountingListener], crawl_env: Path, sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    web, listener = hostile
    # Chromium lays out the DOM bomb's 50 MB for 10-18 s of renderer time on a loaded 2-core
    # machine before the DOM cap can be read: with the default 20 s the render ended as a
    # timeout instead of too-large now and then (load ~12-14). The cap is what is tested here.
    monkeypatch.setenv("ECOMSTAT_RENDER_TIMEOUT", "60")
    urls = write_lines(crawl_env / "urls.txt", [f"http://{site}.hostile.test/" for site in SITES])
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls),
                                      "--render", "auto", "--max-pages", "1"])
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        pages = {url.split("//")[1].split(".")[0]: page for url, page in session.execute(
            select(Website.url, Page).join(Page, Page.website_id == Website.id)).all()}
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    assert listener.accepted == 0
    assert pages["navredir"].outcome == "refused-private"
    assert pages["dombomb"].outcome == "too-large" and not pages["dombomb"].text
    for site in set(SITES) - {"navredir", "dombomb"}:
        page = pages[site]
        assert (page.outcome, page.rendered) == ("ok", True), site
        assert f"{site} content" in page.text, site  # rendered: the script ran
        assert SECRET not in (page.text or "") and SECRET not in (page.title or ""), site
    # the gzip bomb was cut off by the response size cap, never run
    assert "BOMB RAN" not in (pages["gzbomb"].title or "")
    assert SECRET.encode() not in stored_bytes(crawl_env)
    # Chromium fetched nothing itself: every hit on the sites came from Scrapy
    assert not [hit for hit in web.hits if "ecomstat" not in hit[2]]
    assert ("cloak", "/", ) in {(site, path) for site, path, _agent in web.hits}
    assert not any(path == "/sw.js" for _site, path, _agent in web.hits)
    assert run.stats["ecomstat/render/refused"] >= 6  # 4 scripts, /api, fetch, XHR
    assert run.stats["ecomstat/render/pages"] == len(SITES) - 2


def test_render_always_and_crawl_shops_take_the_same_closed_path(
    hostile: tuple[HostileWeb, CountingListener], crawl_env: Path, sqlite_url: str
) -> None:
    web, listener = hostile
    sites = ["navredir", "jsnav", "cloak", "subredir"]
    urls = write_lines(crawl_env / "urls.txt", [f"http://{site}.hostile.test/" for site in sites])
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls),
                                      "--render", "always", "--max-pages", "1"])
    assert result.exit_code == 0, result.output
    shops = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "shops", *[
        f"http://{site}.hostile.test/" for site in sites], "--max-pages", "1", "--render", "auto"])
    assert shops.exit_code == 0, shops.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        texts = [page.text or "" for page in session.scalars(select(Page))]
        products = [product.name for product in session.scalars(select(Product))]
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    engine.dispose()
    assert listener.accepted == 0
    assert any("jsnav content" in text for text in texts)  # rendered, then kept home
    assert not any(SECRET in text for text in texts) and SECRET not in products
    assert SECRET.encode() not in stored_bytes(crawl_env)
    assert runs[1].spider == "shop_listing" and runs[1].stats["ecomstat/render/pages"] >= 2
    assert not [hit for hit in web.hits if "ecomstat" not in hit[2]]


def test_a_page_that_never_settles_times_out_alone(
    hostile: tuple[HostileWeb, CountingListener], crawl_env: Path, sqlite_url: str, monkeypatch
) -> None:
    """A script in an endless loop ends as a timeout; pages rendered beside it are unharmed (each
    site has its renderer process) and the browser goes on."""
    web, listener = hostile
    monkeypatch.setenv("ECOMSTAT_RENDER_TIMEOUT", "6")
    sites = ["busyloop", "cloak", "xhr"]
    urls = write_lines(crawl_env / "urls.txt", [f"http://{site}.hostile.test/" for site in sites])
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls),
                                      "--render", "auto", "--max-pages", "1"])
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        pages = {url.split("//")[1].split(".")[0]: page for url, page in session.execute(
            select(Website.url, Page).join(Page, Page.website_id == Website.id)).all()}
    engine.dispose()
    assert pages["busyloop"].outcome == "timeout" and pages["busyloop"].rendered
    assert pages["cloak"].outcome == "ok" and "cloak content" in pages["cloak"].text
    assert pages["xhr"].outcome == "ok" and "xhr content" in pages["xhr"].text
    assert listener.accepted == 0


def test_render_settings_launch_a_closed_browser() -> None:
    from ecomstat.settings import get_settings
    from ecomstat.spiders.render.browser import chromium_executable, launch_options
    from ecomstat.spiders.settings import scrapy_settings

    settings = scrapy_settings(get_settings(ECOMSTAT_RENDER="auto"))
    args = settings["ECOMSTAT_CHROMIUM_ARGS"]
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in args
    assert "--proxy-bypass-list=<-loopback>" in args and "--no-sandbox" not in args
    assert "--disable-component-update" in args and "--disable-sync" in args
    assert "scrapy_playwright" not in json.dumps(settings.get("DOWNLOAD_HANDLERS") or {})
    options = launch_options("/usr/bin/chromium", args)
    import os
    assert options["chromium_sandbox"] is (os.geteuid() != 0)
    if Path("/usr/lib/chromium/chromium").exists():  # Debian: the wrapper's flags are not ours
        assert chromium_executable("/usr/bin/chromium") == "/usr/lib/chromium/chromium"
    shell = Path("/usr/lib/chromium/chromium-headless-shell")
    if shell.exists():  # each wrapper is replaced by its own binary, and auto prefers the shell
        assert chromium_executable("/usr/bin/chromium-headless-shell") == str(shell)
        assert chromium_executable("auto") == str(shell)


def test_auto_falls_back_to_the_full_chromium(tmp_path: Path) -> None:
    from ecomstat.spiders.render.browser import default_chromium

    shell, full = tmp_path / "chromium-headless-shell", tmp_path / "chromium"
    assert default_chromium((shell, full)) == str(full)  # neither installed: the full one
    full.write_bytes(b"\x7fELF")
    assert default_chromium((shell, full)) == str(full)
    shell.write_bytes(b"\x7fELF")
    assert default_chromium((shell, full)) == str(shell)


def namespaces_available() -> str | None:
    """Why a network + mount namespace cannot be made here, or None."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "unshare or ip is not installed"
    probe = subprocess.run(["unshare", "-n", "-m", "sh", "-c", "ip link set lo up"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"cannot create network namespaces ({probe.stderr.strip()[:200]})"
    return None


@pytest.mark.parametrize("browser", ["default", "full"])
def test_rendered_crawl_makes_no_dns_lookup(tmp_path: Path, chromium_path: str,
                                            browser: str) -> None:
    """In a network namespace whose only resolver is a DNS logger on 127.0.0.1:53, a rendered
    crawl of a page full of names only a browser would look up makes no lookup at all: with
    the default browser (the headless shell where installed) and with the full Chromium, whose
    background services (updates, safe browsing, sign-in) are the ones that phone home."""
    if browser == "full":
        chromium_path = "/usr/bin/chromium"
        require_service(Path(chromium_path).exists(), f"Chromium at {chromium_path}")
    reason = namespaces_available()
    if reason:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"the DNS namespace test must run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    here = Path(__file__).resolve()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(here.parents[2]), str(here.parent), os.environ.get("PYTHONPATH", "")]),
        ECOMSTAT_CHROMIUM_PATH=chromium_path)
    child = subprocess.run(["unshare", "-n", "-m", sys.executable, str(here), "netns-child",
                            str(tmp_path)], capture_output=True, text=True, timeout=300, env=env)
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["sanity"], "the DNS logger saw no query of its own check"
    assert report["crawl_rc"] == 0, report["output"]
    assert report["rendered"] == 1, report
    assert report["queries"] == [] and report["accepted"] == 0


def _dns_logger(queries: list[str]) -> socket.socket:
    """A resolver on 127.0.0.1:53 that logs each question and answers NXDOMAIN."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))

    def serve() -> None:
        while True:
            try:
                data, peer = sock.recvfrom(4096)
            except OSError:
                return
            labels, index = [], 12
            while index < len(data) and data[index]:
                labels.append(data[index + 1:index + 1 + data[index]].decode("latin-1"))
                index += data[index] + 1
            queries.append(".".join(labels))
            question = data[12:index + 5]
            sock.sendto(data[:2] + b"\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" + question,
                        peer)

    threading.Thread(target=serve, daemon=True).start()
    return sock


def _netns_child(workdir: Path) -> None:
    """Runs as root inside `unshare -n -m`: loopback up, resolv.conf -> the DNS logger, the
    hostile web and a rendered crawl; prints one JSON line."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    resolv = workdir / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    subprocess.run(["mount", "--bind", str(resolv), "/etc/resolv.conf"], check=True)
    queries: list[str] = []
    dns = _dns_logger(queries)
    try:
        socket.getaddrinfo("sanity-check.example", 80)
    except socket.gaierror:
        pass
    sanity = "sanity-check.example" in queries
    queries.clear()
    listener = CountingListener()
    web = HostileWeb(listener.port)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    write_lines(workdir / "hosts.txt",
                [f"phonehome.hostile.test 127.0.0.1:{web.server_address[1]}"])
    urls = write_lines(workdir / "urls.txt", ["http://phonehome.hostile.test/"])
    env = dict(os.environ, ECOMSTAT_DATA_DIR=str(workdir / "data"),
               ECOMSTAT_ALLOW_PRIVATE_HOSTS=".hostile.test", ECOMSTAT_DOWNLOAD_DELAY="0",
               ECOMSTAT_AUTOTHROTTLE="false", ECOMSTAT_HOST_MAP=str(workdir / "hosts.txt"),
               ECOMSTAT_CONTACT_URL="https://stats.example/crawler")
    db = f"sqlite:///{workdir / 'ecomstat.db'}"
    cli = [sys.executable, "-m", "ecomstat", "--db", db]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    crawl = subprocess.run([*cli, "crawl", "sites", "--urls", str(urls), "--render", "auto",
                            "--max-pages", "1"], env=env, capture_output=True, text=True,
                           cwd=workdir)
    engine = make_engine(db)
    with transaction(engine) as session:
        rendered = sum(1 for page in session.scalars(select(Page)) if page.rendered
                       and "phonehome content" in (page.text or ""))
    engine.dispose()
    web.shutdown()
    dns.close()
    print(json.dumps({"sanity": sanity, "queries": sorted(set(queries)),
                      "accepted": listener.accepted, "crawl_rc": crawl.returncode,
                      "rendered": rendered, "output": (crawl.stdout + crawl.stderr)[-2000:]}))


if __name__ == "__main__" and sys.argv[1:2] == ["netns-child"]:
    _netns_child(Path(sys.argv[2]))
