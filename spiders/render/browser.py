"""One Chromium per crawl process, started on the first page that needs it, and a pool of
contexts (one page each) that renders pages in parallel and is recycled after a number of pages.

Chromium is launched so that it cannot reach anything by itself: every name resolves to nothing
(`--host-resolver-rules=MAP * ~NOTFOUND`: no DNS lookup at all), and whatever still tries a
connection to an address literal (a WebSocket to 127.0.0.1, a preconnect) is sent to a proxy that
does not exist, loopback included (`<-loopback>`). The pages it renders get their bytes through
request routing only (spiders.render.job). The background services that phone home (component
updates, safe browsing, sync, field trials, GCM, extensions, metrics) are switched off too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# Debian's /usr/bin/chromium and /usr/bin/chromium-headless-shell are shell scripts that add
# flags (and Google API keys) from /etc/chromium.d; the binary behind each is launched with our
# flags only.
DEBIAN_LIB = Path("/usr/lib/chromium")
DEBIAN_BINARY = DEBIAN_LIB / "chromium"
# ECOMSTAT_CHROMIUM_PATH=auto takes the first of these that is installed. Chrome's headless
# shell (Debian package chromium-headless-shell; what Playwright itself launches for headless
# Chromium) renders the same pages without the full browser's UI layers: on the sample web's
# JavaScript shops 75-79 ms of CPU per page against 112-123 ms, and ~180 MB less PSS per
# browser (bench/README.md, "JavaScript rendering").
AUTO_CANDIDATES = (Path("/usr/bin/chromium-headless-shell"), Path("/usr/bin/chromium"))
# A proxy whose name cannot resolve (MAP * ~NOTFOUND): connecting through it fails before any
# packet leaves the process.
DEAD_PROXY = "http://ecomstat-no-network.invalid:9"

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    f"--proxy-server={DEAD_PROXY}",
    "--proxy-bypass-list=<-loopback>",
    "--dns-prefetch-disable",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-component-extensions-with-background-pages",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--safebrowsing-disable-auto-update",
    "--disable-field-trial-config",
    "--variations-server-url=http://ecomstat-no-network.invalid/",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--no-pings",
    "--no-service-autorun",
    "--password-store=basic",
    "--use-mock-keychain",
    "--mute-audio",
    "--blink-settings=imagesEnabled=false",
    # a page's script cannot grow the renderer without bound (a DOM bomb crashes its tab only)
    "--js-flags=--max-old-space-size=512",
]


# Run in every document before its own scripts: counts the page's fetch() and XMLHttpRequest
# calls in flight and when the last one ended (spiders.render.job.QUIET_JS waits for them). A
# request is counted from the call on, before Chromium hands it to our routing: Python's own
# count of routed requests alone let a render end between the call and the routing (seen under
# load with 200 ms latency: a shop's page stored empty). A page that tampers with it only
# changes how long its own render waits (bounded by the render's wait and timeout).
PENDING_JS = """(() => {
  let pending = 0, last = 0;
  const ended = () => { pending = Math.max(0, pending - 1); last = performance.now(); };
  Object.defineProperty(window, '__ecomstatPending', {get: () => pending});
  Object.defineProperty(window, '__ecomstatLast', {get: () => last});
  const fetch0 = window.fetch;
  if (fetch0) {
    window.fetch = function (...args) {
      pending++;
      let result;
      try { result = fetch0.apply(this, args); } catch (error) { ended(); throw error; }
      Promise.resolve(result).then(ended, ended);
      return result;
    };
  }
  const XHR = window.XMLHttpRequest;
  if (XHR) {
    const send0 = XHR.prototype.send;
    XHR.prototype.send = function (...args) {
      pending++;
      this.addEventListener('loadend', ended, {once: true});
      try { return send0.apply(this, args); } catch (error) { ended(); throw error; }
    };
  }
})()"""


def default_chromium(candidates: tuple[Path, ...] = AUTO_CANDIDATES) -> str:
    """What ECOMSTAT_CHROMIUM_PATH=auto means: the headless shell when it is installed, else
    the full Chromium (the last candidate, reported missing by Playwright if absent too)."""
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    return str(candidates[-1])


def chromium_executable(path: str) -> str:
    """The binary to launch for ECOMSTAT_CHROMIUM_PATH: `auto` resolved, and a Debian wrapper
    script replaced by the binary of the same name behind it (/usr/lib/chromium/<name>)."""
    if path in ("", "auto"):
        path = default_chromium()
    file = Path(path)
    try:
        with file.open("rb") as handle:
            is_script = handle.read(2) == b"#!"
    except OSError:
        return path  # Playwright reports a missing executable itself
    if not is_script:
        return path
    for binary in (DEBIAN_LIB / file.name, DEBIAN_BINARY):
        if binary.exists():
            return str(binary)
    return path


def launch_options(chromium_path: str, args: list[str]) -> dict[str, Any]:
    sandbox = os.geteuid() != 0
    if not sandbox:
        logger.warning("running as root: Chromium's sandbox is off (run the crawl as another "
                       "user to keep it on)")
    return {"executable_path": chromium_executable(chromium_path), "headless": True,
            "args": list(args), "chromium_sandbox": sandbox,
            "handle_sigint": False, "handle_sigterm": False, "handle_sighup": False}


def lean_driver_env() -> None:
    """Playwright's driver (a Node.js process per crawl process, started with this process's
    environment) with a 1 MB young generation instead of 16 MB: ~20 MB less PSS each for the
    few messages a render sends it; no measurable CPU cost (bench_render.py)."""
    options = os.environ.get("NODE_OPTIONS", "")
    if "--max-semi-space-size" not in options:
        os.environ["NODE_OPTIONS"] = f"{options} --max-semi-space-size=1".strip()


def default_concurrency(processes: int = 1) -> int:
    """Pages one crawl process renders at once when `processes` crawl processes share the
    machine: 4 per CPU over all of them (at least 2 per process, at most 16), and ~100 MB of
    available memory each. A render holds its page while the page's own requests travel
    (with 200 ms per response, fetch and settle are most of a render), so pages beyond the
    CPUs keep the browser busy; where the renders are CPU-bound they only queue for the CPU.
    With the headless shell 4 pages each for 2 crawl processes on 2 CPUs rendered the sample
    web with 200 ms latency ~28% faster than 2 each at the same peak PSS (0.94 GB, under
    1.2 GB; the full Chromium needed 1.28 GB for it: bench/README.md)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        available = 4 << 30
    processes = max(1, processes)
    per_process = max(2, -(-4 * (cpus or 1) // processes))
    return max(1, min(16, per_process, available // (100 << 20) // processes))


@dataclass
class Slot:
    """A pooled page; `handler` is the render job it currently serves."""

    page: Any
    uses: int = 0
    handler: Any = None
    broken: bool = False


class BrowserPool:
    """Pages of one shared browser context: pages of one context can share renderer processes
    (`--renderer-process-limit`), ~15 MB a page instead of ~75 MB for a context of its own. The
    context's routing sends each request to the job of the page that made it; a request of any
    other page (a popup, a service worker) is aborted."""

    def __init__(self, chromium_path: str, args: list[str], concurrency: int,
                 recycle_after: int) -> None:
        self.chromium_path = chromium_path
        self.args = args
        self.concurrency = max(1, concurrency)
        self.recycle_after = max(1, recycle_after)
        self._semaphore = asyncio.Semaphore(self.concurrency)
        self._lock = asyncio.Lock()
        self._free: list[Slot] = []
        self._slots: dict[Any, Slot] = {}  # page -> slot
        self._playwright: Any = None
        self._browser: Any = None
        self._context: Any = None
        self.launches = 0
        self.launch_seconds = 0.0  # Playwright driver + Chromium start-up (stats)

    async def _context_ready(self) -> Any:
        async with self._lock:
            if self._browser is not None and not self._browser.is_connected():
                logger.warning("Chromium disconnected; starting it again")
                self._free.clear()
                self._slots.clear()
                self._browser = self._context = None
            if self._browser is None:
                if self._playwright is None:
                    from playwright.async_api import async_playwright

                    lean_driver_env()
                    self._playwright = await async_playwright().start()
                started = time.monotonic()
                options = launch_options(self.chromium_path, self.args)
                self._browser = await self._playwright.chromium.launch(**options)
                self.launches += 1
                self.launch_seconds += time.monotonic() - started
                logger.info("Chromium started: %s, %d pages at once",
                            options["executable_path"], self.concurrency)
            if self._context is None:
                self._context = await self._browser.new_context(
                    service_workers="block", accept_downloads=False)
                await self._context.add_init_script(PENDING_JS)
                await self._context.route("**/*", self._route)
                await self._context.route_web_socket("**/*", self._web_socket)
            return self._context

    async def _route(self, route: Any) -> None:
        try:
            slot = self._slots.get(route.request.frame.page)
        except Exception:  # a service worker's request has no frame
            slot = None
        if slot is None or slot.handler is None:
            await quietly(route.abort())
            return
        await slot.handler.on_route(route)

    async def _web_socket(self, ws: Any) -> None:
        # never connected to a server: the page sees a socket that closes
        logger.debug("WebSocket refused: %s", ws.url)
        await quietly(ws.close())

    async def _new_slot(self) -> Slot:
        context = await self._context_ready()
        page = await context.new_page()
        slot = Slot(page=page)

        def popup(other: Any) -> None:
            if slot.handler is not None:
                slot.handler.blocked("popup")
            asyncio.ensure_future(quietly(other.close()))

        page.on("popup", popup)
        self._slots[page] = slot
        return slot

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        async with self._semaphore:
            slot = self._free.pop() if self._free else await self._new_slot()
            try:
                yield slot
            finally:
                slot.handler = None
                slot.uses += 1
                if slot.broken or slot.uses >= self.recycle_after or \
                        self._slots.get(slot.page) is not slot:
                    self._slots.pop(slot.page, None)
                    # a stuck tab (a script in an endless loop) must not keep its CPU
                    await quietly(asyncio.wait_for(slot.page.close(), 10))
                else:
                    self._free.append(slot)

    async def close(self) -> None:
        self._free.clear()
        self._slots.clear()
        if self._browser is not None:
            await quietly(self._browser.close())
            self._browser = self._context = None
        if self._playwright is not None:
            await quietly(self._playwright.stop())
            self._playwright = None


async def quietly(awaitable: Any) -> None:
    """Closing or aborting what a crashed page or a closed context no longer has is fine."""
    try:
        await awaitable
    except Exception as exc:  # playwright.Error and friends; nothing to do about them
        logger.debug("ignored while closing: %s", exc)
