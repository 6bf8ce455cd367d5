"""Server-side pages: Jinja2 templates from `templates/`, with what every page shows (the user,
their role, the CSRF field for forms) put in the context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from ecomstat.web.deps import Role

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def csrf_token(request: Request) -> str:
    """The session's CSRF token (set by the auth middleware in `ecomstat.web.auth`)."""
    return getattr(request.state, "csrf_token", "") or ""


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    """Render template `name` with `context`, plus `user`, `Role` and `csrf_field()` (a hidden
    input every POST form must contain; HTMX requests send the token from the page's meta tag)."""
    token = csrf_token(request)
    page: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "Role": Role,
        "csrf_token": token,
        "csrf_field": lambda: Markup(f'<input type="hidden" name="csrf_token" value="{escape(token)}">'),
    }
    page.update(context or {})
    return templates.TemplateResponse(request, name, page, status_code=status_code)
