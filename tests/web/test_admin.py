"""The admin pages: users and roles through `ecomstat.web.users` (issue 18 item 1); refused with
403 and no change for every other role; and in a real browser: sign in as admin, add a user,
sign out (screenshots of the login and users pages)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from web_kit import WebDemo, WebUsers, csrf_of, http_login, logout

from ecomstat.settings import Settings
from ecomstat.store import make_engine
from ecomstat.web.app import create_app
from ecomstat.web.users import Role, add_user, authenticate, get_user, list_users

SETTINGS = Settings({})


@pytest.fixture
def admin(engine: Engine) -> Iterator[TestClient]:
    for name, role in (("ada", "admin"), ("rita", "register"), ("otto", "operator"), ("eve", "economist")):
        add_user(engine, name, role, f"{name}-long-password", SETTINGS)
    with TestClient(create_app(SETTINGS, engine), raise_server_exceptions=False, follow_redirects=False,
                    client=("127.0.0.1", 1)) as c:
        _sign_in(c, "ada")
        yield c


def _sign_in(c: TestClient, name: str) -> None:
    page = c.get("/login")
    response = c.post("/login", data={"name": name, "password": f"{name}-long-password",
                                      "csrf_token": csrf_of(page.text)})
    assert response.status_code == 303, response.text


def _token(c: TestClient) -> str:
    return csrf_of(c.get("/admin/users").text)


def test_admin_lists_adds_changes_resets_and_removes_users(admin: TestClient, engine: Engine) -> None:
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "<h1>Users</h1>" in page.text
    for name in ("ada", "rita", "otto", "eve"):
        assert f"<strong>{name}</strong>" in page.text
    token = csrf_of(page.text)
    added = admin.post("/admin/users", data={"name": "newbie", "role": "operator",
                                             "password": "newbie-password", "csrf_token": token})
    assert added.status_code == 303
    assert "User newbie added." in admin.get(added.headers["location"]).text
    assert get_user(engine, "newbie").role is Role.operator

    assert admin.post("/admin/users/newbie/role", data={"role": "register", "csrf_token": token}).status_code == 303
    assert get_user(engine, "newbie").role is Role.register

    newbie = TestClient(admin.app, follow_redirects=False)
    page = newbie.get("/login")
    assert newbie.post("/login", data={"name": "newbie", "password": "newbie-password",
                                       "csrf_token": csrf_of(page.text)}).status_code == 303
    reset = admin.post("/admin/users/newbie/password", data={"password": "fresh-password-1", "csrf_token": token})
    assert reset.status_code == 303
    assert newbie.get("/").status_code == 303  # signed out by the reset
    assert authenticate(engine, "newbie", "fresh-password-1") is not None

    confirm = admin.get("/admin/users/newbie/remove")
    assert confirm.status_code == 200 and "Remove user newbie?" in confirm.text
    assert admin.post("/admin/users/newbie/remove", data={"csrf_token": token}).status_code == 303
    assert get_user(engine, "newbie") is None


def test_admin_mistakes_are_shown_in_words_and_change_nothing(admin: TestClient, engine: Engine) -> None:
    token = _token(admin)
    before = list_users(engine)
    cases = [
        ("/admin/users", {"name": "rita", "role": "economist", "password": "whatever-password"}, "exists already"),
        ("/admin/users", {"name": "bob", "role": "boss", "password": "whatever-password"}, "unknown role"),
        ("/admin/users", {"name": "bob", "role": "economist", "password": "short"}, "too short"),
        ("/admin/users", {"name": "bob smith", "role": "economist", "password": "whatever-password"}, "invalid user name"),
        ("/admin/users/ada/role", {"role": "economist"}, "last admin"),
        ("/admin/users/eve/password", {"password": ""}, "empty"),
        ("/admin/users/ada/remove", {}, "your own account"),
    ]
    for path, form, words in cases:
        response = admin.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 400, (path, form)
        assert words in response.text and "Traceback" not in response.text
    missing = admin.post("/admin/users/nobody/role", data={"role": "admin", "csrf_token": token})
    assert missing.status_code == 404 and "no user named" in missing.text
    assert list_users(engine) == before


@pytest.mark.parametrize("name", ["rita", "otto", "eve"])
def test_other_roles_are_refused_with_403_and_no_change(admin: TestClient, engine: Engine, name: str) -> None:
    with TestClient(admin.app, raise_server_exceptions=False, follow_redirects=False) as c:
        _sign_in(c, name)
        token = csrf_of(c.get("/").text)
        page = c.get("/admin/users")
        assert page.status_code == 403 and "admin role" in page.text
        assert 'href="/admin/users"' not in c.get("/").text  # not offered either
        before = list_users(engine)
        for path, form in (("/admin/users", {"name": "sneaky", "role": "admin", "password": "sneaky-password"}),
                           (f"/admin/users/{name}/role", {"role": "admin"}),
                           ("/admin/users/ada/password", {"password": "taken-over-password"}),
                           ("/admin/users/ada/remove", {})):
            assert c.post(path, data={**form, "csrf_token": token}).status_code == 403
        assert list_users(engine) == before
        assert authenticate(engine, "ada", "ada-long-password") is not None


def test_each_role_on_the_real_server_sees_its_areas(web_server: Any, web_users: WebUsers) -> None:
    expected = {"economist": ("/economist/indicators", "/clerk/worklist"),
                "register": ("/clerk/worklist", "/operator/campaigns"),
                "operator": ("/operator/campaigns", "/admin/users"),
                "admin": ("/admin/users", None)}
    for role, (shown, hidden) in expected.items():
        user = web_users[role]
        with httpx.Client() as client:
            assert http_login(client, web_server.base_url, user.name, user.password).status_code == 303
            home = client.get(f"{web_server.base_url}/")
            assert home.status_code == 200 and f'href="{shown}"' in home.text
            if hidden:
                assert f'href="{hidden}"' not in home.text
            status = client.get(f"{web_server.base_url}/admin/users").status_code
            assert status == (200 if role == "admin" else 403)


@pytest.mark.chromium
def test_browser_admin_signs_in_adds_a_user_and_signs_out(
    web_demo: WebDemo, web_users: WebUsers, serve: Any, page: Any, login: Any, shoot: Any
) -> None:
    copy = web_demo.copy()  # this test writes: its own copy of the demo database
    sessions_before = _sessions(copy.db_url)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    with serve(copy.db_url) as server:
        page.goto(f"{server.base_url}/admin/users")
        assert "/login?next=/admin/users" in page.url
        assert page.title() == "Sign in · ecomstat"
        shoot(page, "auth-login")
        login(page, server.base_url, web_users.admin.name, web_users.admin.password)
        page.goto(f"{server.base_url}/admin/users")
        assert page.locator("h1").inner_text() == "Users"
        page.get_by_label("User name").fill("new-clerk")
        page.get_by_label("Role", exact=True).select_option("register")
        page.get_by_label("Password", exact=True).fill("new-clerk-password")
        page.get_by_role("button", name="Add user").click()
        page.wait_for_load_state()
        assert "User new-clerk added." in page.locator("[role=status]").inner_text()
        shoot(page, "admin-users")
        # htmx (shipped in the package) sends the page's CSRF token as a header on its requests
        # (evaluate waits for the promise htmx.ajax returns, i.e. for the response)
        page.evaluate("""htmx.ajax('POST', '/admin/users', {target: '#main', swap: 'none',
            values: {name: 'htmx-user', role: 'economist', password: 'htmx-user-password'}})""")
        # keyboard: the skip link is the first stop and is visible when focused
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        # a phone-sized screen: the page does not scroll sideways (the table scrolls in its wrapper)
        page.set_viewport_size({"width": 390, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 800})
        logout(page)
        assert page.title() == "Sign in · ecomstat"
        page.goto(f"{server.base_url}/admin/users")
        assert "/login" in page.url
    engine = make_engine(copy.db_url, create=False)
    try:
        assert get_user(engine, "new-clerk").role is Role.register
        assert get_user(engine, "htmx-user").role is Role.economist
    finally:
        engine.dispose()
    assert _sessions(copy.db_url) == sessions_before  # signing out deleted the session
    assert not [text for text in console if "Content Security Policy" in text], console


def _sessions(db_url: str) -> int:
    from sqlalchemy import func, select

    from ecomstat.store.models import WebSession

    engine = make_engine(db_url, create=False)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(WebSession)).scalar_one()
    finally:
        engine.dispose()
