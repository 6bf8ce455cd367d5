"""Helpers of the web tests (tests/web/conftest.py builds its fixtures from them; tests may
import them too: `from web_kit import login, serve_app, WebDemo`)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from ecomstat.settings import Settings
from ecomstat.store import make_engine, require_current

SERVER_START_TIMEOUT = 30.0


@dataclass
class WebDemo:
    """A demo database (`ecomstat demo` output folder `out`, database `db_url`) and the settings
    the demo ran its steps with (data dir, sample-web host map)."""

    out: Path
    db_url: str
    db_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {**self.env, "ECOMSTAT_DATABASE_URL": self.db_url}
        values.update(overrides)
        return Settings(values)

    def copy(self, folder: Path | None = None) -> WebDemo:
        """A fresh copy of the SQLite database (same `out` folder for files), for a test that
        changes the store."""
        folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="ecomstat-web-"))
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self.db_path.name
        shutil.copyfile(self.db_path, target)
        return WebDemo(out=self.out, db_url=f"sqlite:///{target}", db_path=target, env=dict(self.env))


@dataclass(frozen=True)
class WebUser:
    name: str
    password: str
    role: str


class WebUsers(dict):  # role name -> WebUser, also as attributes: web_users.admin
    def __getattr__(self, role: str) -> WebUser:
        try:
            return self[role]
        except KeyError:
            raise AttributeError(role) from None


@dataclass
class RunningServer:
    base_url: str
    app: Any
    engine: Any
    settings: Settings


class _Server(uvicorn.Server):
    """uvicorn's server with an event set once it listens (tests wait for it, never sleep)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


@contextlib.contextmanager
def serve_app(db_url: str, settings: Settings | Mapping[str, Any] | None = None,
              host: str = "127.0.0.1") -> Iterator[RunningServer]:
    """The real application (authentication included) over `db_url`, served by uvicorn in a
    thread on `host`, port 0; stopped (and its engine disposed) on exit."""
    from ecomstat.web.app import create_app

    if not isinstance(settings, Settings):
        settings = Settings({**(settings or {}), "ECOMSTAT_DATABASE_URL": db_url})
    engine = make_engine(db_url, create=False)
    require_current(engine)
    app = create_app(settings, engine)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_level="warning", proxy_headers=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    if not server.ready.wait(SERVER_START_TIMEOUT):
        server.should_exit = True
        raise RuntimeError("the web server did not start")
    try:
        yield RunningServer(f"http://{host}:{port}", app, engine, settings)
    finally:
        server.should_exit = True
        thread.join(SERVER_START_TIMEOUT)
        sock.close()
        engine.dispose()


def login(page: Any, base_url: str, name: str, password: str) -> None:
    """Sign in through the login form in a Playwright `page`; fails when the sign-in does."""
    page.goto(f"{base_url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/login" in page.url:
        alert = page.locator("[role=alert]")
        raise AssertionError(f"sign-in as {name} failed: {alert.inner_text() if alert.count() else page.url}")


def logout(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")


def http_login(client: Any, base_url: str, name: str, password: str) -> Any:
    """Sign in with an httpx.Client (cookies kept by the client); returns the response."""
    import re

    page = client.get(f"{base_url}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise AssertionError("no CSRF field on the login page")
    return client.post(f"{base_url}/login", data={"name": name, "password": password,
                                                   "csrf_token": token.group(1), "next": "/"},
                       follow_redirects=False)


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (its meta tag)."""
    import re

    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', html)
    if found is None:
        raise AssertionError("no csrf-token meta tag on the page")
    return found.group(1)
