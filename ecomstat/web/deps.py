"""What every route depends on: the signed-in user and their role, the store, the settings.

Roles are cumulative (issue 18): economists read results; register clerks also decide findings;
operators also manage campaigns and crawls; admins also manage users. A route states the least
role it needs with `Depends(require_role(Role.register))`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine

from ecomstat.settings import Settings
from ecomstat.web.users import Role  # defined with the users library, which the CLI uses too


__all__ = ["LoginRequired", "Role", "User", "current_user", "get_engine", "get_settings", "require_role"]


@dataclass(frozen=True)
class User:
    name: str
    role: Role

    def can(self, role: Role) -> bool:
        return self.role >= role


class LoginRequired(Exception):
    """Raised for a request with no signed-in user: the application answers with a redirect to
    the login page (a browser) or 401 (HTMX / downloads)."""


def current_user(request: Request) -> User:
    """The user the authentication middleware put on the request, or LoginRequired."""
    user = getattr(request.state, "user", None)
    if user is None:
        raise LoginRequired()
    return user


def require_role(role: Role) -> Callable[..., User]:
    """A dependency: the signed-in user if their role is at least `role`, else HTTP 403."""

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.can(role):
            raise HTTPException(status_code=403, detail=f"this page needs the {role.name} role")
        return user

    return dependency


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_settings(request: Request) -> Settings:
    return request.app.state.settings
