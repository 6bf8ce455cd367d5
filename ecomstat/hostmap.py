"""The host map: `hostname 127.0.0.1:PORT` lines (written by `ecomstat.sampleweb`).

Listed hosts are fetched through that address as an HTTP proxy (absolute-form requests) and are
mapped for Chromium with `--host-resolver-rules`; every other host resolves normally.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ecomstat.errors import BadInput


@lru_cache(maxsize=8)
def load_host_map(path: str) -> dict[str, str]:
    """{hostname: "ip:port"}; an empty path means no map."""
    if not path:
        return {}
    file = Path(path).expanduser()
    if not file.exists():
        raise BadInput(f"ECOMSTAT_HOST_MAP file {file} does not exist")
    mapping: dict[str, str] = {}
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or ":" not in parts[1]:
            raise BadInput(f"{file}:{number}: expected 'hostname ip:port', got {line!r}")
        host, address = parts[0].lower().rstrip("."), parts[1]
        port = address.rsplit(":", 1)[1]
        if not port.isdigit():
            raise BadInput(f"{file}:{number}: port must be a number, got {port!r}")
        mapping[host] = address
    return mapping
