"""`ecomstat sample-web ...`: generate the sample web's files, or serve its websites locally."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from ecomstat.cli.common import OutputFormat, emit_json_line, err_console

app = typer.Typer(help="The sample web: a generated population of enterprise websites.",
                  no_args_is_help=True)

N_OPTION = typer.Option("--n", help="Number of enterprises.", min=1)
SEED_OPTION = typer.Option("--seed", help="Random seed; the same seed gives the same bytes.")
OUT_OPTION = typer.Option("--out", help="Folder for register.csv, truth.csv, audit.csv, hosts.txt.")


@app.command("generate")
def generate_command(
    n: Annotated[int, N_OPTION] = 200,
    seed: Annotated[int, SEED_OPTION] = 0,
    out: Annotated[Path, OUT_OPTION] = Path("sample-web"),
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
) -> None:
    """Write the register, ground truth and audit sample of a generated population."""
    from ecomstat.sampleweb import generate, write_population

    population = generate(n=n, seed=seed)
    paths = write_population(population, out)
    summary = {"n": n, "seed": seed, "hosts": len(population.live_hostnames()),
               **{name: str(path) for name, path in paths.items()}}
    if fmt is OutputFormat.json:
        emit_json_line(summary)
    else:
        for key, value in summary.items():
            typer.echo(f"{key}: {value}")


@app.command("serve")
def serve_command(
    n: Annotated[int, N_OPTION] = 200,
    seed: Annotated[int, SEED_OPTION] = 0,
    out: Annotated[Path, OUT_OPTION] = Path("sample-web"),
    port: Annotated[int, typer.Option("--port", help="TCP port; 0 lets the OS pick.", min=0, max=65535)] = 0,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Write the files, start the server, write OUT/hosts.txt, serve until Ctrl-C or SIGTERM."""
    from ecomstat.errors import BadInput
    from ecomstat.sampleweb import SampleWebServer, generate, write_host_map, write_population

    population = generate(n=n, seed=seed)
    paths = write_population(population, out)
    try:
        server = SampleWebServer(population, host=host, port=port)
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # The handlers only set an event: raising from a handler (as this command did) can land in
    # the middle of the server's own bookkeeping, and the first SIGTERM then left it hung. They
    # are in place, and the server serving, before the host map and the JSON line say "ready".
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stopping.set())
    server.start()  # serves in a thread; this one only waits for the signal
    try:
        hosts = write_host_map(population, server, Path(out) / "hosts.txt")
        emit_json_line({"port": server.port, "address": server.address, "hosts_file": str(hosts),
                        **{name: str(path) for name, path in paths.items()}})
        err_console.print(f"serving {len(population.live_hostnames())} hosts on {server.address}; "
                          "Ctrl-C to stop", highlight=False)
        while not stopping.wait(timeout=1.0):  # a bounded wait keeps signals deliverable
            pass
    finally:
        server.stop()
