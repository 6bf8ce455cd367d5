"""Sample web: generation time and server throughput (pages/s), cold and cached.

    python bench/bench_sampleweb.py [--n 10000] [--pages 4000] [--threads 8]

The client runs in a separate process (as the crawler would), sends absolute-form proxy
requests over keep-alive connections, and fetches each URL once cold (rendered on the fly) and
once again warm (served from the rendered-bytes cache).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import re
import tempfile
import threading
import time
from urllib.parse import urljoin, urlsplit

from ecomstat.sampleweb import SampleWebServer, generate, write_population
from ecomstat.sampleweb.server import SampleWeb


def crawl_targets(population, limit: int) -> list[str]:
    """Absolute URLs of real pages: each site's home and the pages it links to."""
    web = SampleWeb(population)
    urls: list[str] = []
    for host, site in sorted(population.sites.items()):
        if site.kind == "parked" or site.oversized:
            continue
        home = web.respond(host, "/")
        urls.append(f"http://{host}/")
        for href in re.findall(r'href="(/(?!/)[^"]*)"', home.body.decode())[:12]:
            url = urljoin(f"http://{host}/", href.replace("&amp;", "&"))
            if "month=" not in url and "/private/" not in url and "sid=" not in url:
                urls.append(url)
        if len(urls) >= limit:
            break
    return list(dict.fromkeys(urls))[:limit]


def _client(address: tuple[str, int], urls: list[str], threads: int, out: mp.Queue) -> None:
    def worker(chunk: list[str], counts: list[int]) -> None:
        conn = http.client.HTTPConnection(*address, timeout=30)
        for url in chunk:
            conn.request("GET", url)
            response = conn.getresponse()
            response.read()
            counts[0] += 1
            counts[1] += response.status == 200
        conn.close()

    results = []
    for _ in ("cold", "warm"):
        counts = [[0, 0] for _ in range(threads)]
        pool = [threading.Thread(target=worker, args=(urls[i::threads], counts[i])) for i in range(threads)]
        started = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - started
        results.append((sum(c[0] for c in counts), sum(c[1] for c in counts), elapsed))
    out.put(results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=4_000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    started = time.perf_counter()
    population = generate(args.n, seed=0)
    print(f"generate n={args.n}: {time.perf_counter() - started:.1f} s, "
          f"{len(population.sites)} sites, {len(population.live_hostnames())} live hostnames")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_population(population, folder)
        print(f"write_population: {time.perf_counter() - started:.2f} s")
    urls = crawl_targets(population, args.pages)
    host = urlsplit(urls[0]).hostname
    with SampleWebServer(population) as server:
        queue: mp.Queue = mp.Queue()
        client = mp.Process(target=_client, args=(("127.0.0.1", server.port), urls, args.threads, queue))
        client.start()
        results = queue.get()
        client.join()
    for label, (done, ok, elapsed) in zip(("cold", "warm"), results):
        print(f"{label}: {done} pages ({ok} x 200) in {elapsed:.1f} s = {done / elapsed:.0f} pages/s "
              f"({args.threads} keep-alive connections, proxy form, e.g. {host})")


if __name__ == "__main__":
    main()
