"""Campaign steps. Each step runs an `ecomstat` command in a subprocess: a crawl needs a fresh
process anyway (Twisted's reactor cannot restart), a crash stays contained, and a SIGTERM to the
scheduler can be forwarded to the step and waited for."""

from __future__ import annotations

import collections
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from ecomstat.scheduler.errors import InvalidCampaign

SELECTIONS = ("all", "missing", "stale:DAYS")


@dataclass(frozen=True)
class StepSpec:
    name: str
    help: str
    rows: str = "rows"  # what one JSON line is, when the command prints one per row

    def argv(self, options: dict[str, Any]) -> list[str]:
        return list(_STEP_ARGV[self.name](options))

    @property
    def external(self) -> bool:
        """True for the `command` step, which runs the campaign's own program, not ecomstat."""
        return self.name == "command"


def _crawl_sites(options: dict[str, Any]) -> list[str]:
    selection = str(options.get("select", "all"))
    argv = ["crawl", "sites"]
    if selection.startswith("stale:"):
        argv += ["--stale", selection.split(":", 1)[1]]
    else:
        argv.append(f"--{selection}")
    if options.get("max_pages"):
        argv += ["--max-pages", str(options["max_pages"])]
    return argv + _wave(options)


def _wave(options: dict[str, Any]) -> list[str]:
    """`--wave W` when the run has a wave (the campaign's wave rule at the run's fire time):
    the crawl, validation and indicators of one run all work in it. `classify sites` takes
    none: it records the wave of the newest crawl, the run's own when it crawled."""
    wave = options.get("run_wave")
    return ["--wave", str(wave)] if wave else []


_STEP_ARGV = {
    "discover": lambda o: ["register", "discover"],
    "crawl-sites": _crawl_sites,
    "match": lambda o: ["register", "match"],
    "classify": lambda o: ["classify", "sites"],
    "classify-products": lambda o: ["classify", "products"],
    "validate": lambda o: ["register", "validate", *_wave(o)],
    "indicators": lambda o: _indicators(o),
    "command": lambda o: _command(o),
}


INDICATOR_METHODS = ("naive", "corrected", "calibrated")


def _indicators(options: dict[str, Any]) -> list[str]:
    """`indicators build` with the campaign's method and audit set (naive and the latest audit
    set when not given)."""
    argv = ["indicators", "build"]
    if options.get("indicators_method"):
        argv += ["--method", str(options["indicators_method"])]
    if options.get("audit_set"):
        argv += ["--audit", str(options["audit_set"])]
    return argv + _wave(options)


def _command(options: dict[str, Any]) -> list[str]:
    command = options.get("command")
    if not command:
        raise InvalidCampaign("the command step needs --command")
    return shlex.split(str(command))

_ROWS = {"classify": "sites", "indicators": "indicators"}

STEPS: dict[str, StepSpec] = {
    name: StepSpec(name, help, _ROWS.get(name, "rows"))
    for name, help in [
        ("discover", "find candidate websites for enterprises without one"),
        ("crawl-sites", "crawl the selected enterprise websites"),
        ("match", "link websites to enterprises"),
        ("classify", "label crawled sites (web sales, marketplace, social media, ...)"),
        ("classify-products", "code stored products to COICOP"),
        ("validate", "compare websites with the register, store findings"),
        ("indicators", "estimate the e-commerce indicators"),
        ("command", "run the campaign's --command (e.g. publish exports); gets ECOMSTAT_DATABASE_URL"),
    ]
}


def parse_steps(text: str) -> list[str]:
    steps = [part.strip() for part in text.split(",") if part.strip()]
    if not steps:
        raise InvalidCampaign("--steps needs at least one step")
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise InvalidCampaign(
            f"unknown step(s) {', '.join(unknown)}; known steps: {', '.join(STEPS)}"
        )
    check_order(steps)
    return steps


def check_order(steps: list[str]) -> None:
    """Each step once, in the pipeline's order (STEPS: a step uses what the earlier ones
    stored; `indicators` before `classify` would publish last month's labels). `command`
    (e.g. publishing exports) may come anywhere, once."""
    repeated = sorted({s for s in steps if steps.count(s) > 1})
    if repeated:
        raise InvalidCampaign(f"step(s) {', '.join(repeated)} given twice; each step runs once")
    order = [s for s in STEPS if s != "command"]
    ranked = [s for s in steps if s != "command"]
    for earlier, later in zip(ranked, ranked[1:]):
        if order.index(later) < order.index(earlier):
            raise InvalidCampaign(
                f"step {later} must come before {earlier} (order: {', '.join(order)})")


def parse_selection(text: str) -> str:
    if text in ("all", "missing"):
        return text
    if text.startswith("stale:") and text.split(":", 1)[1].isdigit():
        return text
    raise InvalidCampaign(f"--select must be all, missing or stale:DAYS, got {text!r}")


