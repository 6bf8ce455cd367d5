"""Fixtures of the web application's tests (issue 18).

- `web_demo`: a demo database built ONCE per test session by the demo's own code
  (a copy of the session's `demo_run`, tests/conftest.py: `ecomstat demo --n 60`, ~2 minutes); `.out` (the demo folder), `.db_url`, `.db_path`, `.env`
  (the settings the demo ran with), `.settings(**overrides)` and `.copy()` (a fresh copy of the
  SQLite file, for a test that writes: never change the shared database without undoing).
  Locally, ECOMSTAT_TEST_WEB_DEMO=<folder of an earlier `ecomstat demo`> reuses that folder's
  database (copied, upgraded to the current schema) instead of running the demo.
- `web_users`: one user per role (economist, register, operator, admin) made through
  `ecomstat.web.users`; `web_users.admin.name` / `.password` (also `web_users["admin"]`).
- `web_server`: the real application, authentication included, served by uvicorn in a thread
  on 127.0.0.1 port 0 over the session's demo database; `.base_url`, `.engine`, `.settings`.
- `serve`: a function `serve(db_url, settings=None)` -> context manager of another server (e.g.
  over `web_demo.copy().db_url`).
- `browser` / `page`: Playwright Chromium from /usr/bin/chromium (skipped locally and failing in
  CI when missing); `page` is 1280x800 and fails the test if the page asked for anything off
  127.0.0.1. `login(page, base_url, name, password)` signs in through the form.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from web_kit import RunningServer, WebDemo, WebUser, WebUsers, serve_app
from web_kit import login as _login

from ecomstat.store import make_engine, upgrade

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORDS = {role: f"{role}-test-password" for role in ("economist", "register", "operator", "admin")}


def _demo_env(out: Path) -> dict[str, str]:
    from ecomstat.demo import demo_environment

    return demo_environment(out, out / "sampleweb" / "hosts.txt")


@pytest.fixture(scope="session")
def web_demo(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> WebDemo:
    reuse = os.environ.get("ECOMSTAT_TEST_WEB_DEMO")
    if reuse:
        source = Path(reuse).resolve()
        folder = tmp_path_factory.mktemp("web-demo-db")
        db_path = folder / "demo.db"
        shutil.copyfile(source / "demo.db", db_path)
        engine = make_engine(f"sqlite:///{db_path}")
        upgrade(engine)
        engine.dispose()
        return WebDemo(out=source, db_url=f"sqlite:///{db_path}", db_path=db_path, env=_demo_env(source))
    run = request.getfixturevalue("demo_run")  # the session's one demo (tests/conftest.py)
    if not (run.out / "demo.db").exists():
        pytest.fail(f"the demo made no database: {run.stderr[-3000:]}", pytrace=False)
    out = run.out
    db_path = tmp_path_factory.mktemp("web-demo-db") / "demo.db"
    shutil.copyfile(out / "demo.db", db_path)  # the demo's own test reads the original
    return WebDemo(out=out, db_url=f"sqlite:///{db_path}", db_path=db_path, env=_demo_env(out))


@pytest.fixture(scope="session")
def web_users(web_demo: WebDemo) -> WebUsers:
    from ecomstat.web.users import add_user, get_user, set_password, set_role

    engine = make_engine(web_demo.db_url, create=False)
    settings = web_demo.settings()
    users = WebUsers()
    try:
        for role, password in PASSWORDS.items():
            name = f"test-{role}"
            if get_user(engine, name) is None:
                add_user(engine, name, role, password, settings)
            else:  # a reused database: make sure of the password and the role
                set_password(engine, name, password, settings)
                set_role(engine, name, role)
            users[role] = WebUser(name, password, role)
    finally:
        engine.dispose()
    return users


@pytest.fixture(scope="session")
def web_server(web_demo: WebDemo, web_users: WebUsers) -> Iterator[RunningServer]:
    with serve_app(web_demo.db_url, web_demo.settings()) as server:
        yield server


@pytest.fixture
def serve(web_demo: WebDemo) -> Callable[..., Any]:
    """`with serve(db_url, settings_overrides) as server:` another application (e.g. over a
    copy of the demo database, or with other settings)."""

    def start(db_url: str | None = None, settings: dict[str, Any] | None = None) -> Any:
        url = db_url or web_demo.db_url
        return serve_app(url, web_demo.settings(**(settings or {}), ECOMSTAT_DATABASE_URL=url))

    return start


def _chromium() -> str:
    """The system Chromium (as the root conftest's `chromium_path`, which is function-scoped):
    skipped on a machine without it, a failure in CI."""
    path = os.environ.get("ECOMSTAT_CHROMIUM_PATH", "/usr/bin/chromium")
    if shutil.which(path) is None and not Path(path).exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Chromium at {path} is required in CI but is not available", pytrace=False)
        pytest.skip(f"Chromium at {path} is not available on this machine")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context at 1280x800; the test fails if a page asked for anything that
    is not on 127.0.0.1 (no CDN, no fonts, nothing from the internet) or if the browser
    blocked anything under the Content Security Policy (a style or script the CSP forbids
    would silently not apply)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    off_machine: list[str] = []
    blocked: list[str] = []

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            off_machine.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    try:
        yield page
    finally:
        context.close()
    assert not off_machine, f"pages asked for resources off the machine: {off_machine[:5]}"
    assert not blocked, f"the browser blocked under the CSP: {blocked[:3]}"


@pytest.fixture
def login() -> Callable[[Any, str, str, str], None]:
    """`login(page, base_url, name, password)`: sign in through the login form."""
    return _login


def screenshot(page: Any, name: str) -> Path:
    """Write docs/screenshots/<name>.png of the page at 1280 px (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(path), full_page=False)
    return path


@pytest.fixture
def shoot() -> Callable[[Any, str], Path]:
    """`shoot(page, "area-page")` writes docs/screenshots/area-page.png (1280 px)."""
    return screenshot
