"""Crawl throughput model for the real web (issue 15 item 4): pages/s of one crawl worker
against the number of sites in flight, with production politeness, on a sample web whose every
response waits 200-800 ms as a distant server does.

    python bench/bench_throughput.py                       # 32..512 requests at once, 1 process
    python bench/bench_throughput.py --in-flight 64 256 --processes 2 --sites 1200

Each point is one `ecomstat crawl sites` run into a fresh SQLite store with the production
netiquette: ECOMSTAT_DOWNLOAD_DELAY=1 s per site (Scrapy randomises it to 0.5-1.5 s),
AutoThrottle on, 2 requests at once per site, robots.txt obeyed, no relaxed delays for the
sample web's hosts; only ECOMSTAT_CONCURRENT_REQUESTS (the requests one worker has at once, over
its crawl processes) changes. Figures per point, all from the stored pages' fetch times:

- `pages_per_s`: pages fetched in the steady window (the 10th to the 90th percentile of fetch
  times: the ramp-up and the tail of the last slow sites are left out) over its length;
- `sites_in_flight`: sites with a fetch before and after each second of that window, averaged;
- `per_site_gap_s`: median time between two fetches of one site, and the share of gaps under
  0.5 s (none expected: Scrapy's randomised delay is at least half the set delay);
- `cpu_ms_per_page`: user+system CPU of the whole process tree over all pages, start-up included;
- `largest_rss_mb`: the largest process of the tree.

The model printed at the end: each worker's measured pages/s at the best point, and the workers
(of this machine's size) needed for N enterprises x P pages in H hours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=800, help="sites in the sample web")
    parser.add_argument("--in-flight", type=int, nargs="+", default=[32, 64, 128, 256, 512],
                        help="ECOMSTAT_CONCURRENT_REQUESTS values to measure")
    parser.add_argument("--processes", type=int, default=1, help="crawl processes per worker")
    parser.add_argument("--max-pages", type=int, default=12)
    parser.add_argument("--latency", type=float, default=0.2, help="s, the shortest response")
    parser.add_argument("--spread", type=float, default=0.6, help="s added at most (uniform)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=25, help="pages per enterprise (model)")
    parser.add_argument("--hours", type=float, default=12.0)
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    from ecomstat.hostmap import load_host_map
    from ecomstat.sampleweb import SampleWebServer, generate, write_host_map

    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    population = generate(n=args.sites, seed=args.seed)
    points = []
    with SampleWebServer(population, latency=args.latency, latency_spread=args.spread,
                         latency_seed=args.seed) as server:
        hosts = write_host_map(population, server, work / "hosts.txt")
        site_urls = work / "urls.txt"
        site_urls.write_text("".join(f"http://{host}/\n" for host in load_host_map(str(hosts))
                                     if host.startswith("www.") or host.count(".") == 2))
        for concurrency in args.in_flight:
            point = crawl_point(args, work / f"c{concurrency}", hosts, site_urls, concurrency)
            print(json.dumps(point), flush=True)
            points.append(point)
    result = {"date": dt.date.today().isoformat(), "cpus": os.cpu_count(),
              "latency_s": [args.latency, args.latency + args.spread],
              "processes": args.processes, "points": points, "model": model(args, points)}
    print(json.dumps(result["model"], indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


def crawl_point(args: argparse.Namespace, work: Path, hosts: Path, site_urls: Path,
                concurrency: int) -> dict[str, Any]:
    work.mkdir(parents=True)
    db_url = f"sqlite:///{work / 'bench.db'}"
    env = dict(os.environ, ECOMSTAT_HOST_MAP=str(hosts), ECOMSTAT_DATA_DIR=str(work / "data"),
               ECOMSTAT_ALLOW_PRIVATE_HOSTS=".test", ECOMSTAT_RELAX_MAPPED_DELAYS="false",
               ECOMSTAT_DOWNLOAD_DELAY="1", ECOMSTAT_AUTOTHROTTLE="true",
               ECOMSTAT_CONCURRENT_PER_DOMAIN="2", ECOMSTAT_RENDER="never",
               ECOMSTAT_CONCURRENT_REQUESTS=str(concurrency),
               ECOMSTAT_CRAWL_LOG_LEVEL="WARNING", ECOMSTAT_DATABASE_URL=db_url,
               ECOMSTAT_CONTACT_URL="https://nso.example/bench")
    subprocess.run([sys.executable, "-m", "ecomstat", "db", "upgrade"], env=env, check=True,
                   cwd=work, stdout=subprocess.DEVNULL)
    load = os.getloadavg()[0]
    cpu_before = _children_cpu()
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "ecomstat", "crawl", "sites", "--urls", str(site_urls),
                    "--max-pages", str(args.max_pages), "--processes", str(args.processes),
                    "--format", "json"], env=env, check=True, cwd=work,
                   stdout=subprocess.DEVNULL)
    wall = time.monotonic() - started
    tree_cpu = _children_cpu() - cpu_before
    fetches = _fetch_times(db_url)
    pages = sum(len(times) for times in fetches.values())
    return {"concurrent_requests": concurrency, "load_average": round(load, 2),
            "sites": len(fetches), "pages": pages, "wall_s": round(wall, 1),
            **steady_state(fetches), **politeness(fetches),
            "cpu_ms_per_page": round(1000 * tree_cpu / pages, 2) if pages else None,
            "largest_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


def _fetch_times(db_url: str) -> dict[int, list[float]]:
    """Each site's fetch times (s since the epoch), sorted; robots.txt fetches are not pages."""
    from sqlalchemy import select

    from ecomstat.store import make_engine, transaction
    from ecomstat.store.models import Page

    engine = make_engine(db_url)
    times: dict[int, list[float]] = defaultdict(list)
    with transaction(engine) as session:
        for website_id, fetched_at in session.execute(select(Page.website_id, Page.fetched_at)):
            if fetched_at.tzinfo is None:
                fetched_at = fetched_at.replace(tzinfo=dt.timezone.utc)
            times[website_id].append(fetched_at.timestamp())
    engine.dispose()
    return {site: sorted(values) for site, values in times.items()}


