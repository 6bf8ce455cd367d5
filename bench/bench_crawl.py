"""Crawl speed and memory on the sample web: the full pipeline (`ecomstat crawl sites`: fetch,
extract, store, WARC) against a bare Scrapy spider that only fetches the same pages.

    python bench/bench_crawl.py --sites 200 --repeat 3   # pages/s both ways, the ratio, 3 pairs
    python bench/bench_crawl.py --sites 650 --repeat 0   # peak memory of a ~10,000-page crawl

The full crawl runs as `ecomstat crawl sites` does by default: one crawl process per CPU, each
crawling its share of the sites, 32 concurrent requests in total (`--processes 1` for a single
Scrapy process). The bare spider is one plain Scrapy process, as a fetch-only spider is.

Order: one full crawl first (it finds the page URLs, and warms the sample web's page cache so
neither side is measured against pages rendered on the fly), then `--repeat` pairs of (bare,
full), each full crawl into a fresh database and data directory. Both sides: the same URLs
(the bare spider fetches every page URL the full crawl stored), 32 concurrent requests, 2 per
site, the same reactor and the same pooled HTTP handler for the host map's proxy address,
politeness delays off (loopback sample web only: ECOMSTAT_RELAX_MAPPED_DELAYS, no AutoThrottle),
rendering off. Pages/s is over each spider's own elapsed time (process start-up excluded; with
several crawl processes, the last one's); `cpu_ms_per_page` is the crawl's CPU time over the
same span, summed over its processes (start-up excluded; threads included), `reactor_`/`writer_cpu_ms_per_page` its reactor and writer threads' shares;
`tree_cpu_ms_per_page` is the user+system time of the whole process tree (`ecomstat crawl
sites` CLI + crawl processes, start-up included). Peak memory: the crawl process's peak RSS (getrusage
ru_maxrss; Scrapy's memusage/max samples once a minute only), and the largest process so far.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE_SPIDER = '''
import json, logging, resource, sys, scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

urls, proxies, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for url in urls:
            host = url.split("/")[2]
            yield scrapy.Request(url, meta={"proxy": "http://" + proxies[host]}, dont_filter=True)
    def parse(self, response):
        pass

process = CrawlerProcess({"LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": %(concurrency)d,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False,
    "CONCURRENT_ITEMS": 8, "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False,
    "HTTPERROR_ALLOW_ALL": True, "REDIRECT_ENABLED": True, "RETRY_TIMES": 1,
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    # the same connection pool as the full crawl: every host goes through one proxy address
    "DOWNLOAD_HANDLERS": {"http": "ecomstat.spiders.handlers.PooledHTTP11DownloadHandler"}})
crawler = process.create_crawler(Bare)
marks = {}
def opened(spider):
    marks["opened"] = cpu()
def closed(spider, reason):
    marks["closed"] = cpu()
crawler.signals.connect(opened, signal=signals.spider_opened)  # weak references: named functions
crawler.signals.connect(closed, signal=signals.spider_closed)
process.crawl(crawler)
from ecomstat.spiders.run import skip_disabled_log_records
skip_disabled_log_records("WARNING")  # as spiders.run does: DEBUG records are not even built
process.start()
stats = crawler.stats.get_stats()
json.dump({"responses": stats.get("response_received_count", 0),
           "elapsed": stats.get("elapsed_time_seconds"),
           "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
           "cpu": marks["closed"] - marks["opened"]}, open(out, "w"))
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-pages", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1,
                        help="(bare, full) pairs after the first full crawl; 0 = that one only")
    parser.add_argument("--render", default="never")
    parser.add_argument("--processes", type=int, default=None,
                        help="crawl processes of the full crawl (default: the CLI's auto, one per "
                             "CPU); the bare spider is one Scrapy process")
    args = parser.parse_args()

    from ecomstat.sampleweb import SampleWebServer, generate, write_host_map
    from ecomstat.hostmap import load_host_map

    work = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    population = generate(n=args.sites, seed=args.seed)
    with SampleWebServer(population) as server:
        hosts = write_host_map(population, server, work / "hosts.txt")
        host_map = load_host_map(str(hosts))
        site_urls = work / "urls.txt"
        site_urls.write_text("".join(f"http://{host}/\n" for host in host_map
                                     if host.startswith("www.") or host.count(".") == 2))
        first, fetched = full_crawl(args, work / "full-0", hosts, site_urls)
        (work / "urls.json").write_text(json.dumps(fetched))
        (work / "proxies.json").write_text(json.dumps(host_map))
        full_runs, bare_runs = [], []
        for index in range(1, args.repeat + 1):
            bare_runs.append(bare_crawl(args, work, index))
            full_runs.append(full_crawl(args, work / f"full-{index}", hosts, site_urls)[0])
    print(json.dumps(summary(first, full_runs, bare_runs), indent=2))


def full_crawl(args: argparse.Namespace, work: Path, hosts: Path,
               site_urls: Path) -> tuple[dict[str, Any], list[str]]:
    """One `ecomstat crawl sites` run into a fresh store; its figures and the stored page URLs."""
    from sqlalchemy import func, select

    from ecomstat.spiders.runs import get_run
    from ecomstat.store import make_engine, transaction, upgrade
    from ecomstat.store.models import Page, Website

    work.mkdir(parents=True)
    db_url = f"sqlite:///{work / 'bench.db'}"
    env = dict(os.environ, ECOMSTAT_HOST_MAP=str(hosts), ECOMSTAT_DATA_DIR=str(work / "data"),
               ECOMSTAT_ALLOW_PRIVATE_HOSTS=".test", ECOMSTAT_RELAX_MAPPED_DELAYS="true",
               ECOMSTAT_DOWNLOAD_DELAY="0", ECOMSTAT_AUTOTHROTTLE="false",
               ECOMSTAT_RENDER=args.render, ECOMSTAT_CONCURRENT_REQUESTS=str(args.concurrency),
               ECOMSTAT_CRAWL_LOG_LEVEL="WARNING", ECOMSTAT_DATABASE_URL=db_url,
               ECOMSTAT_CONTACT_URL="https://nso.example/bench")
    upgrade(make_engine(db_url))  # only `db upgrade` makes a store; `crawl sites` refuses none
    load = os.getloadavg()[0]
    cpu_before = _children_cpu()
    started = time.monotonic()
    processes = [] if args.processes is None else ["--processes", str(args.processes)]
    subprocess.run([sys.executable, "-m", "ecomstat", "crawl", "sites", "--urls", str(site_urls),
                    "--max-pages", str(args.max_pages), "--format", "json", *processes],
                   env=env, check=True, cwd=work, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - started
    tree_cpu = _children_cpu() - cpu_before
    engine = make_engine(db_url)
    run = get_run(engine, 1)
    stats = run.stats or {}
    with transaction(engine) as session:
        fetched = [url for (url,) in session.execute(
            select(Page.url).where(Page.outcome == "ok"))]
        sites = session.scalar(select(func.count(Website.id)))
    engine.dispose()
    pages = stats.get("ecomstat/pages", run.pages)
    elapsed = stats["elapsed_time_seconds"]
    result = {
        "load_average": round(load, 2), "processes": _crawl_processes(run), "sites": sites,
        "pages_fetched": pages,
        "pages_stored": run.pages, "elapsed_s": round(elapsed, 2), "wall_s": round(wall, 2),
        "pages_per_s": round(pages / elapsed, 1),
        "cpu_ms_per_page": _per_page(stats.get("ecomstat/cpu_seconds"), pages),
        "tree_cpu_ms_per_page": _per_page(tree_cpu, pages),
        "reactor_cpu_ms_per_page": _per_page(stats.get("ecomstat/cpu_seconds/reactor"), pages),
        "writer_cpu_ms_per_page": _per_page(stats.get("ecomstat/cpu_seconds/writer"), pages),
        "rendered": stats.get("ecomstat/render/pages", 0), "outcomes": run.outcomes,
    }
    if stats.get("peak_rss_bytes"):
        result["peak_rss_mb"] = round(stats["peak_rss_bytes"] / 2**20, 1)
    # the largest process of all crawls so far (CLI, crawl processes)
    result["largest_process_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return result, fetched


def bare_crawl(args: argparse.Namespace, work: Path, index: int) -> dict[str, Any]:
    script = work / "bare.py"
    script.write_text(BARE_SPIDER % {"concurrency": args.concurrency})
    out = work / f"bare-{index}.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    load = os.getloadavg()[0]
    cpu_before = _children_cpu()
    subprocess.run([sys.executable, str(script), str(work / "urls.json"),
                    str(work / "proxies.json"), str(out)], check=True, env=env)
    tree_cpu = _children_cpu() - cpu_before
    bare = json.loads(out.read_text())
    pages = bare["responses"]
    result = {
        "load_average": round(load, 2), "responses": pages, "elapsed_s": round(bare["elapsed"], 2),
        "pages_per_s": round(pages / bare["elapsed"], 1),
        "cpu_ms_per_page": _per_page(bare["cpu"], pages),
        "tree_cpu_ms_per_page": _per_page(tree_cpu, pages),
    }
    result["peak_rss_mb"] = round(bare["peak_rss"] / 2**20, 1)
    return result


def summary(first: dict[str, Any], full_runs: list[dict[str, Any]],
            bare_runs: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {"first_full": first}
    if not full_runs:
        return result
    result["full"] = full_runs
    result["bare"] = bare_runs
    pairs = [full["pages_per_s"] / bare["pages_per_s"] for full, bare in zip(full_runs, bare_runs)]
    result["ratio_per_pair"] = [round(ratio, 2) for ratio in pairs]
    full_rate = statistics.median(run["pages_per_s"] for run in full_runs)
    bare_rate = statistics.median(run["pages_per_s"] for run in bare_runs)
    result["median"] = {
        "full_pages_per_s": full_rate, "bare_pages_per_s": bare_rate,
        "ratio": round(full_rate / bare_rate, 2),
    }
    for key in ("cpu_ms_per_page", "tree_cpu_ms_per_page"):
        full_cpu = _median(run.get(key) for run in full_runs)
        bare_cpu = _median(run.get(key) for run in bare_runs)
        result["median"].update({f"full_{key}": full_cpu, f"bare_{key}": bare_cpu})
    return result


def _median(values: Any) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def _crawl_processes(run: Any) -> int:
    """How many crawl processes wrote the run (each writes its own WARC file)."""
    warc_dir = Path(run.warc_dir or "")
    return len(list(warc_dir.glob(f"run-{run.id}-*.warc.gz"))) if run.warc_dir else 0


def _per_page(cpu_seconds: float | None, pages: int) -> float | None:
    if cpu_seconds is None or not pages:
        return None
    return round(1000 * cpu_seconds / pages, 2)


def _children_cpu() -> float:
    """User + system CPU seconds of the waited-for child processes (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
