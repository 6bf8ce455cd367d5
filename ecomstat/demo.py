"""`ecomstat demo`: the whole job on a fresh machine with no internet.

Generates and serves the sample web on loopback, then runs every pipeline step as a user would,
each through the `ecomstat` command line in a child process (a crawl must run in its own process
anyway), and finally scores the results against the sample web's ground truth.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ecomstat.errors import BadInput

DEMO_DB = "demo.db"
# The demo's two waves of data collection: the sample web changes between them (shops close,
# firms open shops, sites die; ecomstat.sampleweb.waves).
WAVES = ("2026Q3", "2026Q4")
# the cross-tabulation economists ask for first (web sales by NACE section x size class); with
# the demo's 200 enterprises most of its cells fall below ECOMSTAT_MIN_CELL_N and are suppressed
CROSS_TAB = "nace_section,size_class"


@dataclass
class Step:
    title: str
    argv: list[str]
    required: bool = True
    # runs before the step with the database URL; returns False to skip the step
    prepare: Callable[[str], bool] | None = None


@dataclass
class StepResult:
    title: str
    seconds: float
    ok: bool
    output: str


@dataclass
class DemoResult:
    folder: Path
    db_url: str
    steps: list[StepResult] = field(default_factory=list)
    scores: dict[str, object] = field(default_factory=dict)
    report: Path | None = None


def demo_environment(folder: Path, host_map: Path) -> dict[str, str]:
    """Settings for the sample web only: `.test` hosts are mapped to the loopback server and
    allowed although private; politeness delays are relaxed because the only server is ours."""
    return {
        "ECOMSTAT_HOST_MAP": str(host_map),
        "ECOMSTAT_ALLOW_PRIVATE_HOSTS": ".test",
        "ECOMSTAT_CANDIDATE_SUFFIX": ".test",
        "ECOMSTAT_RELAX_MAPPED_DELAYS": "true",
        "ECOMSTAT_DATA_DIR": str(folder / "data"),
        "ECOMSTAT_CONTACT_URL": "http://localhost/ecomstat-demo",
    }


def pipeline_steps(folder: Path) -> list[Step]:
    """The pipeline, in order."""
    return [
        Step("import the register", ["register", "import", str(folder / "sampleweb" / "register.csv"), "--snapshot", "demo"]),
        Step("discover websites", ["register", "discover"]),
        Step("crawl websites", ["crawl", "sites", "--all", "--max-pages", "15", "--wave", WAVES[0]]),
        Step("match websites to enterprises", ["register", "match"]),
        Step("classify websites", ["classify", "sites"]),
        Step("crawl shop listings", ["crawl", "shops", "--urls", str(folder / "shops.txt"), "--max-pages", "3"],
             required=False, prepare=lambda db_url: write_shop_urls(db_url, folder / "shops.txt") > 0),
        Step("classify products", ["classify", "products"], required=False),
        Step("validate the register", ["register", "validate"]),
        Step("register worklist", ["register", "report", "--out", str(folder / "register-worklist.html")]),
        Step("import the audit sample", ["audit", "import", str(folder / "sampleweb" / "audit.csv"), "--name", "demo-audit"]),
        Step("estimate indicators", ["indicators", "build", "--wave", WAVES[0], "--method", "corrected", "--audit", "demo-audit", "--breakdown", CROSS_TAB]),
        Step("compare with the survey", ["indicators", "compare", "--survey", str(folder / "survey.csv"), "--store"],
             required=False),
    ]


def report_step(folder: Path) -> Step:
    return Step("write the report", ["report", "--out", str(folder / "report"), "--survey", str(folder / "survey.csv")])


def second_wave_steps() -> list[Step]:
    """The next wave on the changed web: crawl, link, label, estimate, and what changed."""
    return [
        Step(f"crawl websites, wave {WAVES[1]}", ["crawl", "sites", "--all", "--max-pages", "15", "--wave", WAVES[1]]),
        Step(f"match websites, wave {WAVES[1]}", ["register", "match"]),
        Step(f"classify websites, wave {WAVES[1]}", ["classify", "sites"]),
        Step(f"estimate indicators, wave {WAVES[1]}", ["indicators", "build", "--wave", WAVES[1], "--method", "corrected", "--audit", "demo-audit", "--breakdown", CROSS_TAB]),
        Step(f"changes {WAVES[0]} -> {WAVES[1]}", ["changes", "--from", WAVES[0], "--to", WAVES[1], "--indicators", "--format", "json"]),
        Step(f"drift {WAVES[0]} -> {WAVES[1]}", ["waves", "drift", "--from", WAVES[0], "--to", WAVES[1], "--format", "json"],
             required=False),
    ]


def run_step(step: Step, db_url: str, env: dict[str, str], log: Path) -> StepResult:
    started = time.monotonic()
    command = [sys.executable, "-m", "ecomstat", "--db", db_url, *step.argv]
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"\n$ ecomstat {' '.join(step.argv)}\n")
        handle.flush()
        proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, **env})
        handle.write(proc.stdout)
    return StepResult(step.title, time.monotonic() - started, proc.returncode == 0, proc.stdout)


def prepare_folder(folder: Path) -> Path:
    """Start from an empty database file; refuse a folder that holds something else."""
    folder.mkdir(parents=True, exist_ok=True)
    foreign = [p.name for p in folder.iterdir()
               if p.name not in {DEMO_DB, f"{DEMO_DB}-wal", f"{DEMO_DB}-shm", "sampleweb", "data", "report",
                                 "demo.log", "register-worklist.html", "scores.json", "shops.txt",
                                 "survey.csv", "sampleweb-wave2"}]
    if foreign:
        raise BadInput(f"{folder} holds files the demo did not make ({', '.join(sorted(foreign)[:3])}); choose an empty folder")
    for name in (DEMO_DB, f"{DEMO_DB}-wal", f"{DEMO_DB}-shm", "demo.log"):
        (folder / name).unlink(missing_ok=True)
    for name in ("data", "report"):
        shutil.rmtree(folder / name, ignore_errors=True)
    return folder / DEMO_DB


def run_demo(
    folder: Path, *, n: int = 200, seed: int = 0,
    on_step: Callable[[str, StepResult | None], None] | None = None,
) -> DemoResult:
    """Generate and serve the sample web, run the pipeline against it, score the results."""
    from ecomstat.demo_score import score, score_changes
    from ecomstat.demo_survey import write_survey
    from ecomstat.sampleweb import SampleWebServer, generate, write_host_map, write_population
    from ecomstat.sampleweb.waves import next_wave, web_sales_changes

    folder = folder.resolve()
    db_path = prepare_folder(folder)
    db_url = f"sqlite:///{db_path}"
    sample_dir = folder / "sampleweb"
    population = generate(n=n, seed=seed)
    write_population(population, sample_dir)
    write_survey(sample_dir, folder / "survey.csv", seed)  # the office's survey, simulated
    result = DemoResult(folder=folder, db_url=db_url)
    log = folder / "demo.log"
    host_map = sample_dir / "hosts.txt"
    with SampleWebServer(population) as server:
        write_host_map(population, server, host_map)
        env = demo_environment(folder, host_map)
        ok = _run_steps(pipeline_steps(folder), db_url, env, log, result, on_step)
    # wave 1 is scored against its own truth before wave 2 changes what the views show
    result.scores = score(db_url, sample_dir / "truth.csv")
    if ok:
        wave2 = next_wave(population)
        write_population(wave2.population, folder / "sampleweb-wave2")
        with SampleWebServer(wave2.population) as server:
            write_host_map(wave2.population, server, host_map)
            ok = _run_steps(second_wave_steps(), db_url, env, log, result, on_step)
        if ok:
            result.scores["wave_changes"] = score_changes(
                db_url, WAVES, web_sales_changes(population, wave2.population))
            result.scores["drift"] = drift_line(db_url)
    _run_steps([report_step(folder)], db_url, env, log, result, on_step)
    report = folder / "report" / "index.html"
    result.report = report if report.exists() else None
    return result


def drift_line(db_url: str) -> str | None:
    """One line on the stored drift between the demo's waves (`ecomstat waves drift`)."""
    from ecomstat.classifiers.drift import read_drift, summarize
    from ecomstat.store import make_engine

    engine = make_engine(db_url, read_only=True)
    try:
        summary = summarize(read_drift(engine, *WAVES))
    finally:
        engine.dispose()
    return summary.line() if summary else None


def _run_steps(steps: list[Step], db_url: str, env: dict[str, str], log: Path, result: DemoResult,
               on_step: Callable[[str, StepResult | None], None] | None) -> bool:
    """Run the steps in order; False when a required step failed (the rest are not run)."""
    for step in steps:
        if step.prepare is not None and not step.prepare(db_url):
            continue
        if on_step:
            on_step(step.title, None)
        outcome = run_step(step, db_url, env, log)
        result.steps.append(outcome)
        if on_step:
            on_step(step.title, outcome)
        if not outcome.ok and step.required:
            return False
    return True


def write_shop_urls(db_url: str, path: Path) -> int:
    """The websites classified as having web sales: the shops whose listings the demo collects."""
    from sqlalchemy import text

    from ecomstat.store import make_engine

    engine = make_engine(db_url, read_only=True)
    try:
        with engine.connect() as connection:
            urls = connection.execute(text(
                "SELECT website_url FROM v_enterprise_web WHERE web_sales = 'yes' ORDER BY website_url"
            )).scalars().all()
    finally:
        engine.dispose()
    path.write_text("".join(f"{url}\n" for url in urls), encoding="utf-8")
    return len(urls)
