"""`ecomstat serve`: the web application for crawl staff, economists and register clerks."""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated

import typer

from ecomstat.cli.common import err_console, state

app = typer.Typer()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0 = a free one), so the printed URL is the real one."""
    from ecomstat.errors import BadInput

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server_class(url: str):  # type: ignore[no-untyped-def]
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, which stops gracefully on SIGINT/SIGTERM, without raising the
        signal again afterwards (uvicorn does, so the process would die of it): `serve` then
        says it stopped and exits 0, as asked."""

        def handle_exit(self, sig, frame) -> None:  # type: ignore[no-untyped-def]
            super().handle_exit(sig, frame)
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

        async def startup(self, sockets=None) -> None:  # type: ignore[no-untyped-def]
            await super().startup(sockets=sockets)
            # printed once it listens and handles Ctrl-C/SIGTERM: a script may wait for the line
            typer.echo(f"ecomstat web application on {url}  (Ctrl-C stops it)")

    return Server


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on; keep 127.0.0.1 behind a reverse proxy.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).", min=0, max=65535)] = 8000,
) -> None:
    """Serve the web application over the database (sign in with a user from `ecomstat user add`).
    Ctrl-C or SIGTERM stops it cleanly."""
    import uvicorn

    from ecomstat.web.app import create_app
    from ecomstat.web.users import list_users

    st = state(ctx)
    engine = st.engine()  # a missing SQLite file or an old schema is refused here
    settings = st.settings
    application = create_app(settings, engine)
    https = settings.getbool("ECOMSTAT_WEB_HTTPS")
    if not _is_loopback(host) and not https:
        err_console.print(f"[yellow]warning:[/] listening on {host} without https: passwords and sessions "
                          "cross the network in clear. Put a reverse proxy with https in front and set "
                          "ECOMSTAT_WEB_HTTPS=true (see docs/web.md).", highlight=False)
    if not list_users(engine) and not str(settings["ECOMSTAT_WEB_TRUSTED_USER_HEADER"]).strip():
        err_console.print("[yellow]warning:[/] no users yet: add one with "
                          "`ecomstat user add NAME --role admin`.", highlight=False)
    sock = bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    # proxy_headers off: the application itself believes X-Forwarded-For only from
    # ECOMSTAT_WEB_TRUSTED_PROXIES (ecomstat.web.auth.client_address)
    config = uvicorn.Config(application, proxy_headers=False, server_header=False,
                            log_level="info", timeout_graceful_shutdown=10)
    server = _server_class(f"http://{shown}:{bound_port}")(config)
    try:
        server.run(sockets=[sock])  # uvicorn stops cleanly on SIGINT and SIGTERM
    finally:
        sock.close()
        engine.dispose()
    typer.echo("stopped")
