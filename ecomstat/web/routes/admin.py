"""The admin pages: users and roles (issue 18 item 1). Every change goes through
`ecomstat.web.users`, the library `ecomstat user ...` calls."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from ecomstat.errors import BadInput
from ecomstat.settings import Settings
from ecomstat.web import auth
from ecomstat.web.deps import Role, User, get_engine, get_settings, require_role
from ecomstat.web.render import render
from ecomstat.web.users import (
    MAX_PASSWORD_CHARS,
    ROLE_NAMES,
    add_user,
    get_user,
    list_users,
    remove_user,
    set_password,
    set_role,
)

router = APIRouter(prefix="/admin")

Admin = Annotated[User, Depends(require_role(Role.admin))]
Store = Annotated[Engine, Depends(get_engine)]

DONE = {  # ?done=... after a change (a fixed set of words: nothing from the URL is shown)
    "added": "User {user} added.",
    "role": "The role of {user} was changed.",
    "password": "The password of {user} was reset; their sessions were ended.",
    "removed": "User {user} removed.",
}


def _page(request: Request, engine: Engine, settings: Settings, status: int = 200,
          error: str | None = None, form: dict[str, str] | None = None) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    shown = request.query_params.get("user", "")
    return render(request, "admin/users.html", {
        "users": list_users(engine),
        "roles": ROLE_NAMES,
        "min_length": settings.getint("ECOMSTAT_WEB_PASSWORD_MIN_LENGTH"),
        "done": done.format(user=shown) if done and shown else None,
        "error": error,
        "form": form or {"name": "", "role": "economist"},
    }, status_code=status)


def _back(done: str, name: str) -> Response:
    return RedirectResponse("/admin/users?" + urlencode({"done": done, "user": name}), status_code=303)


@router.get("/users")
def users_page(request: Request, user: Admin, engine: Store,
               settings: Annotated[Settings, Depends(get_settings)]) -> Response:
    return _page(request, engine, settings)


@router.post("/users")
def users_add(
    request: Request, user: Admin, engine: Store, settings: Annotated[Settings, Depends(get_settings)],
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
) -> Response:
    name = name.strip()
    try:
        add_user(engine, name, role, password, settings)
    except BadInput as exc:
        return _page(request, engine, settings, 400, f"User not added: {exc}.", {"name": name, "role": role})
    return _back("added", name)


def _existing(engine: Engine, name: str) -> None:
    if get_user(engine, name) is None:
        raise HTTPException(404, f"There is no user named {name!r}.")


@router.post("/users/{name}/role")
def users_role(request: Request, name: str, user: Admin, engine: Store,
               settings: Annotated[Settings, Depends(get_settings)],
               role: Annotated[str, Form(max_length=20)] = "") -> Response:
    _existing(engine, name)
    try:
        set_role(engine, name, role)
    except BadInput as exc:
        return _page(request, engine, settings, 400, f"Role not changed: {exc}.")
    return _back("role", name)


@router.post("/users/{name}/password")
def users_password(request: Request, name: str, user: Admin, engine: Store,
                   settings: Annotated[Settings, Depends(get_settings)],
                   password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "") -> Response:
    _existing(engine, name)
    try:
        set_password(engine, name, password, settings)
    except BadInput as exc:
        return _page(request, engine, settings, 400, f"Password not reset: {exc}.")
    auth.forget_user_failures(engine, name)
    return _back("password", name)


@router.get("/users/{name}/remove")
def users_remove_confirm(request: Request, name: str, user: Admin, engine: Store) -> Response:
    target = get_user(engine, name)
    if target is None:
        raise HTTPException(404, f"There is no user named {name!r}.")
    return render(request, "admin/remove.html", {"target": target})


@router.post("/users/{name}/remove")
def users_remove(request: Request, name: str, user: Admin, engine: Store,
                 settings: Annotated[Settings, Depends(get_settings)]) -> Response:
    _existing(engine, name)
    if name == user.name:
        return _page(request, engine, settings, 400, "You cannot remove your own account; another admin can.")
    try:
        remove_user(engine, name)
    except BadInput as exc:
        return _page(request, engine, settings, 400, f"User not removed: {exc}.")
    return _back("removed", name)
