"""Benchmark: all e-commerce adoption indicators, 1,000 bootstrap replicates, 1,000,000 enterprises
on SQLite (targets: < 60 s, < 2 GB peak memory).

    python bench/bench_indicators.py [--n 1000000] [--replicates 1000] [--db /tmp/bench-indicators.db]

The synthetic store (enterprises, linked/dead websites, crawled pages, site labels from a
classifier with known error rates, a 2,000-unit audit sample) is generated once in a
subprocess and cached; the timed part runs `indicators build` (library call) for the naive and
the corrected method in fresh subprocesses, so each peak RSS belongs to one build alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def generate(db: Path, n: int) -> None:
    from ecomstat.indicators.adoption_synthetic import synthetic_store
    from ecomstat.indicators.audit import import_audit
    from ecomstat.store import make_engine, upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    started = time.perf_counter()
    truth = synthetic_store(engine, n, random_state=2026)
    picked = np.random.default_rng(1).choice(np.flatnonzero(truth.in_scope), 2000, replace=False)
    audit = db.with_suffix(".audit.csv")
    with audit.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["enterprise_id", "web_sales"])
        for i in picked:
            writer.writerow([truth.enterprise_id[i], "yes" if truth.truth["web_sales"][i] else "no"])
    import_audit(engine, audit, "bench")
    scope = truth.in_scope
    db.with_suffix(".truth.json").write_text(json.dumps({
        "web_sales_true_pct": 100 * float(truth.truth["web_sales"][scope].mean()),
        "web_sales_classified_pct": 100 * float(truth.predicted["web_sales"][scope].mean()),
        "generate_seconds": time.perf_counter() - started,
    }))


def write_totals(db: Path) -> Path:
    """Register totals per size class x NACE section for `--method calibrated`: the in-scope
    counts with the 10-49 class doubled (as if the crawl had covered half of the small firms)."""
    import sqlite3

    path = db.with_suffix(".totals.csv")
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT size_class, nace_section, COUNT(*) FROM enterprise WHERE employees >= 10 "
            "AND (nace_section IN ('C','D','E','F','G','H','I','J','L','M','N') OR nace LIKE '95.1%') "
            "GROUP BY size_class, nace_section"
        ).fetchall()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["size_class", "nace_section", "enterprises"])
        for size, section, count in rows:
            writer.writerow([size, section, count * (2 if size == "10-49" else 1)])
    return path


def measure(db: Path, method: str, replicates: int) -> None:
    from ecomstat.indicators.adoption import BuildOptions, build_adoption
    from ecomstat.store import make_engine

    engine = make_engine(f"sqlite:///{db}")
    started, cpu_started = time.perf_counter(), time.process_time()
    totals = db.with_suffix(".totals.csv") if method == "calibrated" else None
    result = build_adoption(engine, BuildOptions(method=method, period="bench", replicates=replicates,
                                                 random_state=0, totals=totals))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    total = {r.indicator: r for r in result.records if not r.breakdown}["ECOM_WEB_SALES"]
    print(json.dumps({
        "method": method, "seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1),
        "load_avg_1min": round(__import__("os").getloadavg()[0], 1), "units": result.units,
        "values": len(result.records),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "web_sales_pct": round(total.estimate, 2),
        "web_sales_ci": [round(total.ci_low, 2), round(total.ci_high, 2)],
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--phase", choices=["all", "generate", "measure"], default="all")
    parser.add_argument("--method", default="corrected")
    args = parser.parse_args()
    db = args.db or Path(f"/tmp/ecomstat-bench-indicators-{args.n}.db")
    if args.phase == "generate":
        generate(db, args.n)
        return
    if args.phase == "measure":
        measure(db, args.method, args.replicates)
        return
    me = [sys.executable, __file__, "--n", str(args.n), "--db", str(db)]
    if not db.exists():
        print(f"generating {args.n:,} enterprises into {db} (once) ...", flush=True)
        subprocess.run(me + ["--phase", "generate"], check=True)
    truth = json.loads(db.with_suffix(".truth.json").read_text())
    print(f"store: {db} ({db.stat().st_size / 2**20:.0f} MB), generated in {truth['generate_seconds']:.0f} s; "
          f"true web-sales share {truth['web_sales_true_pct']:.2f}%, classified {truth['web_sales_classified_pct']:.2f}%")
    write_totals(db)
    for method in ("naive", "corrected", "calibrated"):
        out = subprocess.run(me + ["--phase", "measure", "--method", method, "--replicates", str(args.replicates)],
                             check=True, capture_output=True, text=True).stdout
        print(out.strip(), flush=True)


if __name__ == "__main__":
    main()
