"""Sign-in, sessions, CSRF, the login rate limit, security headers, single sign-on behind a
trusted proxy and error pages in words (issue 18 item 1), over both databases."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from web_kit import csrf_of

from ecomstat.errors import BadInput, EcomstatError
from ecomstat.settings import Settings
from ecomstat.store.models import WebLoginFailure, WebSession, WebUser
from ecomstat.web import auth
from ecomstat.web.app import create_app
from ecomstat.web.users import add_user, remove_user, set_role

PASSWORDS = {"ada": "ada-admin-password", "eve": "eve-economist-password"}
Factory = Callable[..., TestClient]


@pytest.fixture
def users(engine: Engine) -> Engine:
    add_user(engine, "ada", "admin", PASSWORDS["ada"], Settings({}))
    add_user(engine, "eve", "economist", PASSWORDS["eve"], Settings({}))
    return engine


@pytest.fixture
def client_for(users: Engine) -> Iterator[Factory]:
    """`client_for(**settings, client=(address, port), base_url=...)`: a TestClient of a new
    application instance over the same store."""
    clients: list[TestClient] = []

    def make(client: tuple[str, int] = ("127.0.0.1", 50000), base_url: str = "http://testserver",
             **settings: Any) -> TestClient:
        app = create_app(Settings(settings), users)
        c = TestClient(app, raise_server_exceptions=False, client=client, base_url=base_url,
                       follow_redirects=False)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def sign_in(c: TestClient, name: str, password: str | None = None, next_: str = "/") -> Any:
    page = c.get("/login")
    return c.post("/login", data={"name": name, "password": password or PASSWORDS[name],
                                  "csrf_token": csrf_of(page.text), "next": next_})


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_sign_in_sets_a_safe_session_cookie_and_stores_only_its_hash(client_for: Factory, users: Engine) -> None:
    c = client_for()
    assert c.get("/").headers["location"] == "/login"
    assert c.get("/admin/users?x=1").headers["location"] == "/login?next=/admin/users%3Fx%3D1"
    response = sign_in(c, "ada", next_="/admin/users")
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith(auth.SESSION_COOKIE))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (ECOMSTAT_WEB_HTTPS off)
    token = re.match(rf"{auth.SESSION_COOKIE}=([^;]+)", cookie).group(1)
    with users.connect() as conn:
        stored = conn.execute(select(WebSession.token_hash)).scalars().all()
    assert stored == [auth.token_hash(token)] and token not in stored
    home = c.get("/")
    assert home.status_code == 200 and "ada" in home.text and 'href="/admin/users"' in home.text


def test_https_setting_makes_cookies_secure_and_sends_hsts(client_for: Factory) -> None:
    c = client_for(base_url="https://testserver", ECOMSTAT_WEB_HTTPS="true")
    page = c.get("/login")
    assert "Secure" in page.headers["set-cookie"]  # the pre-session CSRF cookie
    assert page.headers["strict-transport-security"].startswith("max-age=")
    response = sign_in(c, "eve")
    assert "Secure" in response.headers["set-cookie"]
    assert c.get("/").status_code == 200


def test_security_headers_on_every_page(client_for: Factory) -> None:
    c = client_for()
    for path in ("/login", "/static/app.css", "/no-such-page"):
        headers = c.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        script = re.search(r"script-src ([^;]+)", csp).group(1)
        assert "unsafe-inline" not in script and "unsafe-eval" not in script
        assert "unsafe-inline" not in re.search(r"style-src ([^;]+)", csp).group(1)
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert "<script>" not in c.get("/login").text  # no inline script for the CSP to allow


def test_wrong_password_and_unknown_user_get_the_same_answer(client_for: Factory, users: Engine) -> None:
    c = client_for()
    wrong = sign_in(c, "ada", "not the password")
    unknown = sign_in(c, "nobody", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong user name or password." in response.text
        assert auth.SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert count(users, WebSession) == 0
    assert c.get("/").status_code == 303


def test_logout_ends_the_session_in_the_store(client_for: Factory, users: Engine) -> None:
    c = client_for()
    sign_in(c, "eve")
    home = c.get("/")
    token = c.cookies.get(auth.SESSION_COOKIE)
    refused = c.post("/logout", data={})  # no CSRF token: refused, still signed in
    assert refused.status_code == 403 and count(users, WebSession) == 1
    out = c.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert count(users, WebSession) == 0
    replay = client_for()  # the old cookie, presented again, opens nothing
    replay.cookies.set(auth.SESSION_COOKIE, token)
    assert replay.get("/").status_code == 303


def test_csrf_missing_or_wrong_is_403_and_changes_nothing(client_for: Factory, users: Engine) -> None:
    c = client_for()
    sign_in(c, "ada")
    token = csrf_of(c.get("/admin/users").text)
    form = {"name": "mallory", "role": "admin", "password": "mallory-password"}
    assert c.post("/admin/users", data=form).status_code == 403
    wrong = c.post("/admin/users", data={**form, "csrf_token": "x" * 43})
    assert wrong.status_code == 403 and "CSRF" in wrong.text
    assert c.post("/admin/users", data=form, headers={"X-CSRF-Token": token + "x"}).status_code == 403
    assert count(users, WebUser) == 2
    # the right token, as a form field, a multipart field or the HTMX header, is accepted
    assert c.post("/admin/users", data={**form, "csrf_token": token}).status_code == 303
    assert c.post("/admin/users", files={"x": ("x.txt", b"x")},
                  data={**form, "name": "mallory2", "csrf_token": token}).status_code == 303
    assert c.post("/admin/users", data={**form, "name": "mallory3"}, headers={"X-CSRF-Token": token}).status_code == 303
    assert count(users, WebUser) == 5


def test_the_login_form_is_protected_too(client_for: Factory, users: Engine) -> None:
    c = client_for()
    # no pre-session cookie, no token: refused without checking the password
    response = c.post("/login", data={"name": "ada", "password": PASSWORDS["ada"], "csrf_token": "forged-token-0123456789"})
    assert response.status_code == 403 and count(users, WebSession) == 0
    page = c.get("/login")  # the cookie is set now, but the form must carry the same token
    response = c.post("/login", data={"name": "ada", "password": PASSWORDS["ada"], "csrf_token": "y" * 43})
    assert response.status_code == 403 and count(users, WebSession) == 0
    assert csrf_of(page.text) == c.cookies.get(auth.CSRF_COOKIE)


def test_login_is_rate_limited_per_user_also_across_processes(client_for: Factory, users: Engine) -> None:
    first = client_for(ECOMSTAT_WEB_LOGIN_MAX_FAILURES="3")
    for _ in range(3):
        assert sign_in(first, "ada", "wrong password").status_code == 401
    refused = sign_in(first, "ada")  # the right password, too late
    assert refused.status_code == 429
    assert "Too many failed sign-ins for this user" in refused.text and "minute" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    # another application instance (process) on the same store, from another address
    second = client_for(client=("10.1.1.1", 40000), ECOMSTAT_WEB_LOGIN_MAX_FAILURES="3")
    assert sign_in(second, "ada").status_code == 429
    assert count(users, WebSession) == 0
    assert sign_in(second, "eve").status_code == 303  # other users are not locked out


def test_login_is_rate_limited_per_address(client_for: Factory, users: Engine) -> None:
    c = client_for(ECOMSTAT_WEB_LOGIN_MAX_FAILURES_PER_ADDRESS="4")
    for name in ("a1", "a2", "a3", "a4"):
        assert sign_in(c, name, "guess-password").status_code == 401
    refused = sign_in(c, "eve")
    assert refused.status_code == 429 and "from your address" in refused.text
    assert sign_in(client_for(client=("10.9.9.9", 1)), "eve").status_code == 303
    assert count(users, WebLoginFailure) == 4


def test_a_good_sign_in_forgets_that_users_failures_from_that_address(client_for: Factory, users: Engine) -> None:
    c = client_for(ECOMSTAT_WEB_LOGIN_MAX_FAILURES="3")
    for _ in range(2):
        sign_in(c, "eve", "typo password")
    assert sign_in(c, "eve").status_code == 303
    assert count(users, WebLoginFailure) == 0


def test_removed_user_and_changed_role_take_effect_at_the_next_request(client_for: Factory, users: Engine) -> None:
    ada, eve = client_for(), client_for()
    sign_in(ada, "ada")
    sign_in(eve, "eve")
    assert eve.get("/admin/users").status_code == 403
    set_role(users, "eve", "admin")
    assert eve.get("/admin/users").status_code == 200
    set_role(users, "eve", "economist")
    assert eve.get("/admin/users").status_code == 403
    remove_user(users, "eve")
    assert eve.get("/").status_code == 303 and eve.get("/").headers["location"] == "/login"
    assert ada.get("/").status_code == 200


def test_a_session_expires(client_for: Factory) -> None:
    c = client_for(ECOMSTAT_WEB_SESSION_HOURS="0.0000001")  # 0.36 ms
    assert sign_in(c, "eve").status_code == 303
    assert c.get("/").status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "http:/evil.example", "javascript:alert(1)", "/\tevil", ""])
def test_next_never_leaves_the_site(client_for: Factory, target: str) -> None:
    c = client_for()
    response = sign_in(c, "eve", next_=target)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert c.get("/login", params={"next": target}).headers["location"] == "/"  # already signed in
    assert auth.safe_next("/economist/indicators?wave=2026Q3") == "/economist/indicators?wave=2026Q3"


def test_single_sign_on_header_only_from_trusted_proxies(client_for: Factory, users: Engine) -> None:
    sso = {"ECOMSTAT_WEB_TRUSTED_USER_HEADER": "X-Remote-User", "ECOMSTAT_WEB_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}
    proxy = client_for(client=("10.2.3.4", 1234), **sso)
    page = proxy.get("/", headers={"X-Remote-User": "eve"})
    assert page.status_code == 200 and "eve" in page.text  # the role from the store
    assert proxy.get("/admin/users", headers={"X-Remote-User": "eve"}).status_code == 403
    assert proxy.get("/admin/users", headers={"X-Remote-User": "ada"}).status_code == 200
    unknown = proxy.get("/", headers={"X-Remote-User": "mallory"})
    assert unknown.status_code == 403 and "no ecomstat account" in unknown.text
    # forms of a single-sign-on user carry the CSRF token too
    token = csrf_of(proxy.get("/admin/users", headers={"X-Remote-User": "ada"}).text)
    form = {"name": "newbie", "role": "economist", "password": "newbie-password"}
    assert proxy.post("/admin/users", data=form, headers={"X-Remote-User": "ada"}).status_code == 403
    assert proxy.post("/admin/users", data={**form, "csrf_token": token},
                      headers={"X-Remote-User": "ada"}).status_code == 303
    # the same header from an address that is not a trusted proxy means nothing
    stranger = client_for(client=("192.0.2.7", 1234), **sso)
    assert stranger.get("/admin/users", headers={"X-Remote-User": "ada"}).status_code == 303
    # and with the option off (the default) it means nothing from anywhere
    off = client_for(client=("10.2.3.4", 1234))
    assert off.get("/admin/users", headers={"X-Remote-User": "ada"}).status_code == 303


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    assert auth.client_address("10.0.0.1", "6.6.6.6, 198.51.100.9", trusted=True) == "198.51.100.9"
    assert auth.client_address("192.0.2.1", "198.51.100.9", trusted=False) == "192.0.2.1"
    nets = auth.parse_networks(["10.0.0.0/8", "::1"])
    assert auth.is_trusted("10.20.30.40", nets) and auth.is_trusted("::1", nets)
    assert not auth.is_trusted("11.0.0.1", nets) and not auth.is_trusted("testclient", nets)
    with pytest.raises(BadInput, match="not an address"):
        auth.parse_networks(["proxy.example"])


# --- error pages in words, never a stack trace ---


@pytest.fixture
def failing(client_for: Factory) -> TestClient:
    c = client_for()
    app = c.app

    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    def bad() -> None:
        raise BadInput("the wave 2099Q9 does not exist")

    def other() -> None:
        raise EcomstatError("the scheduler is not running")

    app.add_api_route("/test/boom", boom)
    app.add_api_route("/test/bad", bad)
    app.add_api_route("/test/other", other)
    sign_in(c, "eve")
    return c


def test_error_pages_are_words_without_a_traceback(failing: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR", logger="ecomstat.web"):
        boom = failing.get("/test/boom")
    assert boom.status_code == 500 and "Internal error" in boom.text
    for secret in ("Traceback", "RuntimeError", "secret internal detail", 'File "'):
        assert secret not in boom.text
    assert "secret internal detail" in caplog.text and "Traceback" in caplog.text  # logged, server-side
    assert boom.headers["content-security-policy"]
    bad = failing.get("/test/bad")
    assert bad.status_code == 400 and "the wave 2099Q9 does not exist" in bad.text
    other = failing.get("/test/other")
    assert other.status_code == 500 and "the scheduler is not running" in other.text
    missing = failing.get("/no/such/page")
    assert missing.status_code == 404 and "There is no page at this address." in missing.text
    assert "<h1>Page not found</h1>" in missing.text
    method = failing.delete("/login", headers={"X-CSRF-Token": csrf_of(failing.get("/").text)})
    assert method.status_code == 405 and "does not accept" in method.text
    invalid = failing.get("/login", params={"next": ["a", "b"]})
    assert invalid.status_code in (200, 303)  # a repeated parameter is not an error page


def test_signed_out_htmx_requests_get_401_with_a_redirect_header(client_for: Factory) -> None:
    c = client_for()
    response = c.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/admin/users"
    api = c.get("/admin/users", headers={"Accept": "application/json"})
    assert api.status_code == 401 and api.json() == {"error": "Your session has ended; please sign in again."}


def test_a_body_over_the_limit_is_refused(client_for: Factory) -> None:
    c = client_for(ECOMSTAT_WEB_MAX_BODY_BYTES="1000")
    c.get("/login")
    response = c.post("/login", data={"name": "ada", "password": "x" * 5000})
    assert response.status_code == 413 and "too large" in response.text


def test_a_streamed_answer_to_a_checked_post_arrives_whole(client_for: Factory) -> None:
    """The CSRF check reads the body first; the application must still get the real channel
    afterwards (a replayed early `http.disconnect` cancelled every streamed download)."""
    from starlette.responses import Response, StreamingResponse

    c = client_for()
    chunks = [f"row {i}\n".encode() for i in range(1000)]

    def download() -> StreamingResponse:
        return StreamingResponse(iter(chunks), media_type="text/csv")

    def sandboxed() -> Response:
        return Response("<script>x</script>", media_type="text/plain",
                        headers={"Content-Security-Policy": "sandbox; default-src 'none'"})

    c.app.add_api_route("/test/download", download, methods=["POST"])
    c.app.add_api_route("/test/sandboxed", sandboxed)
    sign_in(c, "eve")
    token = csrf_of(c.get("/").text)
    response = c.post("/test/download", data={"csrf_token": token})
    assert response.status_code == 200 and response.content == b"".join(chunks)
    # a route's own policy stays in force next to the application's
    policies = c.get("/test/sandboxed").headers.get_list("content-security-policy")
    assert "sandbox; default-src 'none'" in policies
    assert any("frame-ancestors 'none'" in policy for policy in policies)