def steady_state(fetches: dict[int, list[float]]) -> dict[str, Any]:
    """Pages/s and sites in flight between the 10th and the 90th percentile of fetch times."""
    every = sorted(t for times in fetches.values() for t in times)
    if len(every) < 20:
        return {"pages_per_s": None, "sites_in_flight": None}
    low, high = every[len(every) // 10], every[(len(every) * 9) // 10]
    span = max(high - low, 1e-9)
    in_window = sum(1 for t in every if low <= t <= high)
    spans = [(times[0], times[-1]) for times in fetches.values()]
    seconds = range(int(low), int(high) + 1)
    in_flight = [sum(1 for first, last in spans if first <= s <= last) for s in seconds]
    return {"pages_per_s": round(in_window / span, 1),
            "sites_in_flight": round(statistics.fmean(in_flight), 1),
            "steady_window_s": round(span, 1)}


def politeness(fetches: dict[int, list[float]]) -> dict[str, Any]:
    gaps = [b - a for times in fetches.values() for a, b in zip(times, times[1:])]
    if not gaps:
        return {"per_site_gap_s": None, "gaps_under_half_s": None}
    return {"per_site_gap_s": round(statistics.median(gaps), 2),
            "gaps_under_half_s": round(sum(1 for g in gaps if g < 0.5) / len(gaps), 4)}


def model(args: argparse.Namespace, points: list[dict[str, Any]]) -> dict[str, Any]:
    """Workers of this machine's size needed for the whole register in the time given."""
    measured = [p for p in points if p.get("pages_per_s")]
    if not measured:
        return {}
    best = max(measured, key=lambda p: p["pages_per_s"])
    total_pages = args.enterprises * args.pages
    needed_rate = total_pages / (args.hours * 3600)
    return {"best_concurrent_requests": best["concurrent_requests"],
            "best_sites_in_flight": best["sites_in_flight"],
            "pages_per_s_per_worker": best["pages_per_s"],
            "pages": total_pages, "hours": args.hours,
            "pages_per_s_needed": round(needed_rate, 1),
            "workers_needed": -(-needed_rate // best["pages_per_s"])}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
