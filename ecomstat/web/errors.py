"""Errors as pages in words, never a stack trace (issue 18 item 5).

LoginRequired: a browser is sent to /login?next=<where it was>; an HTMX or API request gets 401
(with HX-Redirect so HTMX takes the browser to the login page). HTTP errors (403, 404, 405, ...)
get a page with their message; `BadInput` a 400 page with its message; another `EcomstatError`
its message; anything else a 500 "internal error" page (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ecomstat.errors import BadInput, EcomstatError
from ecomstat.web.deps import LoginRequired

log = logging.getLogger("ecomstat.web")

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Request too large",
    429: "Too many attempts",
    500: "Internal error",
}
MESSAGES = {
    401: "Please sign in.",
    403: "Your role does not allow this page.",
    404: "There is no page at this address.",
    405: "This address does not accept that kind of request.",
    500: "Something went wrong on the server; the error was logged. Try again, or tell the "
         "administrator what you were doing.",
}


def wants_fragment(request: Request) -> bool:
    """HTMX requests (and scripts asking for JSON) get a short answer, not a whole page."""
    return request.headers.get("hx-request") == "true" or "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, message: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    from ecomstat.web.render import render

    text = message or MESSAGES.get(status) or TITLES.get(status, "Error")
    if wants_fragment(request):
        if "application/json" in request.headers.get("accept", ""):
            from starlette.responses import JSONResponse

            return JSONResponse({"error": text}, status_code=status, headers=headers)
        from markupsafe import escape

        return HTMLResponse(f'<p class="error" role="alert">{escape(text)}</p>', status_code=status,
                            headers=headers)
    try:
        response = render(request, "error.html", {"status": status, "title": TITLES.get(status, "Error"),
                                                  "message": text}, status_code=status)
    except Exception:  # the error page itself failed (a broken template): still words
        log.exception("the error page failed")
        response = PlainTextResponse(f"{status} {TITLES.get(status, 'Error')}: {text}", status_code=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def login_required(request: Request, exc: LoginRequired) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = "/login" if target in ("", "/") else f"/login?next={quote(target, safe='/')}"
    if wants_fragment(request) or request.method not in ("GET", "HEAD"):
        return error_response(request, 401, "Your session has ended; please sign in again.",
                              headers={"HX-Redirect": login})
    return RedirectResponse(login, status_code=303)


def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else None
    if detail in (None, "Not Found", "Method Not Allowed", "Forbidden", "Unauthorized"):
        detail = None  # starlette's one-word details: ours say more
    return error_response(request, exc.status_code, detail, headers=getattr(exc, "headers", None))


def validation_error(request: Request, exc: RequestValidationError) -> Response:
    parts = []
    for error in exc.errors()[:5]:
        where = " ".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return error_response(request, 400, "The request is not valid: " + "; ".join(parts) + ".")


def bad_input(request: Request, exc: BadInput) -> Response:
    return error_response(request, 400, str(exc))


def ecomstat_error(request: Request, exc: EcomstatError) -> Response:
    return error_response(request, 500, str(exc))


def internal_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, login_required)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(BadInput, bad_input)  # type: ignore[arg-type]
    app.add_exception_handler(EcomstatError, ecomstat_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, internal_error)
