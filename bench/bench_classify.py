"""E-commerce classifier benchmark: throughput from stored HTML and quality on unseen sites.

    python bench/bench_classify.py [--pages ../shared/data/pages] [--repeat 2] [--skip-cv]

Throughput: the 458 reference pages are written into a gzipped WARC (as the crawler stores
them), then read back (`store.warc.read_html`, as `classify sites` does) and
classified in one process (one core): WARC read + decode + parse + signals + text model +
calibrated probability + evidence. Reported per stage and overall; the
site characteristics (`classify sites` adds them per site, from the parsed pages) separately.
Quality: 5-fold StratifiedGroupKFold by site (no site in two folds) of the combined model, a
bag-of-words model alone and a keyword rule; precision, recall, F1, ROC AUC, Brier.

Speed work must not change predictions: `--save-predictions FILE` writes every reference page's
probability, decision, evidence, signal features and parsed page (plus each site's
characteristics); `--compare-predictions FILE` checks the current code against such a file
(probabilities to 1e-9, everything else exactly) and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from ecomstat.classifiers.characteristics import site_characteristics  # noqa: E402
from ecomstat.classifiers.ecommerce import load_model  # noqa: E402
from ecomstat.classifiers.ecommerce.model import prepare  # noqa: E402
from ecomstat.classifiers.ecommerce.sites import long_lived_frozen  # noqa: E402
from ecomstat.classifiers.ecommerce.training import cross_validate, load_labelled_pages  # noqa: E402
from ecomstat.store.warc import read_html  # noqa: E402  (as `classify sites`)
from ecomstat.classifiers.html import parse_html  # noqa: E402
from ecomstat.store.warc import WarcFileWriter  # noqa: E402

DEFAULT_PAGES = ROOT.parent / "shared" / "data" / "pages"


def throughput(pages_dir: Path, repeat: int) -> dict[str, Any]:
    load_before = round(os.getloadavg()[0], 2)
    rows = list(csv.DictReader(open(pages_dir / "labels.csv", encoding="utf-8")))
    with tempfile.TemporaryDirectory() as tmp:
        writer = WarcFileWriter(Path(tmp) / "bench.warc.gz")
        stored = []
        for row in rows:
            body = gzip.decompress((pages_dir / row["file"]).read_bytes())
            url = row["url"] or f"http://unknown.invalid/{row['file']}"  # one row has no URL
            offset = writer.write_response(url, 200, [("Content-Type", "text/html")], body)
            stored.append((url, offset, len(body)))
        writer.close()
        model = load_model()
        model.predict(prepare(parse_html(b"<html></html>")))  # warm-up
        stage = {"warc_read": 0.0, "parse": 0.0, "signals": 0.0, "model": 0.0}
        cpu_stage = dict.fromkeys(stage, 0.0)
        per_page = []
        clock = time.process_time
        # CPU time as well as wall time: on a shared machine wall time measures the neighbours.
        cpu_started = clock()
        with long_lived_frozen():  # as `classify sites` does
            for _ in range(repeat):
                for url, offset, _size in stored:
                    c0, t0 = clock(), time.perf_counter()
                    body = read_html(writer.path, offset)
                    c1, t1 = clock(), time.perf_counter()
                    doc = parse_html(body, url)
                    c2, t2 = clock(), time.perf_counter()
                    prepared = prepare(doc)
                    c3, t3 = clock(), time.perf_counter()
                    model.predict(prepared)
                    c4, t4 = clock(), time.perf_counter()
                    for name, wall, cpu_time in (("warc_read", t1 - t0, c1 - c0),
                                                 ("parse", t2 - t1, c2 - c1),
                                                 ("signals", t3 - t2, c3 - c2),
                                                 ("model", t4 - t3, c4 - c3)):
                        stage[name] += wall
                        cpu_stage[name] += cpu_time
                    per_page.append(t4 - t0)
                    del prepared  # its tokens, before the next page is read (as classify_site)
        cpu = clock() - cpu_started
        site_cpu, site_wall = _characteristics_time(writer.path, stored, rows)
    total = sum(per_page)
    n = len(per_page)
    sizes = [s for _, _, s in stored]
    unique = len(rows)
    return {
        # CPU time is what the figures below count, but a busy neighbour still slows the
        # shared caches and cores: the load average says how busy the machine was.
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "pages": n, "median_page_kb": round(statistics.median(sizes) / 1024, 1),
        "pages_per_second": round(n / total, 1),
        "pages_per_cpu_second": round(n / cpu, 1),
        "median_ms": round(statistics.median(per_page) * 1000, 2),
        "p95_ms": round(sorted(per_page)[int(0.95 * n)] * 1000, 2),
        **{f"{k}_ms_per_page": round(v / n * 1000, 2) for k, v in stage.items()},
        "classify_only_pages_per_second": round(
            n / (stage["parse"] + stage["signals"] + stage["model"]), 1),
        **{f"{k}_cpu_ms_per_page": round(v / n * 1000, 2) for k, v in cpu_stage.items()},
        "classify_only_pages_per_cpu_second": round(
            n / (cpu_stage["parse"] + cpu_stage["signals"] + cpu_stage["model"]), 1),
        "site_characteristics_ms_per_page": round(site_wall / unique * 1000, 2),
        "site_characteristics_cpu_ms_per_page": round(site_cpu / unique * 1000, 2),
        "with_characteristics_pages_per_cpu_second": round(
            n / (cpu + site_cpu * n / unique), 1),
    }


def _characteristics_time(warc: Path, stored: list[tuple[str, int, int]],
                          rows: list[dict[str, str]]) -> tuple[float, float]:
    """(CPU, wall) seconds of `site_characteristics` over the reference sites, one site at a
    time, given its parsed pages and fingerprint scans (made untimed: `classify sites` has
    them from the page classification)."""
    sites: dict[str, list[tuple[str, int]]] = {}
    for (url, offset, _size), row in zip(stored, rows):
        sites.setdefault(row["site"], []).append((url, offset))
    cpu = wall = 0.0
    for pages in sites.values():
        docs = [parse_html(read_html(warc, offset), url) for url, offset in pages]
        scans = [prepare(doc).hay_scan for doc in docs]
        cpu_started, started = time.process_time(), time.perf_counter()
        site_characteristics(docs, [], scans)
        cpu += time.process_time() - cpu_started
        wall += time.perf_counter() - started
    return cpu, wall


def reference_outputs(pages_dir: Path) -> dict[str, Any]:
    """Everything the classifier says about the reference pages (see module docstring)."""
    from collections import defaultdict

    model = load_model()
    rows = list(csv.DictReader(open(pages_dir / "labels.csv", encoding="utf-8")))
    pages: dict[str, Any] = {}
    by_site: dict[str, list[Any]] = defaultdict(list)
    hay_scans: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        body = gzip.decompress((pages_dir / row["file"]).read_bytes())
        doc = parse_html(body, row["url"] or f"http://unknown.invalid/{row['file']}")
        prepared = prepare(doc)
        prediction = model.predict(prepared)
        pages[row["file"]] = {
            "probability": prediction.probability, "ecommerce": prediction.ecommerce,
            "evidence": prediction.evidence, "coverage": prediction.text_coverage,
            "features": prepared.features, "text": prepared.text,
            "doc": dataclasses.asdict(doc)}
        by_site[row["site"]].append(doc)
        hay_scans[row["site"]].append(prepared.hay_scan)  # reused as `classify sites` does
    sites = {site: {task: [c.label, c.evidence]
                    for task, c in site_characteristics(docs, [], hay_scans[site]).items()}
             for site, docs in by_site.items()}
    return json.loads(json.dumps({"pages": pages, "sites": sites}))  # as a file would hold it


def compare_outputs(saved: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Differences per kind (0 everywhere = identical) and the largest probability change."""
    diffs = dict.fromkeys(("missing", "probability", "decision", "evidence", "coverage",
                           "features", "model_text", "parsed_page", "site_labels"), 0)
    largest = 0.0
    for name, old in saved["pages"].items():
        new = current["pages"].get(name)
        if new is None:
            diffs["missing"] += 1
            continue
        change = abs(old["probability"] - new["probability"])
        largest = max(largest, change)
        diffs["probability"] += change > 1e-9
        diffs["decision"] += old["ecommerce"] != new["ecommerce"]
        diffs["evidence"] += old["evidence"] != new["evidence"]
        diffs["coverage"] += abs(old["coverage"] - new["coverage"]) > 1e-12
        diffs["features"] += any(abs(a - b) > 1e-12
                                 for a, b in zip(old["features"], new["features"]))
        diffs["model_text"] += old["text"] != new["text"]
        diffs["parsed_page"] += old["doc"] != new["doc"]
    for site, labels in saved["sites"].items():
        diffs["site_labels"] += labels != current["sites"].get(site)
    return {"pages": len(saved["pages"]), "sites": len(saved["sites"]),
            "differences": diffs, "largest_probability_change": largest}


