"""One router per area of the application; `ecomstat.web.app` includes every one in ROUTERS."""

ROUTERS: tuple[str, ...] = ("auth", "admin", "operator", "economist", "clerk")
