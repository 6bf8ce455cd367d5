"""National-scale rehearsal on PostgreSQL (issue 15 item 3): every pipeline step but the crawl
over a synthetic register of N enterprises, with wall time, CPU time and peak memory per step.

    python bench/bench_national.py --n 10000 --n 100000          # temporary database on 127.0.0.1
    python bench/bench_national.py --n 1000000 --db postgresql://user@host/db   # an office's own
    python bench/bench_national.py --chart bench/national.json   # redraw the chart from results

The register is written in the canonical layout (bench/bench_register_import.py `generate`:
half the enterprises with a URL and an e-mail address). Steps, each in its own child process
so its peak RSS is its own (the figures include the step's own children: the importer's
validation worker):

- import:      `register import` of the CSV (library call, as the CLI makes it)
- candidates:  `register candidates` over the same CSV (output discarded)
- discover:    `register discover` with a stand-in prober (no network: the register's own URL
               answers, every guess fails), so the figures are the pipeline's, not the web's
- run:         crawl run creation over every verified website (select + create_run)
- pages:       a synthetic store of crawled pages (--pages per verified site, COPY), standing in
               for the crawl (measured apart: bench/bench_crawl.py and docs/deployment.md)
- match, validate, classify (`classify sites`), indicators (`indicators build`, naive),
  worklist (`register report` CSV), export (`export enterprise` and `v_enterprise_web` CSV).

Without --db a temporary database is created on 127.0.0.1 (ECOMSTAT_TEST_PG_URL's server, the
CI one) and dropped at the end. --db is used as given: it must be empty (migrated here).
Results are appended to --json (default bench/national.json) and the log-log chart of time per
step and peak memory against N is drawn into --png (default bench/national.png).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
STEPS = ("import", "candidates", "discover", "run", "pages", "match", "validate", "classify",
         "indicators", "worklist", "export")
ADMIN_URL = os.environ.get("ECOMSTAT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PAGE_TEXT = ("{name}. Impressum: {name}, Hauptstrasse 1, Berlin. Telefon +49 30 1234567. "
             "Willkommen auf unserer Website. Wir beraten Sie gern zu unseren Leistungen. ") * 8
SHOP_TEXT = " Onlineshop: in den Warenkorb, zur Kasse, Versandkosten, Zahlung mit PayPal."


# --- steps (run in a child process) -------------------------------------------------------

def _engine(db: str) -> Any:
    from ecomstat.store import make_engine

    return make_engine(db)


def step_import(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.register.importer import import_register

    summary = import_register(_engine(db), work / "register.csv")
    return {"rows": summary.rows, "websites": summary.websites_added}


def step_candidates(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.register.candidates import candidates_for_file
    from ecomstat.settings import Settings

    count = 0
    for row in candidates_for_file(work / "register.csv", Settings({}, environ={})):
        count += len(row["candidates"])  # type: ignore[arg-type]
    return {"candidates": count}


def _stand_in_prober(tasks: Any, settings: Any) -> dict[str, Any]:
    """No network: the hyphenated <word>-<word>-<number>.de of an even number answers (the
    register's URL, or the same domain guessed from the name), every other domain fails."""
    from ecomstat.register.discover import ProbeResult

    out = {}
    for task in tasks:
        key = task["key"]
        number = key.removesuffix(".de").rsplit("-", 1)[-1]
        if key.count("-") == 2 and key.endswith(".de") and number.isdigit() and int(number) % 2 == 0:
            out[key] = ProbeResult(key, task["urls"][0], "ok", 200, f"https://www.{key}/",
                                   key, f"Willkommen bei {key}")
        else:
            out[key] = ProbeResult(key, task["urls"][0], "dns-failure")
    return out


def step_discover(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.register.discover import discover
    from ecomstat.settings import Settings

    summary = discover(_engine(db), Settings({"ECOMSTAT_HOST_MAP": ""}, environ={}),
                       prober=_stand_in_prober)
    return {"enterprises": summary.enterprises, "probed": summary.probed,
            "verified": summary.verified}


def step_run(db: str, work: Path) -> dict[str, Any]:
    from sqlalchemy import select

    from ecomstat.spiders.runs import create_run
    from ecomstat.store import transaction
    from ecomstat.store.models import Website

    engine = _engine(db)
    with transaction(engine) as session:
        ids = list(session.scalars(select(Website.id).where(Website.status == "verified")
                                   .order_by(Website.id)))
    run_id = create_run(engine, "enterprise_site", ids)
    (work / "run_id").write_text(str(run_id))
    return {"sites": len(ids), "run_id": run_id}


def step_pages(db: str, work: Path, pages: int = 2) -> dict[str, Any]:
    """COPY `pages` pages per verified website (every fifth site a shop), tied to the run."""
    engine = _engine(db)
    run_id = int((work / "run_id").read_text())
    written = 0
    links = json.dumps([{"url": "impressum", "text": "Impressum"}])
    last = 0
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()
        while True:  # keyset pages of sites, each COPYed (no query may run during a COPY)
            cursor.execute("SELECT id, url FROM website WHERE status = 'verified' AND id > %s "
                           "ORDER BY id LIMIT 5000", (last,))
            batch = cursor.fetchall()
            if not batch:
                break
            last = batch[-1][0]
            with cursor.copy("COPY page (website_id, run_id, url, final_url, http_status, outcome, "
                             "fetched_at, content_type, depth, title, language, text, links, "
                             "rendered) FROM STDIN") as copy:
                for site_id, url in batch:
                    name = url.split("//www.", 1)[-1].split(".", 1)[0].replace("-", " ").title()
                    text = PAGE_TEXT.format(name=name) + (SHOP_TEXT if site_id % 5 == 0 else "")
                    for k in range(pages):
                        page_url = url if k == 0 else f"{url}seite-{k}"
                        copy.write_row((site_id, run_id, page_url, page_url, 200, "ok",
                                        "2026-12-05T00:00:00+00:00", "text/html", min(k, 1), name,
                                        "de", text, links, False))
                        written += 1
        cursor.close()
        conn.exec_driver_sql("UPDATE site_visit SET state = 'done' WHERE run_id = %s" % run_id)
        conn.exec_driver_sql("UPDATE website SET last_crawled_at = now() WHERE status = 'verified'")
        conn.exec_driver_sql("ANALYZE page")
    return {"pages": written}


def step_match(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.register.match_store import match_store
    from ecomstat.settings import Settings

    summary = match_store(_engine(db), Settings({}, environ={}))
    return {"sites": summary.sites, "linked": summary.linked}


def step_validate(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.register.validation import validate

    summary = validate(_engine(db))
    return {"enterprises": summary.enterprises}


def step_classify(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.classifiers.ecommerce.registry import load_model
    from ecomstat.classifiers.ecommerce.sites import classify_sites

    summary = classify_sites(_engine(db), load_model(), on_result=lambda result: None)
    return {"sites": summary.sites, "pages": summary.pages, "web_sales": summary.web_sales}


def step_indicators(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.indicators.adoption import BuildOptions, build_adoption

    result = build_adoption(_engine(db), BuildOptions(replicates=200))
    return {"units": result.units, "records": len(result.records)}


def step_worklist(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.register.report import write_report

    return {"rows": write_report(_engine(db), work / "worklist.csv")}


def step_export(db: str, work: Path) -> dict[str, Any]:
    from ecomstat.store.query import export_relation

    url = _engine(db).url.render_as_string(hide_password=False)
    return {name: export_relation(url, name, "csv", work / f"{name}.csv")
            for name in ("enterprise", "v_enterprise_web")}


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_step(name: str, db: str, work: Path, pages: int) -> dict[str, Any]:
    """In the child: run one step; wall, CPU and peak RSS of this process and its children."""
    function = globals()[f"step_{name}"]
    started = time.perf_counter()
    facts = function(db, work, pages) if name == "pages" else function(db, work)
    wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"step": name, "wall_s": round(wall, 2),
            "cpu_s": round(_cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN), 2),
            "peak_rss_mb": round(max(own, children), 1), "children_peak_rss_mb": round(children, 1),
            **facts}


# --- the parent ---------------------------------------------------------------------------

@contextmanager
def temporary_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"ecomstat_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rehearse(n: int, db: str, steps: list[str], pages: int, work: Path) -> list[dict[str, Any]]:
    from bench_register_import import generate

    from ecomstat.store import make_engine, upgrade

    engine = make_engine(db)
    upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    generate(work / "register.csv", n, seed=15)
    print(f"N={n}: register generated in {time.perf_counter() - started:.1f} s", flush=True)
    results = []
    for step in steps:
        child = subprocess.run(
            [sys.executable, __file__, "--child", step, "--db", db, "--work", str(work),
             "--pages", str(pages)], capture_output=True, text=True, check=False)
        if child.returncode != 0:
            print(child.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"step {step} failed at N={n} (exit {child.returncode})")
        result = {"n": n, **json.loads(child.stdout.strip().splitlines()[-1])}
        result["load_1min"] = round(os.getloadavg()[0], 1)
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def chart(results: list[dict[str, Any]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    latest: dict[tuple[str, int], dict[str, Any]] = {}
    for r in results:
        latest[(r["step"], r["n"])] = r  # the newest run of each (step, N)
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 5))
    for i, step in enumerate(STEPS):
        points = sorted((n, r) for (s, n), r in latest.items() if s == step)
        if not points:
            continue
        ns = [n for n, _ in points]
        style = {"marker": "os^vD"[i % 5], "color": plt.cm.tab20(i), "label": step}
        left.plot(ns, [max(r["wall_s"], 0.01) for _, r in points], **style)
        middle.plot(ns, [max(r["cpu_s"], 0.01) for _, r in points], **style)
        right.plot(ns, [r["peak_rss_mb"] for _, r in points], **style)
    for ax, title, unit in ((left, "wall time per step", "seconds"),
                            (middle, "CPU time per step (its processes)", "seconds"),
                            (right, "peak RSS of the step's largest process", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("enterprises (N)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    right.axhline(2048, color="red", linestyle="--", linewidth=1, label="2 GB target")
    left.legend(fontsize=7, ncol=2, loc="upper left")
    right.legend(fontsize=7, loc="upper left", ncol=2)  # clear of the 100,000 points
    fig.suptitle("ecomstat national rehearsal on PostgreSQL (bench/bench_national.py)")
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    print(f"chart: {png}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="enterprises (repeatable)")
    parser.add_argument("--db", help="an empty PostgreSQL database (default: a temporary one)")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset")
    parser.add_argument("--pages", type=int, default=2, help="synthetic pages per verified site")
    parser.add_argument("--json", type=Path, default=HERE / "national.json")
    parser.add_argument("--png", type=Path, default=HERE / "national.png")
    parser.add_argument("--chart", type=Path, help="only redraw the chart from this results file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_step(args.child, args.db, args.work, args.pages)))
        return
    if args.chart:
        chart(json.loads(args.chart.read_text()), args.png)
        return
    steps = [s for s in args.steps.split(",") if s]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; choose from {','.join(STEPS)}")
    previous = json.loads(args.json.read_text()) if args.json.exists() else []
    machine = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"}
    for n in args.n or [10_000]:
        with tempfile.TemporaryDirectory(prefix="ecomstat-national-") as tmp:
            if args.db:
                results = rehearse(n, args.db, steps, args.pages, Path(tmp))
            else:
                with temporary_database() as db:
                    results = rehearse(n, db, steps, args.pages, Path(tmp))
        previous += [{**machine, **r} for r in results]
        # indent 2 is the committed file's layout: a rerun's diff is the new records only
        args.json.write_text(json.dumps(previous, indent=2) + "\n")
    chart(previous, args.png)


if __name__ == "__main__":
    main()