@dataclass
class StepOutcome:
    status: str  # finished | failed | interrupted
    returncode: int
    error: str | None
    output_tail: str
    counts: dict[str, Any] = field(default_factory=dict)


class StepProcess:
    """Runs one step as `python -m ecomstat --db URL ...`; can be interrupted from another
    thread (SIGTERM forwarded, then SIGKILL after `grace` seconds)."""

    def __init__(self, db_url: str, step: str, options: dict[str, Any], env: dict[str, str] | None = None) -> None:
        spec = STEPS[step]
        self.rows_name = spec.rows
        if spec.external:
            self.argv = spec.argv(options)
        else:
            self.argv = [sys.executable, "-m", "ecomstat", "--db", db_url, *spec.argv(options),
                         "--format", "json"]
        self.env = {**os.environ, "ECOMSTAT_DATABASE_URL": db_url, **(env or {})}
        self._process: subprocess.Popen[str] | None = None
        self._interrupted = threading.Event()
        self._start_lock = threading.Lock()

    def run(self, timeout: float | None = None) -> StepOutcome:
        with self._start_lock:  # an interrupt() before the start means: do not start
            if self._interrupted.is_set():
                return StepOutcome("interrupted", -1, "interrupted by scheduler shutdown", "")
            try:
                self._process = subprocess.Popen(
                    self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                    env=self.env, start_new_session=True,
                )
            except OSError as exc:
                return StepOutcome("failed", -1, f"cannot start {self.argv[0]}: {exc}", "")
        digest = OutputDigest()
        reader = threading.Thread(target=digest.read, args=(self._process.stdout,), daemon=True,
                                  name="ecomstat-step-output")
        reader.start()
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill_group(signal.SIGKILL)
            self._process.wait()
            reader.join()
            return StepOutcome("failed", -9, f"timed out after {timeout} s", digest.tail())
        reader.join()
        code = self._process.returncode
        if self._interrupted.is_set():
            return StepOutcome("interrupted", code, "interrupted by scheduler shutdown", digest.tail())
        if code != 0:
            return StepOutcome("failed", code, digest.last_line() or f"exit code {code}", digest.tail())
        return StepOutcome("finished", 0, None, digest.tail(), digest.counts(self.rows_name))

    def interrupt(self, grace: float = 30.0) -> None:
        self._interrupted.set()
        with self._start_lock:
            pass  # a start under way has finished: self._process is set, or will never be
        if self._process is None or self._process.poll() is not None:
            return
        self._kill_group(signal.SIGTERM)
        try:
            self._process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._kill_group(signal.SIGKILL)

    def forward(self, sig: int) -> None:
        """From a signal handler (no lock, no waiting): mark the step interrupted and pass `sig`
        on to its process group; run() then returns `interrupted` once the step has exited."""
        self._interrupted.set()
        if self._process is not None and self._process.poll() is None:
            self._kill_group(sig)

    def _kill_group(self, sig: int) -> None:
        if self._process is None:
            return
        try:
            os.killpg(self._process.pid, sig)
        except ProcessLookupError:
            pass


class OutputDigest:
    """What run history keeps of a step's output, read as it is printed: the last TAIL_LINES
    lines (each cut to MAX_LINE_CHARS) and the JSON objects' counts. A step that prints a
    million rows (`classify products --format json`) must not be buffered whole in the
    scheduler's memory."""

    TAIL_LINES = 20
    MAX_LINE_CHARS = 2_000

    def __init__(self) -> None:
        self._tail: collections.deque[str] = collections.deque(maxlen=self.TAIL_LINES)
        self._objects = 0
        self._first_object: dict[str, Any] | None = None
        self._last_line: str | None = None

    def read(self, stream: Any) -> None:
        for line in stream:
            self.feed(line)
        stream.close()

    def feed(self, line: str) -> None:
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            if isinstance(value, dict):
                self._objects += 1
                if self._first_object is None:
                    self._first_object = value
        line = line.rstrip("\n")[: self.MAX_LINE_CHARS]
        self._tail.append(line)
        if line.strip():
            self._last_line = line.strip()[:500]

    def tail(self) -> str:
        return "\n".join(self._tail)

    def last_line(self) -> str | None:
        return self._last_line

    def counts(self, rows_name: str = "rows") -> dict[str, Any]:
        """The numbers of the step's one summary object (`--format json`: e.g. sites_done,
        pages, findings), or how many row objects it printed."""
        if self._objects != 1 or self._first_object is None:
            return {rows_name: self._objects} if self._objects else {}
        return {
            key: value for key, value in self._first_object.items()
            if (isinstance(value, (int, float)) and not isinstance(value, bool))
            or (isinstance(value, dict) and all(isinstance(v, int) for v in value.values()))
        }


def step_counts(output: str | None, rows_name: str = "rows") -> dict[str, Any]:
    """`OutputDigest.counts` of a whole output already in memory."""
    digest = OutputDigest()
    for line in (output or "").splitlines():
        digest.feed(line)
    return digest.counts(rows_name)
