"""The one middleware in front of every page: who is asking (session or trusted-proxy header),
the CSRF check on every unsafe method, security headers, and a page in words for any failure.

Pure ASGI (not BaseHTTPMiddleware) because the CSRF check reads the form body and must hand the
same bytes on to the route; page routers therefore need no CSRF code of their own.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request

from ecomstat.settings import Settings
from ecomstat.web import auth
from ecomstat.web.deps import User

log = logging.getLogger("ecomstat.web")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# No inline script and no inline style anywhere (base.html loads htmx, the CSRF header and the
# stylesheets from /static; charts size their canvas through the CSSOM, which the CSP allows).
# The browser tests fail on any CSP violation in the console.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


class BodyTooLarge(Exception):
    pass


class WebCoreMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings
        self.https = settings.getbool("ECOMSTAT_WEB_HTTPS")
        self.user_header = str(settings["ECOMSTAT_WEB_TRUSTED_USER_HEADER"]).strip().lower()
        self.proxies = auth.parse_networks(settings.getlist("ECOMSTAT_WEB_TRUSTED_PROXIES"))
        self.max_body = settings.getint("ECOMSTAT_WEB_MAX_BODY_BYTES")

    def security_headers(self, headers: MutableHeaders, static: bool) -> None:
        # appended, not set: a route's own policy (a stored page's `sandbox`) stays in force,
        # and a browser enforces every policy it is given
        headers.append("Content-Security-Policy", CSP)
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if self.https:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if not static and "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"  # pages show one user's data

    def csrf_cookie(self, token: str) -> str:
        secure = "; Secure" if self.https else ""
        return f"{auth.CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        started = False
        new_csrf_cookie: list[str] = []

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                self.security_headers(headers, static)
                for token in new_csrf_cookie:
                    headers.append("set-cookie", self.csrf_cookie(token))
            await send(message)

        try:
            if static:
                await self.app(scope, receive, send_wrapper)
                return
            refusal = await self.identify(scope, new_csrf_cookie)
            if refusal is None and scope["method"] not in SAFE_METHODS:
                receive, refusal = await self.check_csrf(scope, receive)
            if refusal is not None:
                status, message = refusal
                await self.error_page(scope, status, message, send_wrapper)
                return
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await self.error_page(scope, 500, None, send_wrapper)

    async def identify(self, scope: Scope, new_csrf_cookie: list[str]) -> tuple[int, str] | None:
        """Put `user`, `csrf_token` and `client` on the request's state; a refusal (status,
        message) for a trusted-proxy user who has no account."""
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        peer = (scope.get("client") or (None, None))[0]
        trusted = auth.is_trusted(peer, self.proxies)
        state["client"] = auth.client_address(peer, headers.get("x-forwarded-for"), trusted)
        request = Request(scope)
        user: User | None = None
        csrf = ""
        sso_name = headers.get(self.user_header, "").strip() if self.user_header and trusted else ""
        if sso_name:
            info = await run_in_threadpool(auth.sso_user, self.engine, sso_name)
            if info is None:
                return 403, (f"Your single sign-on user {sso_name!r} has no ecomstat account; an admin "
                             "can add it (ecomstat user add NAME --role ...).")
            user = User(info.name, info.role)
        else:
            token = request.cookies.get(auth.SESSION_COOKIE)
            found = await run_in_threadpool(auth.session_user, self.engine, token) if token else None
            if found is not None:
                user, csrf = User(found.name, found.role), found.csrf_token
            state["session_token"] = token if found is not None else None
        if not csrf:  # signed out (the login form) or single sign-on: a token in its own cookie
            csrf = request.cookies.get(auth.CSRF_COOKIE, "")
            if not (20 <= len(csrf) <= 100 and csrf.replace("-", "").replace("_", "").isalnum()):
                csrf = auth.new_token()
                new_csrf_cookie.append(csrf)
            state["csrf_from_cookie"] = True
        state["user"] = user
        state["csrf_token"] = csrf
        return None

    async def check_csrf(self, scope: Scope, receive: Receive) -> tuple[Receive, tuple[int, str] | None]:
        expected = scope["state"]["csrf_token"]
        if scope["state"].get("csrf_from_cookie") and not Request(scope).cookies.get(auth.CSRF_COOKIE):
            expected = ""  # a token we only just made: the browser cannot have sent it
        headers = Headers(scope=scope)
        try:
            body = await read_body(receive, self.max_body)
        except BodyTooLarge:
            return receive, (413, f"The request is too large (more than {self.max_body} bytes).")
        replay = replay_receive(body, receive)
        sent = headers.get(auth.CSRF_HEADER) or await form_token(scope, body)
        if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
            return replay, (403, "This form has expired or did not come from this site (CSRF check "
                                 "failed). Reload the page and try again.")
        return replay_receive(body, receive), None

    async def error_page(self, scope: Scope, status: int, message: str | None, send: Send) -> None:
        from ecomstat.web.errors import error_response

        response = error_response(Request(scope), status, message)
        await response(scope, replay_receive(b""), send)


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_receive(body: bytes, receive_more: Receive | None = None) -> Receive:
    """Give the application the body read for the CSRF check, then the real channel: a streamed
    response waits on `receive` for the client's disconnect, and an early `http.disconnect`
    there ended every download answering a POST with an empty body."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            if receive_more is None:
                return {"type": "http.disconnect"}
            return await receive_more()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def form_token(scope: Scope, body: bytes) -> str:
    """The `csrf_token` field of a urlencoded or multipart form body, or ""."""
    content_type = Headers(scope=scope).get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(auth.CSRF_FIELD)
        return values[0] if values else ""
    if content_type.startswith("multipart/form-data"):
        request = Request(scope, replay_receive(body))
        try:
            form = await request.form()
        except Exception:  # a malformed body: no token, so the request is refused
            return ""
        value = form.get(auth.CSRF_FIELD)
        await form.close()
        return value if isinstance(value, str) else ""
    return ""
