"""Writing the sample web's files: register.csv, truth.csv, audit.csv and the host map."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ecomstat.errors import BadInput
from ecomstat.sampleweb.model import AUDIT_COLUMNS, REGISTER_COLUMNS, TRUTH_COLUMNS, Population


def _write_csv(path: Path, header: tuple[str, ...], rows) -> None:
    """Write atomically (temp file + rename) so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)


def _out_dir(out_dir: str | os.PathLike[str]) -> Path:
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise BadInput(f"{path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot create {path}: {exc.strerror}") from None
    return path


def write_population(population: Population, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write register.csv (canonical register layout), truth.csv and audit.csv into `out_dir`;
    return their paths by name."""
    folder = _out_dir(out_dir)
    paths = {name: folder / f"{name}.csv" for name in ("register", "truth", "audit")}
    _write_csv(paths["register"], REGISTER_COLUMNS, (row.as_row() for row in population.register))
    _write_csv(paths["truth"], TRUTH_COLUMNS, (row.as_row() for row in population.truth))
    _write_csv(paths["audit"], AUDIT_COLUMNS,
               ((eid, "1" if sales else "0") for eid, sales in population.audit))
    return paths


def host_map_lines(population: Population, address: str) -> list[str]:
    return [f"{host} {address}" for host in population.live_hostnames()]


def write_host_map(population: Population, server, path: str | os.PathLike[str]) -> Path:
    """Write `hostname 127.0.0.1:PORT` for every live hostname (content sites, parked domains,
    redirect sources; never dead hosts). `server` is a SampleWebServer or an `ip:port` string."""
    address = server if isinstance(server, str) else server.address
    target = Path(path)
    _out_dir(target.parent)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text("\n".join(host_map_lines(population, address)) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target
