"""Crawl speed and memory on the sample web: the full pipeline (`ecomstat crawl sites`: fetch,
extract, store, WARC) against a bare Scrapy spider that only fetches the same pages.

    python bench/bench_crawl.py --sites 200            # speed: pages/s both ways and the ratio
    python bench/bench_crawl.py --sites 900 --no-bare  # peak memory of a ~10,000-page crawl

Politeness delays are off (loopback sample web only: ECOMSTAT_RELAX_MAPPED_DELAYS, no
AutoThrottle); rendering is off so both crawls fetch exactly the same URLs. Pages/s is measured
over the spider's own elapsed time (process start-up excluded), for both crawls alike; CPU per
page is the user+system time of each crawl's whole process tree (start-up included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE_SPIDER = '''
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess

urls, proxies, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]

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
    "HTTPERROR_ALLOW_ALL": True, "REDIRECT_ENABLED": True, "RETRY_TIMES": 1})
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
stats = crawler.stats.get_stats()
json.dump({"responses": stats.get("response_received_count", 0),
           "elapsed": stats.get("elapsed_time_seconds"), "memusage": stats.get("memusage/max")},
          open(out, "w"))
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-pages", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--no-bare", action="store_true")
    parser.add_argument("--render", default="never")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from ecomstat.sampleweb import SampleWebServer, generate, write_host_map
    from spiders.hostmap import load_host_map
    from spiders.runs import get_run
    from store import make_engine, transaction
    from store.models import Page, Website

    work = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    population = generate(n=args.sites, seed=args.seed)
    with SampleWebServer(population) as server:
        hosts = write_host_map(population, server, work / "hosts.txt")
        host_map = load_host_map(str(hosts))
        db_url = f"sqlite:///{work / 'bench.db'}"
        env = dict(os.environ, ECOMSTAT_HOST_MAP=str(hosts), ECOMSTAT_DATA_DIR=str(work / "data"),
                   ECOMSTAT_ALLOW_PRIVATE_HOSTS=".test", ECOMSTAT_RELAX_MAPPED_DELAYS="true",
                   ECOMSTAT_DOWNLOAD_DELAY="0", ECOMSTAT_AUTOTHROTTLE="false",
                   ECOMSTAT_RENDER=args.render, ECOMSTAT_CONCURRENT_REQUESTS=str(args.concurrency),
                   ECOMSTAT_CRAWL_LOG_LEVEL="WARNING", ECOMSTAT_DATABASE_URL=db_url,
                   ECOMSTAT_CONTACT_URL="https://nso.example/bench")
        urls = work / "urls.txt"
        urls.write_text("".join(f"http://{host}/\n" for host in host_map
                                if host.startswith("www.") or host.count(".") == 2))
        started = time.monotonic()
        cpu_before = _children_cpu()
        subprocess.run([sys.executable, "-m", "ecomstat", "crawl", "sites", "--urls", str(urls),
                        "--max-pages", str(args.max_pages), "--format", "json"],
                       env=env, check=True, cwd=work)
        wall = time.monotonic() - started
        full_cpu = _children_cpu() - cpu_before  # crawl process + CLI poller, start-up included
        engine = make_engine(db_url)
        run = get_run(engine, 1)
        stats = run.stats or {}
        with transaction(engine) as session:
            fetched = [url for (url,) in session.execute(
                select(Page.url).where(Page.outcome == "ok"))]
            sites = session.scalar(select(func.count(Website.id)))
        full_pages = stats.get("ecomstat/pages", run.pages)
        full_rate = full_pages / stats["elapsed_time_seconds"]
        result = {
            "sites": sites, "pages_stored": run.pages, "pages_fetched": full_pages,
            "full_elapsed_s": round(stats["elapsed_time_seconds"], 2), "full_wall_s": round(wall, 2),
            "full_pages_per_s": round(full_rate, 1),
            "full_cpu_s": round(full_cpu, 2),
            "full_cpu_ms_per_page": round(1000 * full_cpu / full_pages, 2),
            "rendered": stats.get("ecomstat/render/pages", 0),
            "outcomes": run.outcomes,
        }
        mem = stats.get("memusage/max") or _memusage(work / "data" / "logs" / "run-1.log")
        if mem:
            result["full_peak_rss_mb"] = round(mem / 2**20, 1)
        if not args.no_bare:
            (work / "urls.json").write_text(json.dumps(fetched))
            (work / "proxies.json").write_text(json.dumps(host_map))
            script = work / "bare.py"
            script.write_text(BARE_SPIDER % {"concurrency": args.concurrency})
            cpu_before = _children_cpu()
            subprocess.run([sys.executable, str(script), str(work / "urls.json"),
                            str(work / "proxies.json"), str(work / "bare.json")], check=True)
            bare_cpu = _children_cpu() - cpu_before
            bare = json.loads((work / "bare.json").read_text())
            bare_rate = bare["responses"] / bare["elapsed"]
            result.update(bare_responses=bare["responses"], bare_elapsed_s=round(bare["elapsed"], 2),
                          bare_pages_per_s=round(bare_rate, 1), bare_cpu_s=round(bare_cpu, 2),
                          bare_cpu_ms_per_page=round(1000 * bare_cpu / bare["responses"], 2),
                          ratio=round(full_rate / bare_rate, 2))
    print(json.dumps(result, indent=2))


def _children_cpu() -> float:
    """User + system CPU seconds of the waited-for child processes (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _memusage(log: Path) -> int | None:
    """Scrapy's MemoryUsage extension logs memusage/max in the final stats dump."""
    if not log.exists():
        return None
    for line in log.read_text(errors="replace").splitlines():
        if "'memusage/max'" in line:
            return int(line.split(":")[-1].strip().rstrip(",}"))
    return None


if __name__ == "__main__":
    main()
