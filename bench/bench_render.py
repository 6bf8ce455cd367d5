"""JavaScript rendering on the sample web (issue 13's targets), every baseline measured in the
same run on the same web: ~100 firm sites of which a share (`--js-share`, 10%) are JavaScript-only
shops, ~1,000 pages.

    python bench/bench_render.py                  # all targets, ~3-6 minutes on 2 cores
    python bench/bench_render.py --json out.json  # the figures as JSON too

Measured back to back:
  (a) `ecomstat crawl sites` as it runs by default (`--render auto`, one crawl process per CPU):
      pages/s over the crawl's elapsed time (start-up excluded), rendered pages and render time
      (stats `ecomstat/render/pages`, `ecomstat/render/ms` or `.../seconds`), and whether every
      JS-only shop's content was captured (a product name the generator gave the shop is in the
      stored text of one of its pages); peak PSS of the whole process tree (CLI, crawl
      processes, extraction workers, Playwright drivers, Chromium; /proc/*/smaps_rollup summed
      every 0.2 s);
  (b) the same with `--render never`;
  (c) a bare Scrapy spider that renders nothing, one process, on the URLs (a) stored
      (bench_crawl.py's BARE_SPIDER: same concurrency 32 / 2 per site, same proxy handler);
  (d) a bare Playwright script, the same Chromium (`--chromium`, default the crawl's own), the same parallelism as
      the crawl's renders, images/fonts/media blocked, on the pages (a) rendered: its mean time
      per render against the crawl's time per render while it held a browser page (stats
      `ecomstat/render/ms` - `ecomstat/render/wait_ms`: the wait for a free page and for
      Chromium's start-up is left out, as the bare script's per-page times leave it out), i.e.
      the rendered pages/s both reach at that parallelism; the render's phases per page
      (`ecomstat/render/*_ms`: wait, goto, settle, content, sub-request fetches) are printed;
  (f) (a) and (c) again against the same web served with 200 ms added to every response.
Politeness delays are off on both sides (loopback sample web: ECOMSTAT_RELAX_MAPPED_DELAYS, no
AutoThrottle), as in bench_crawl.py. Each target is printed with its baseline, the ratio and a
one-line verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from bench_crawl import _children_cpu, bare_crawl  # noqa: E402

CONCURRENCY = 32
GB = 10**9

PLAYWRIGHT_SCRIPT = r'''
import asyncio, json, os, sys, time
from playwright.async_api import async_playwright

urls, proxy, parallel, chromium, out = (json.load(open(sys.argv[1])), sys.argv[2],
                                        int(sys.argv[3]), sys.argv[4], sys.argv[5])
BLOCKED = ("image", "font", "media")
# the JS shop renders into <div id="app">: wait until it has children (other pages: at once)
RENDERED = "() => { const app = document.getElementById('app'); return !app || app.children.length > 0; }"

async def main():
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium, proxy={"server": "http://" + proxy},
            args=["--no-sandbox"] if os.geteuid() == 0 else [])
        context = await browser.new_context()

        async def block(route):
            if route.request.resource_type in BLOCKED:
                await route.abort()
            else:
                await route.continue_()

        await context.route("**/*", block)
        pages = [await context.new_page() for _ in range(parallel)]
        todo = list(urls)
        times, texts, failures = [], {}, 0

        async def work(page):
            nonlocal failures
            while todo:
                url = todo.pop()
                started = time.monotonic()
                try:
                    await page.goto(url, wait_until="domcontentloaded", timeout=30000)
                    await page.wait_for_function(RENDERED, timeout=10000)
                    texts[url] = await page.inner_text("body")
                except Exception:
                    failures += 1
                times.append(time.monotonic() - started)

        started = time.monotonic()
        await asyncio.gather(*(work(page) for page in pages))
        elapsed = time.monotonic() - started
        await browser.close()
    json.dump({"pages": len(times), "elapsed": elapsed, "failures": failures,
               "mean_render_s": sum(times) / max(1, len(times)), "texts": texts}, open(out, "w"))

asyncio.run(main())
'''


class TreeSampler(threading.Thread):
    """Peak PSS / RSS and process count of `pid` and all its descendants, every 0.2 s."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_pss = self.peak_rss = self.peak_processes = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            tree = _descendants(self.pid)
            pss = rss = 0
            for pid in tree:
                values = _smaps_rollup(pid)
                pss += values.get("Pss", 0)
                rss += values.get("Rss", 0)
            self.peak_pss = max(self.peak_pss, pss * 1024)
            self.peak_rss = max(self.peak_rss, rss * 1024)
            self.peak_processes = max(self.peak_processes, len(tree))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as file:
                    parents[int(entry.name)] = int(file.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(frontier)
    return tree


def _smaps_rollup(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    values[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        pass
    return values


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=120, help="enterprises (120: 100 live sites)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--js-share", type=float, default=0.1)
    parser.add_argument("--max-pages", type=int, default=15,
                        help="pages per site (15: ~1,000 pages on the default web)")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--render-parallel", type=int, default=0,
                        help="pages the Playwright baseline renders at once (0: the crawl's)")
    parser.add_argument("--chromium", default="auto",
                        help="binary for the crawl and the Playwright baseline (auto: as the "
                             "crawl's default, chromium-headless-shell if installed)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    from ecomstat.sampleweb import SampleWebServer, generate, write_host_map
    from ecomstat.spiders.render.browser import chromium_executable

    args.chromium = chromium_executable(args.chromium)  # one binary for the crawl and baseline

    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    population = generate(n=args.n, seed=args.seed, js_share=args.js_share)
    js_shops = {host: [p.name for p in site.products]
                for host, site in population.sites.items() if site.kind == "spa"}
    live = [t.true_url for t in population.truth if t.has_website]
    site_urls = work / "urls.txt"
    site_urls.write_text("".join(f"{url}\n" for url in live))
    figures: dict[str, Any] = {"sites": len(live), "js_shops": len(js_shops), "chromium": args.chromium,
                               "load_average_start": round(os.getloadavg()[0], 2)}
    with SampleWebServer(population) as server:
        hosts = write_host_map(population, server, work / "hosts.txt")
        auto = full_crawl(args, work / "auto", hosts, site_urls, "auto", js_shops, sample=True)
        figures["auto"] = auto
        figures["never"] = full_crawl(args, work / "never", hosts, site_urls, "never", js_shops)
        (work / "urls.json").write_text(json.dumps(auto.pop("ok_urls")))
        figures["never"].pop("ok_urls")
        (work / "proxies.json").write_text(json.dumps(_host_map(hosts)))
        figures["bare"] = bare_crawl(argparse.Namespace(concurrency=CONCURRENCY), work, 1)
        parallel = args.render_parallel or auto["render_parallel"]
        figures["playwright"] = playwright_baseline(args, work, server.address,
                                                    auto.pop("rendered_urls"), parallel, js_shops)
    with SampleWebServer(population, latency=args.latency) as slow:
        slow_work = work / "latency"
        hosts = write_host_map(population, slow, work / "hosts-latency.txt")
        figures["auto_latency"] = full_crawl(args, slow_work / "auto", hosts, site_urls, "auto",
                                             js_shops)
        figures["auto_latency"].pop("ok_urls")
        figures["auto_latency"].pop("rendered_urls")
        (slow_work / "urls.json").write_text((work / "urls.json").read_text())
        (slow_work / "proxies.json").write_text(json.dumps(_host_map(hosts)))
        figures["bare_latency"] = bare_crawl(argparse.Namespace(concurrency=CONCURRENCY),
                                             slow_work, 1)
    figures["never"].pop("rendered_urls", None)
    report(figures, args)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


def full_crawl(args: argparse.Namespace, work: Path, hosts: Path, site_urls: Path, render: str,
               js_shops: dict[str, list[str]], sample: bool = False) -> dict[str, Any]:
    """One `ecomstat crawl sites` into a fresh store, as it runs by default but for `render`."""
    from sqlalchemy import select

    from ecomstat.spiders.runs import get_run
    from ecomstat.store import make_engine, transaction, upgrade
    from ecomstat.store.models import Page, Website

    work.mkdir(parents=True)
    db_url = f"sqlite:///{work / 'bench.db'}"
    upgrade(make_engine(db_url))
    env = dict(os.environ, ECOMSTAT_HOST_MAP=str(hosts), ECOMSTAT_DATA_DIR=str(work / "data"),
               ECOMSTAT_ALLOW_PRIVATE_HOSTS=".test", ECOMSTAT_RELAX_MAPPED_DELAYS="true",
               ECOMSTAT_DOWNLOAD_DELAY="0", ECOMSTAT_AUTOTHROTTLE="false",
               ECOMSTAT_RENDER=render, ECOMSTAT_CONCURRENT_REQUESTS=str(CONCURRENCY),
               ECOMSTAT_CRAWL_LOG_LEVEL="WARNING", ECOMSTAT_DATABASE_URL=db_url,
               ECOMSTAT_CONTACT_URL="https://nso.example/bench",
               ECOMSTAT_CHROMIUM_PATH=args.chromium,
               # the code of this checkout (also when it is a copy beside the installed one)
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", ""))
                                          if p))
    load = os.getloadavg()[0]
    cpu_before = _children_cpu()
    started = time.monotonic()
    cli = subprocess.Popen([sys.executable, "-m", "ecomstat", "crawl", "sites", "--urls",
                            str(site_urls), "--max-pages", str(args.max_pages), "--format",
                            "json"], env=env, cwd=work, stdout=subprocess.DEVNULL)
    sampler = TreeSampler(cli.pid) if sample else None
    if sampler is not None:
        sampler.start()
    if cli.wait() != 0:
        raise SystemExit(f"crawl ({render}) failed; see {work / 'data' / 'logs'}")
    wall = time.monotonic() - started
    tree_cpu = _children_cpu() - cpu_before  # CLI, crawl processes, drivers, Chromium
    if sampler is not None:
        sampler.stop()
    engine = make_engine(db_url)
    run = get_run(engine, 1)
    stats = run.stats or {}
    with transaction(engine) as session:
        rows = session.execute(select(Website.url, Page.url, Page.outcome, Page.rendered,
                                      Page.text, Page.warc_file)
                               .join(Website, Website.id == Page.website_id)).all()
    engine.dispose()
    pages = stats.get("ecomstat/pages", run.pages)
    elapsed = stats["elapsed_time_seconds"]
    rendered = int(stats.get("ecomstat/render/pages", 0) or 0)
    render_seconds = (stats["ecomstat/render/ms"] / 1000 if "ecomstat/render/ms" in stats
                      else float(stats.get("ecomstat/render/seconds", 0) or 0))
    # Time a render held a browser page: without the wait for a free page and for Chromium's
    # start-up (`wait_ms`), which the bare Playwright script's per-page times do not contain
    # either (its workers take the next URL when they are free, its browser is up before).
    busy_seconds = render_seconds - float(stats.get("ecomstat/render/wait_ms", 0) or 0) / 1000
    phases = {key.rsplit("/", 1)[1]: value for key, value in stats.items()
              if key.startswith("ecomstat/render/") and key.endswith("_ms")
              and key != "ecomstat/render/launch_ms"}
    text_of_site: dict[str, str] = {}
    for site_url, _url, _outcome, _rendered, text, _warc in rows:
        text_of_site[site_url] = text_of_site.get(site_url, "") + "\n" + (text or "")
    captured = sorted(host for host, names in js_shops.items()
                      if any(name in text_of_site.get(f"http://{host}/", "") for name in names))
    processes = len({warc for *_rest, warc in rows if warc})
    # the share of each crawl process (each writes its own WARC file): pages, rendered pages
    per_process: dict[str, list[int]] = {}
    for _site, _url, _outcome, was, _text, warc in rows:
        if warc:
            share = per_process.setdefault(warc, [0, 0])
            share[0] += 1
            share[1] += bool(was)
    result: dict[str, Any] = {
        "render": render, "load_average": round(load, 2), "processes": processes,
        "pages_fetched": pages, "pages_stored": run.pages, "elapsed_s": round(elapsed, 2),
        "wall_s": round(wall, 2), "pages_per_s": round(pages / elapsed, 1),
        "tree_cpu_s": round(tree_cpu, 2),
        "rendered_pages": rendered, "render_seconds_sum": round(render_seconds, 2),
        "render_ms_per_page": round(1000 * render_seconds / rendered, 1) if rendered else None,
        "busy_ms_per_render": round(1000 * busy_seconds / rendered, 1) if rendered else None,
        "render_phase_ms_per_page": {key: round(value / rendered, 1)
                                     for key, value in sorted(phases.items())} if rendered else {},
        "chromium_launches": stats.get("ecomstat/render/launches"),
        "chromium_launch_ms_sum": stats.get("ecomstat/render/launch_ms"),
        "js_shops_captured": len(captured), "outcomes": run.outcomes,
        "pages_and_rendered_per_process": sorted(per_process.values(), reverse=True),
        "render_parallel": processes * _render_concurrency(processes),
        "ok_urls": [url for _site, url, outcome, *_rest in rows if outcome == "ok"],
        "rendered_urls": [url for _site, url, _outcome, was, *_rest in rows if was],
    }
    if sampler is not None:
        result.update(peak_pss_mb=round(sampler.peak_pss / 2**20, 1),
                      peak_rss_mb=round(sampler.peak_rss / 2**20, 1),
                      peak_processes=sampler.peak_processes)
    return result


def _render_concurrency(processes: int) -> int:
    """Pages one of `processes` crawl processes renders at once with the default settings."""
    configured = int(os.environ.get("ECOMSTAT_RENDER_CONCURRENCY") or 0)
    if configured:
        return configured
    if not (ROOT / "spiders" / "render" / "browser.py").exists():
        return 2  # the scrapy-playwright render path: PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
    # the new render path (spiders/render/) sizes its page pool by CPU and memory
    from ecomstat.spiders.render.browser import default_concurrency

    try:
        return int(default_concurrency(processes))
    except TypeError:  # before the pool was sized over the crawl's processes
        return int(default_concurrency())


def playwright_baseline(args: argparse.Namespace, work: Path, proxy: str, urls: list[str],
                        parallel: int, js_shops: dict[str, list[str]]) -> dict[str, Any]:
    script = work / "bare_playwright.py"
    script.write_text(PLAYWRIGHT_SCRIPT)
    (work / "render_urls.json").write_text(json.dumps(urls))
    out = work / "playwright.json"
    load = os.getloadavg()[0]
    cpu_before = _children_cpu()
    subprocess.run([sys.executable, str(script), str(work / "render_urls.json"), proxy,
                    str(parallel), args.chromium, str(out)], check=True)
    tree_cpu = _children_cpu() - cpu_before  # incl. its browser's start-up
    bare = json.loads(out.read_text())
    texts = bare.pop("texts")
    captured = sum(any(name in text for url, text in texts.items() if f"//{host}/" in url
                       for name in names) for host, names in js_shops.items())
    return {"load_average": round(load, 2), "parallel": parallel, "pages": bare["pages"],
            "failures": bare["failures"], "elapsed_s": round(bare["elapsed"], 2),
            "pages_per_s": round(bare["pages"] / bare["elapsed"], 2) if bare["elapsed"] else None,
            "render_ms_per_page": round(1000 * bare["mean_render_s"], 1),
            "tree_cpu_s": round(tree_cpu, 2), "js_shops_captured": captured}


def _host_map(path: Path) -> dict[str, str]:
    from ecomstat.hostmap import load_host_map

    return load_host_map(str(path))


def report(f: dict[str, Any], args: argparse.Namespace) -> None:
    auto, never, bare = f["auto"], f["never"], f["bare"]
    play, slow, slow_bare = f["playwright"], f["auto_latency"], f["bare_latency"]
    print(f"sample web: {f['sites']} sites, {f['js_shops']} JavaScript-only shops "
          f"(js_share {args.js_share}), max {args.max_pages} pages per site; "
          f"{auto['processes']} crawl processes; load {f['load_average_start']} at start")
    print(json.dumps({key: f[key] for key in ("auto", "never", "bare", "playwright",
                                               "auto_latency", "bare_latency")}, indent=1))
    rows = []
    ratio = auto["pages_per_s"] / bare["pages_per_s"]
    captured = auto["js_shops_captured"] == f["js_shops"]
    rows.append((f"render auto {auto['pages_per_s']} pages/s vs bare Scrapy spider "
                 f"{bare['pages_per_s']} pages/s = {ratio:.2f}x (target >= 0.25x); JS shops "
                 f"captured {auto['js_shops_captured']}/{f['js_shops']}", ratio >= 0.25 and captured))
    crawl_ms, bare_ms = auto.get("busy_ms_per_render"), play["render_ms_per_page"]
    if crawl_ms:
        ratio = bare_ms / crawl_ms
        rows.append((f"rendering: crawl {crawl_ms} ms per rendered page, a browser page held "
                     f"({auto['rendered_pages']} pages; {auto['render_ms_per_page']} ms with the "
                     f"wait for a free page and Chromium's start-up; "
                     f"{play['parallel'] * 1000 / crawl_ms:.1f} pages/s at parallelism "
                     f"{play['parallel']}) vs bare Playwright {bare_ms} ms ({play['pages_per_s']} "
                     f"pages/s measured, {play['pages']} pages, {play['failures']} failed) = "
                     f"{ratio:.2f}x (target >= 0.8x)", ratio >= 0.8))
    else:
        rows.append(("rendering: the crawl rendered no page", False))
    if auto["rendered_pages"] and play["pages"]:
        # CPU is the steadier figure on a shared machine: the crawl's extra CPU for rendering
        # (render auto's process tree minus render never's, which fetches 140 pages fewer)
        # per rendered page, against the bare script's (its browser's start-up included)
        extra = (auto["tree_cpu_s"] - never["tree_cpu_s"]) / auto["rendered_pages"]
        print(f"CPU per rendered page: crawl ~{1000 * extra:.0f} ms (render auto tree "
              f"{auto['tree_cpu_s']} s - render never tree {never['tree_cpu_s']} s, over "
              f"{auto['rendered_pages']} renders), bare Playwright "
              f"{1000 * play['tree_cpu_s'] / play['pages']:.0f} ms ({play['tree_cpu_s']} s, "
              f"{play['pages']} pages)")
    ratio = never["pages_per_s"] / bare["pages_per_s"]
    rows.append((f"render never {never['pages_per_s']} pages/s vs bare Scrapy spider "
                 f"{bare['pages_per_s']} pages/s = {ratio:.2f}x (target >= 0.8x)", ratio >= 0.8))
    pss = auto["peak_pss_mb"] * 2**20
    rows.append((f"peak memory of the process tree with render auto: {pss / GB:.2f} GB PSS "
                 f"({auto['peak_rss_mb'] * 2**20 / GB:.2f} GB RSS, {auto['peak_processes']} "
                 f"processes) (target <= 1.2 GB PSS)", pss <= 1.2 * GB))
    ratio = slow["pages_per_s"] / slow_bare["pages_per_s"]
    rows.append((f"+{args.latency * 1000:.0f} ms per response: render auto {slow['pages_per_s']} "
                 f"pages/s vs bare Scrapy spider {slow_bare['pages_per_s']} pages/s = "
                 f"{ratio:.2f}x (target >= 0.6x)", ratio >= 0.6))
    print()
    for number, (text, met) in enumerate(rows, start=1):
        print(f"target {number}: {text}")
        print(f"  verdict: {'MET' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
