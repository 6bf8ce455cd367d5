"""`ecomstat scheduler start` (the service); the commands live in `ecomstat.cli.schedule`."""

from ecomstat.cli.schedule import service_app as app

__all__ = ["app"]
