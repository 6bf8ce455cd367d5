"""Benchmark SDG 9.c.1 coverage: time and peak memory of the real `ecomstat indicators coverage`
command, each run in its own process (so peak RSS is that run's alone, CSV parsing included).

1. Synthetic, seeded: 1,000,000 populated 100 m grid cells (a 100 km x 100 km square at 48 N)
   against 50,000 cell sites with OpenCelliD-like ranges (log-normal, median 800 m, 100 m-30 km)
   and a mix of GSM/UMTS/LTE/NR. Target: < 60 s and < 2 GB.
2. The real Munich inputs (../shared/data/mobile/munich), centroid and area methods.

    python bench/bench_coverage.py [--grid 1000000] [--sites 50000] [--seed 0] [--append]

`--append` adds the figures to bench/README.md.
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
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MUNICH = HERE.parent.parent / "shared" / "data" / "mobile" / "munich"


def child(argv: list[str]) -> None:
    """Run the CLI in this process, then report its peak RSS on stderr's last line."""
    from ecomstat.cli import app

    start, cpu = time.perf_counter(), time.process_time()
    try:
        app(argv, standalone_mode=False)
    finally:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sys.stderr.write(
            json.dumps(
                {
                    "peak_mib": peak_kib / 1024,
                    "command_s": time.perf_counter() - start,
                    "command_cpu_s": time.process_time() - cpu,
                }
            )
            + "\n"
        )


def run(argv: list[str]) -> tuple[str, float, list[dict]]:
    """Timings, peak MiB and the JSON rows of one `ecomstat` run in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", *argv], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"run failed ({done.returncode}): {done.stderr.strip()}")
    report = json.loads(done.stderr.strip().splitlines()[-1])
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    timing = (
        f"{seconds:.1f} s wall incl. start-up, command {report['command_s']:.1f} s "
        f"({report['command_cpu_s']:.1f} s CPU)"
    )
    return timing, report["peak_mib"], rows


def synthetic(folder: Path, grid_cells: int, sites: int, seed: int) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(grid_cells)))
    step_lat = 100 / 111_195.0
    step_lon = step_lat / np.cos(np.radians(48.0))
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    lon = 11.0 + (col.ravel() + 0.5) * step_lon
    lat = 48.0 + (row.ravel() + 0.5) * step_lat
    population = rng.integers(1, 200, lon.shape[0])  # every cell populated
    grid = folder / "grid.csv"
    pa_csv.write_csv(pa.table({"lon": lon, "lat": lat, "population": population}), grid)
    # 95% of the sites around 20 "towns" (sd 3 km), 5% spread evenly: covered and uncovered land
    towns = rng.integers(0, 20, sites)
    town_lon = rng.uniform(lon.min(), lon.max(), 20)[towns]
    town_lat = rng.uniform(lat.min(), lat.max(), 20)[towns]
    clustered = rng.random(sites) < 0.95
    site_lon = np.where(
        clustered,
        town_lon + rng.normal(0, 3 * step_lon * 10, sites),
        rng.uniform(lon.min(), lon.max(), sites),
    )
    site_lat = np.where(
        clustered,
        town_lat + rng.normal(0, 3 * step_lat * 10, sites),
        rng.uniform(lat.min(), lat.max(), sites),
    )
    ranges = np.clip(rng.lognormal(np.log(800), 0.6, sites), 100, 30_000).round()
    radio = rng.choice(["GSM", "UMTS", "LTE", "NR"], sites, p=[0.3, 0.25, 0.35, 0.1])
    cells = folder / "cells.csv"
    pa_csv.write_csv(
        pa.table({"radio": radio, "lon": site_lon, "lat": site_lat, "range": ranges}), cells
    )
    return cells, grid


def total(rows: list[dict]) -> str:
    return ", ".join(f"{r['level']} {r['covered_pct']}%" for r in rows if r["area"] == "total")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--append", action="store_true", help="append results to bench/README.md")
    args = parser.parse_args()
    lines = [
        f"### bench_coverage.py ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()})",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        cells, grid = synthetic(Path(tmp), args.grid, args.sites, args.seed)
        seconds, peak, rows = run(
            [
                "indicators",
                "coverage",
                "--cells",
                str(cells),
                "--population",
                str(grid),
                "--format",
                "json",
            ]
        )
        lines.append(
            f"- synthetic {args.grid:,} populated grid cells x {args.sites:,} sites "
            f"(seed {args.seed}), centroid: {seconds}, peak {peak:.0f} MiB "
            f"(targets 60 s, 2048 MiB); {total(rows)}"
        )
    if MUNICH.exists():
        for method in ("centroid", "area"):
            seconds, peak, rows = run(
                [
                    "indicators",
                    "coverage",
                    "--cells",
                    str(MUNICH / "opencellid_munich_mcc262_mnc1.csv"),
                    "--population",
                    str(MUNICH / "zensus2011_munich_100m_grid.csv"),
                    "--population-column",
                    "einwohner_zensus2011",
                    "--technology",
                    "4G",
                    "--method",
                    method,
                    "--format",
                    "json",
                ]
            )
            lines.append(
                f"- Munich (2,231 cells, 160,000 grid rows, 33,234 populated), {method}: "
                f"{seconds}, peak {peak:.0f} MiB; {total(rows)}"
            )
    lines.append("")
    print("\n".join(lines))
    if args.append:
        with open(HERE / "README.md", "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
