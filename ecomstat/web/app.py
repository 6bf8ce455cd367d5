"""The ASGI application of `ecomstat serve` (issue 18)."""

from __future__ import annotations

import importlib

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from ecomstat.settings import Settings
from ecomstat.web.render import TEMPLATES_DIR
from ecomstat.web.routes import ROUTERS

STATIC_DIR = TEMPLATES_DIR.parent / "static"


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """The application over the store `engine` (schema checked by the caller)."""
    app = FastAPI(title="ecomstat", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for name in ROUTERS:
        module = importlib.import_module(f"ecomstat.web.routes.{name}")
        app.include_router(module.router)
    # the web-core work adds here: authentication + CSRF middleware (ecomstat.web.auth), error
    # pages (LoginRequired -> /login, 403/404/EcomstatError -> a page in words)
    return app
