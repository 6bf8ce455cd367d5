"""Server-side pages: Jinja2 templates from `templates/`, with what every page shows (the user,
their role, the CSRF field for forms) put in the context."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from ecomstat.web.deps import Role

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.trim_blocks = True  # no blank lines where {% %} tags stood
templates.env.lstrip_blocks = True


class Area(NamedTuple):
    role: Role  # the least role that may use it
    path: str
    label: str
    description: str


# The application's areas: the navigation in base.html and the home page show the ones the
# user's role may use.
AREAS: tuple[Area, ...] = (
    Area(Role.operator, "/operator/campaigns", "Campaigns", "Scheduled crawl campaigns: add, pause, run now, history."),
    Area(Role.operator, "/operator/crawls", "Crawls", "Running and past crawls with their live figures."),
    Area(Role.register, "/clerk/worklist", "Worklist", "Register findings to accept, reject or mark done."),
    Area(Role.economist, "/economist/indicators", "Indicators", "Indicators by wave, method and breakdown, with intervals and flags."),
    Area(Role.economist, "/economist/changes", "Changes", "What changed between two waves."),
    Area(Role.economist, "/economist/coverage", "Coverage (9.c.1)", "Mobile network coverage by technology, with the population map."),
    Area(Role.economist, "/economist/internet-use", "Internet use (17.8.1)", "Internet use by area."),
    Area(Role.economist, "/economist/models", "Models", "Model cards of the classifiers."),
    Area(Role.economist, "/economist/sql", "SQL", "A read-only SQL console over the documented views."),
    Area(Role.admin, "/admin/users", "Users", "Add users, change roles, reset passwords."),
)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (set by the auth middleware in `ecomstat.web.auth`)."""
    return getattr(request.state, "csrf_token", "") or ""


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    """Render template `name` with `context`, plus `user`, `Role` and `csrf_field()` (a hidden
    input every POST form must contain; HTMX requests send the token from the page's meta tag)."""
    token = csrf_token(request)
    user = getattr(request.state, "user", None)
    page: dict[str, Any] = {
        "user": user,
        "nav": [area for area in AREAS if user is not None and user.can(area.role)],
        "current_path": request.url.path,
        "Role": Role,
        "csrf_token": token,
        "csrf_field": lambda: Markup(f'<input type="hidden" name="csrf_token" value="{escape(token)}">'),
    }
    page.update(context or {})
    return templates.TemplateResponse(request, name, page, status_code=status_code)
