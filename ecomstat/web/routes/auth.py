"""Sign in, sign out, and the home page that links the areas of the user's role (issue 18)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from ecomstat.settings import Settings
from ecomstat.web import auth
from ecomstat.web.deps import User, current_user, get_engine, get_settings
from ecomstat.web.render import AREAS, render
from ecomstat.web.users import MAX_PASSWORD_CHARS, authenticate

router = APIRouter()

def _session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(auth.SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=settings.getbool("ECOMSTAT_WEB_HTTPS"),
                        max_age=int(settings.getfloat("ECOMSTAT_WEB_SESSION_HOURS") * 3600))


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query's name
    if getattr(request.state, "user", None) is not None:
        return RedirectResponse(auth.safe_next(next), status_code=303)
    return render(request, "login.html", {"next": auth.safe_next(next), "name": "", "error": None})


@router.post("/login")
def login(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    settings: Annotated[Settings, Depends(get_settings)],
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002 - the form field's name
) -> Response:
    client = request.state.client
    name = name.strip()
    target = auth.safe_next(next)

    def again(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        response = render(request, "login.html", {"next": target, "name": name, "error": message},
                          status_code=status)
        response.headers.update(headers or {})
        return response

    if not name or not password:
        return again(400, "Enter your user name and password.")
    throttle = auth.login_throttle(engine, name, client, settings)
    if throttle is not None:
        return again(429, throttle.reason, {"Retry-After": str(throttle.retry_after)})
    user = authenticate(engine, name, password)
    if user is None:
        auth.record_failure(engine, name, client, settings)
        return again(401, "Wrong user name or password.")
    auth.clear_failures(engine, name, client)
    auth.end_session(engine, getattr(request.state, "session_token", None))  # never keep a pre-login session
    token = auth.create_session(engine, user.name, settings, client)
    response = RedirectResponse(target, status_code=303)
    _session_cookie(response, token, settings)
    return response


@router.post("/logout")
def logout(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Response:
    auth.end_session(engine, getattr(request.state, "session_token", None))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    areas = [area for area in AREAS if user.can(area.role)]
    return render(request, "home.html", {"areas": areas})
