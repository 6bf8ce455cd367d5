"""The ASGI application of `ecomstat serve` (issue 18)."""

from __future__ import annotations

import importlib

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from ecomstat.settings import Settings
from ecomstat.web import errors
from ecomstat.web.middleware import WebCoreMiddleware
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
    errors.install(app)
    # sessions / trusted-proxy sign-on, CSRF on every unsafe method, security headers, and a
    # page in words for any failure (ecomstat.web.middleware)
    app.add_middleware(WebCoreMiddleware, settings=settings, engine=engine)
    return app