def sample_web(n: int) -> dict[str, object]:
    """Site-level labels on the generated sample web (pages fetched in-process, breadth-first,
    25 per site, no JavaScript rendering) against its ground truth."""
    from urllib.parse import urlsplit

    from ecomstat.classifiers.ecommerce.sites import classify_site
    from ecomstat.sampleweb import generate
    from ecomstat.sampleweb.server import SampleWeb

    class Row:  # the fields classify_site reads from a page row
        def __init__(self, url: str, body: bytes, content_type: str) -> None:
            self.url, self.final_url, self.body = url, url, body
            self.content_type, self.language, self.warc_file = content_type, None, None

    population = generate(n, 0)
    web = SampleWeb(population)
    truth = population.truth_by_id()
    model = load_model()
    tasks = ("web_sales", "marketplace", "social_media", "online_booking", "job_ads")
    hits = {task: [0, 0, 0, 0] for task in tasks}  # tp, fp, fn, tn

    def page_doc(row: Row) -> tuple[object, str]:
        return parse_html(row.body, row.url, row.content_type), "memory"

    for host, site in population.sites.items():
        expected = truth[site.enterprise_id]
        if expected.site_status != "live":
            continue
        queue, seen, rows = ["/"], {"/"}, []
        while queue and len(rows) < 25:
            path = queue.pop(0)
            response = web.respond(host, path)
            if response is None or response.status != 200 or "html" not in response.content_type:
                continue
            url = f"http://{host}{path}"
            rows.append(Row(url, response.body, response.content_type))
            for link in parse_html(response.body, url).links:
                parts = urlsplit(link.resolve(url))
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if parts.hostname == host and target not in seen and not any(
                        trap in target for trap in ("sid=", "calendar", "private")):
                    seen.add(target)
                    queue.append(target)
        _, labels = classify_site(model, rows, page_doc)
        for task in tasks:
            predicted, actual = labels[task][0] == "yes", bool(getattr(expected, task))
            index = 0 if predicted and actual else 1 if predicted else 2 if actual else 3
            hits[task][index] += 1
    result: dict[str, object] = {"sites": sum(hits["web_sales"])}
    for task, (tp, fp, fn, tn) in hits.items():
        result[task] = {"tp": tp, "fp": fp, "fn": fn, "tn": tn,
                        "f1": round(2 * tp / max(2 * tp + fp + fn, 1), 3),
                        "accuracy": round((tp + tn) / max(tp + fp + fn + tn, 1), 3)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--sample-web", type=int, default=200, help="sites (0: skip)")
    parser.add_argument("--save-predictions", type=Path, metavar="FILE",
                        help="write the reference pages' outputs to FILE and stop")
    parser.add_argument("--compare-predictions", type=Path, metavar="FILE",
                        help="compare the outputs with FILE (exit 1 if they differ) and stop")
    args = parser.parse_args()
    if args.save_predictions:
        outputs = reference_outputs(args.pages)
        args.save_predictions.write_text(json.dumps(outputs), encoding="utf-8")
        print(f"saved outputs of {len(outputs['pages'])} pages to {args.save_predictions}")
        return
    if args.compare_predictions:
        saved = json.loads(args.compare_predictions.read_text(encoding="utf-8"))
        report = compare_outputs(saved, reference_outputs(args.pages))
        print(json.dumps(report, indent=1))
        sys.exit(1 if any(report["differences"].values()) else 0)
    print("throughput (one process):")
    print(json.dumps(throughput(args.pages, args.repeat), indent=1))
    if args.sample_web:
        print("sample web, site level, without JavaScript rendering:")
        print(json.dumps(sample_web(args.sample_web), indent=1))
    if not args.skip_cv:
        started = time.perf_counter()
        data = load_labelled_pages(args.pages / "labels.csv")
        scores = cross_validate(data)
        scores["seconds"] = round(time.perf_counter() - started, 1)
        print("quality on unseen sites:")
        print(json.dumps(scores, indent=1))


if __name__ == "__main__":
    main()
