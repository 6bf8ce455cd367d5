"""The sample-web walkthrough (docs/sample-web.md) runs verbatim and looks up no real domain.

Every Python process the walkthrough starts (the CLI, the crawl and probe subprocesses) loads a
`sitecustomize` that records each host name handed to the resolver (`getaddrinfo`,
`gethostbyname`, `gethostbyname_ex`). Before discovery was confined to the host map, a walkthrough
without ECOMSTAT_CANDIDATE_SUFFIX would have probed `mueller.de` and friends on the internet.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

WALKTHROUGH = Path(__file__).resolve().parents[2] / "docs" / "sample-web.md"

RESOLVER_LOG = '''
import os, socket
_log = os.environ["ECOMSTAT_TEST_RESOLVER_LOG"]
def _record(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host:
        with open(_log, "a", encoding="utf-8") as handle:
            handle.write(f"{host}\\n")
def _wrap(name):
    original = getattr(socket, name)
    def looked_up(host, *args, **kwargs):
        _record(host)
        return original(host, *args, **kwargs)
    setattr(socket, name, looked_up)
for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    _wrap(_name)
'''


def walkthrough_script() -> str:
    text = WALKTHROUGH.read_text(encoding="utf-8")
    start = text.index("## Walkthrough")
    match = re.search(r"```bash\n(.*?)```", text[start:], re.S)
    if match is None:
        raise ValueError(f"{WALKTHROUGH}: the walkthrough has no ```bash block")
    return match.group(1)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _run(script: str, tmp_path: Path, chromium_path: str) -> tuple[subprocess.CompletedProcess[str], Path, list[str]]:
    """Run `script` with bash in an empty folder; returns the process, the folder and the names
    looked up outside the sample web (not under .test, not localhost, not an address)."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(RESOLVER_LOG, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    log = tmp_path / "lookups.txt"
    log.touch()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ECOMSTAT_")}
    env.update({
        "ECOMSTAT_TEST_RESOLVER_LOG": str(log),
        "ECOMSTAT_CHROMIUM_PATH": chromium_path,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")])),
        # the console script of this interpreter's environment first
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    })
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=480)
    mapped = {line.split()[0] for line in (work / "sample-web" / "hosts.txt").read_text().splitlines()
              if line.strip()}
    looked_up = set(log.read_text(encoding="utf-8").split())
    # a dead sample-web site is a `.test` name left out of the map: looking it up fails and
    # reaches no real domain (RFC 6761 reserves .test), so it is not counted
    outside = sorted(h for h in looked_up if h not in mapped and h != "localhost"
                     and not h.rstrip(".").endswith(".test") and not _is_address(h))
    return proc, work, outside


@pytest.mark.slow
def test_walkthrough_runs_verbatim_without_real_lookups(tmp_path: Path, chromium_path: str) -> None:
    proc, work, outside = _run(walkthrough_script(), tmp_path, chromium_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (work / "worklist.html").stat().st_size > 0
    f1 = re.search(r"│ all\s+│ [\d.]+\s+│ [\d.]+\s+│ ([\d.]+)", proc.stdout)
    assert f1 is not None and float(f1.group(1)) >= 0.8, proc.stdout[-2000:]
    assert not outside, f"names looked up outside the sample web: {outside[:20]}"


def test_discovery_without_the_candidate_suffix_stays_on_the_host_map(tmp_path: Path, chromium_path: str) -> None:
    """The walkthrough's discovery with ECOMSTAT_CANDIDATE_SUFFIX forgotten: the candidates are
    real domains (`mueller.de`), and with a host map in use none of them is probed."""
    lines = walkthrough_script().splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("ecomstat register discover"))
    script = "\n".join([line for line in lines[:cut + 1] if "CANDIDATE_SUFFIX" not in line]
                       + ["kill $server"])
    proc, _work, outside = _run(script, tmp_path, chromium_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "not in ECOMSTAT_HOST_MAP and were not probed" in proc.stdout
    assert not outside, f"discovery looked up real domains: {outside[:20]}"
