"""Drift between waves (issue 17 item 3) at national scale: a simulated store of N sites with P
pages each, two waves (the second's scores shifted), the cost of taking each wave's profile
(`record_profile`: reads the wave's sites, pages with their evidence, products and links) and of
comparing the two (`compute_drift`), with the peak memory of a process that does only that.

    python bench/bench_drift.py --sites 100000 --pages 5
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, delete, insert, select, text

from ecomstat.store import make_engine, transaction, upgrade
from ecomstat.store.models import (Classification, CrawlRun, Enterprise, EnterpriseWave, Model,
                                   Page, SiteVisit, Website)

LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl", "pl", "id")
PLATFORMS = ("none", "none", "none", "Shopify", "WooCommerce", "Magento", "PrestaShop", "Wix")
CHUNK = 20_000


def _chunks(rows: list[dict], size: int = CHUNK):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def build_register(engine: Engine, sites: int) -> None:
    with transaction(engine) as session:
        for chunk in _chunks([{"id": f"E{i:07d}", "name": f"Firm {i}", "country": "DE",
                               "nace": "47.91"} for i in range(sites)]):
            session.execute(insert(Enterprise), chunk)
        for chunk in _chunks([{"id": i + 1, "url": f"http://firm{i}.test/", "domain": f"firm{i}.test",
                               "enterprise_id": f"E{i:07d}", "status": "linked",
                               "match_score": 0.6 + 0.4 * ((i * 7919) % 100) / 100}
                              for i in range(sites)]):
            session.execute(insert(Website), chunk)
        session.execute(insert(Model), [{"name": "ecommerce", "version": "bench", "kind": "ecommerce"}])


def build_wave(engine: Engine, wave: str, sites: int, pages: int, shift: float, seed: int) -> None:
    """One wave: a crawl run visiting every site, P pages each (written as new rows: the
    store's row count is what a national store holds per wave), their labels and the record."""
    rng = np.random.default_rng(seed)
    scores = rng.beta(2 + shift, 5, size=sites)
    page_scores = rng.beta(1.5 + shift, 6, size=(sites, pages))
    with transaction(engine) as session:
        model_id = session.scalar(select(Model.id))
        run_id = session.scalar(insert(CrawlRun).values(spider="enterprise_site", wave=wave,
                                                        status="finished").returning(CrawlRun.id))
        for chunk in _chunks([{"run_id": run_id, "website_id": i + 1, "state": "done",
                               "outcome": "ok", "pages": pages} for i in range(sites)]):
            session.execute(insert(SiteVisit), chunk)
        session.execute(delete(Classification))
        first = (session.scalar(select(Page.id).order_by(Page.id.desc()).limit(1)) or 0) + 1
        page_rows, labels = [], []
        for i in range(sites):
            for j in range(pages):
                page_rows.append({"id": first + i * pages + j, "website_id": i + 1,
                                  "url": f"http://firm{i}.test/{wave}/{j}", "run_id": run_id,
                                  "outcome": "ok", "language": LANGUAGES[i % len(LANGUAGES)],
                                  "depth": min(j, 1), "rendered": False})
                shop = page_scores[i, j] > 0.5
                evidence = ([{"signal": "cart_link", "value": 1.0, "evidence": "link 'cart'"},
                             {"signal": "prices", "value": 0.6, "evidence": "9.99 EUR"},
                             {"signal": "payment", "value": 0.5, "evidence": "payment: PayPal"},
                             {"signal": "text", "value": 0.4, "evidence": "words: cart"}]
                            if shop else [{"signal": "text", "value": -0.4, "evidence": "words: about"}])
                labels.append({"target_type": "page", "target_id": str(first + i * pages + j),
                               "task": "web_sales", "label": "yes" if shop else "no",
                               "probability": float(page_scores[i, j]), "evidence": evidence,
                               "model_id": model_id, "model_version": "bench",
                               "needs_review": False})
            for task, label, probability in (
                    ("web_sales", "yes" if scores[i] > 0.5 else "no", float(scores[i])),
                    ("languages", LANGUAGES[i % len(LANGUAGES)], None),
                    ("platform", PLATFORMS[(i * 31) % len(PLATFORMS)], None),
                    ("online_booking", "no", None)):
                labels.append({"target_type": "website", "target_id": str(i + 1), "task": task,
                               "label": label, "probability": probability, "evidence": [],
                               "model_id": model_id, "model_version": "bench",
                               "needs_review": False})
        for chunk in _chunks(page_rows):
            session.execute(insert(Page), chunk)
        for chunk in _chunks(labels):
            session.execute(insert(Classification), chunk)
        for chunk in _chunks([{"wave": wave, "enterprise_id": f"E{i:07d}", "website_id": i + 1,
                               "website_state": "found",
                               "web_sales": "yes" if scores[i] > 0.5 else "no",
                               "web_sales_probability": float(scores[i]), "marketplace": "no",
                               "social_media": "yes"} for i in range(sites)]):
            session.execute(insert(EnterpriseWave), chunk)


def measure(url: str, what: str) -> None:
    """In a process of its own: the seconds of `what` and the process's peak RSS before/after."""
    from ecomstat.classifiers.drift import DriftRule, compute_drift, summarize
    from ecomstat.classifiers.drift_profile import record_profile

    engine = make_engine(url)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    before = _status("VmRSS")
    # ru_maxrss survives fork and exec (it would report the parent's peak): the high-water mark
    # of this process's own memory is reset here and read from /proc after
    Path("/proc/self/clear_refs").write_text("5")
    started, cpu = time.perf_counter(), time.process_time()
    if what == "drift":
        rows = compute_drift(engine, rule=DriftRule())
        detail = summarize(rows).line()  # type: ignore[union-attr]
    else:
        detail = str(record_profile(engine, what))
    print(json.dumps({"what": what, "seconds": round(time.perf_counter() - started, 2),
                      "cpu_seconds": round(time.process_time() - cpu, 2),
                      "rss_before_mib": round(before / 1024),
                      "peak_rss_mib": round(_status("VmHWM") / 1024),
                      "detail": detail}))


def _status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(url: str, what: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", what, "--db", url],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=5, help="pages per site and wave")
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.db, args.measure)
        return
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url, create=True)
    upgrade(engine)
    started = time.perf_counter()
    build_register(engine, args.sites)
    print(f"{args.sites} sites x {args.pages} pages per wave ({engine.dialect.name})")
    for number, (wave, shift) in enumerate((("B1", 0.0), ("B2", 0.8))):
        build_wave(engine, wave, args.sites, args.pages, shift, seed=number)
        print(f"  built wave {wave} in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        print("  profile", json.dumps(_child(url, wave)))
    print("  drift  ", json.dumps(_child(url, "drift")))


if __name__ == "__main__":
    main()
