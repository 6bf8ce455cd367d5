"""Label what is in the store: every website with crawled pages gets its page-level web-sales
predictions aggregated to the site, plus the website characteristics, written as
`classification` rows of one model version (re-running replaces them: idempotent).

Site aggregation: a site has web sales when any of its pages lets a customer order, so the site
probability is the maximum page probability (the evidence names the pages that drove it).
Raw HTML comes from the crawl's WARC file; a page without a readable WARC record falls back to
the text, links and structured data stored in its row (the evidence says which source was used).
"""

from __future__ import annotations

import gc
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from ecomstat.classifiers.characteristics import site_characteristics
from ecomstat.classifiers.ecommerce.model import EcommerceModel, Prediction, prepare
from ecomstat.classifiers.ecommerce.registry import register
from ecomstat.classifiers.ecommerce.signals import HayScan
from ecomstat.store.warc import read_html
from ecomstat.store.waves import record_wave
from ecomstat.classifiers.html import PageDoc, from_stored, parse_html
from ecomstat.errors import BadInput

logger = logging.getLogger(__name__)
SITE_BATCH = 50  # sites per write transaction
WEBSITE_PAGE = 1000  # websites read per keyset page (a national store streams through)
PAGE_EVIDENCE = 5  # evidence items kept per page label
BOOKING_EVIDENCE = ("booking form fields", "booking engine")
REVIEW_MARGIN = 0.1  # probabilities this close to the threshold are flagged needs_review


@dataclass
class SiteResult:
    website_id: int
    url: str
    pages: int
    web_sales: str
    probability: float
    labels: dict[str, str] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"website_id": self.website_id, "url": self.url, "pages": self.pages,
                "web_sales": self.web_sales, "probability": round(self.probability, 4),
                **self.labels}


@dataclass
class SitesSummary:
    model: str
    version: str
    model_id: int
    sites: int = 0
    pages: int = 0
    pages_from_warc: int = 0
    web_sales: int = 0
    seconds: float = 0.0
    results: list[SiteResult] = field(default_factory=list)
    wave: str | None = None  # the wave recorded (store/waves.py); None before any crawl run
    wave_enterprises: int | None = None


def _page_doc(page: Any) -> tuple[PageDoc, str]:
    """The page's PageDoc and its source ('warc' or 'stored')."""
    url = page.final_url or page.url
    if page.warc_file and page.warc_offset is not None:
        try:
            return parse_html(read_html(page.warc_file, page.warc_offset), url,
                              page.content_type), "warc"
        except Exception as exc:  # missing/corrupt WARC: the stored row still classifies
            logger.warning("page %s: WARC record unreadable (%s); using stored text", page.id, exc)
    doc = from_stored(url, title=page.title, text=page.text, links=page.links,
                      structured_data=page.structured_data, language=page.language)
    return doc, "stored"


def _websites_query() -> Any:
    """(id, URL, the newest crawl run with 'ok' pages of it) of websites with crawled pages,
    by id. Correlated sub-queries rather than a join grouped over all pages: read a keyset
    page at a time, the database walks the website key and probes each site's pages."""
    from ecomstat.store.models import Page, Website

    ok = (Page.website_id == Website.id) & (Page.outcome == "ok")
    newest = select(func.max(Page.run_id)).where(ok).scalar_subquery()
    return (select(Website.id, Website.url, newest.label("run_id"))
            .where(select(Page.id).where(ok).exists()).order_by(Website.id))


def _websites(engine: Engine, website_ids: Sequence[int] | None
              ) -> Iterator[tuple[int, str, int | None]]:
    """The websites to classify, streamed WEBSITE_PAGE at a time (keyset pages: no statement
    and no list grows with the number of sites; `website_ids` are looked up in chunks)."""
    from ecomstat.store.models import Website

    query = _websites_query()
    wanted = sorted(set(website_ids or ()))
    if wanted:
        pages = (query.where(Website.id.in_(wanted[start:start + WEBSITE_PAGE]))
                 for start in range(0, len(wanted), WEBSITE_PAGE))
        for page in pages:
            with engine.connect() as conn:  # closed before the sites are classified
                rows = [(int(r.id), str(r.url), r.run_id) for r in conn.execute(page)]
            yield from rows
        return
    last: int | None = None
    while True:
        page = query.limit(WEBSITE_PAGE)
        with engine.connect() as conn:
            rows = [(int(r.id), str(r.url), r.run_id) for r in conn.execute(
                page if last is None else page.where(Website.id > last))]
        if not rows:
            return
        last = rows[-1][0]
        yield from rows


def _count_websites(engine: Engine, website_ids: Sequence[int] | None) -> int:
    """How many websites `_websites` yields; refuses ids without crawled pages (BadInput)."""
    if website_ids:  # a list the caller holds anyway: the set of those found is no larger
        found = {website_id for website_id, _, _ in _websites(engine, website_ids)}
        missing = sorted(set(website_ids) - found)
        if missing:
            raise BadInput("no website with crawled pages has the id "
                           + ", ".join(map(str, missing[:10])))
        return len(found)
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(_websites_query().subquery())) or 0)


def _pages(engine: Engine, website_id: int, run_id: int | None = None) -> list[Any]:
    """The site's 'ok' pages of crawl run `run_id` (None: all). A page of an earlier wave that
    the newest crawl no longer found (a shop page removed) stays in the store, but no longer
    decides the site's label (issue 17)."""
    from ecomstat.store.models import Page

    query = select(Page).where(Page.website_id == website_id, Page.outcome == "ok")
    if run_id is not None:
        query = query.where(Page.run_id == run_id)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(Page.depth, Page.id)))


def classify_site(model: EcommerceModel, pages: Sequence[Any],
                  page_doc: Callable[[Any], tuple[PageDoc, str]] = _page_doc) -> tuple[
        list[tuple[Any, Prediction, str]], dict[str, Any]]:
    """Predictions per page and the site's labels (task -> (label, probability, evidence)).
    `page_doc` turns a page row into (PageDoc, source); the default reads WARC or the row."""
    docs, predictions, hay_scans = [], [], []
    for page in pages:
        doc, source = page_doc(page)
        prediction, hay_scan = _predict_page(model, doc)
        docs.append(doc)
        hay_scans.append(hay_scan)
        predictions.append((page, prediction, source))
    # Shop pages (decision yes) first, then by probability.
    ranked = sorted(predictions, key=lambda item: (-item[1].ecommerce, -item[1].probability))
    has_sales = bool(ranked) and ranked[0][1].ecommerce
    best = ranked[0][1].probability if ranked else 0.0
    evidence = [{"page": page.final_url or page.url, "probability": round(p.probability, 4),
                 "ecommerce": p.ecommerce, "source": source, "signals": p.evidence[:5]}
                for page, p, source in ranked[:3]]
    stored_languages = [page.language for page in pages]
    characteristics = site_characteristics(docs, stored_languages, hay_scans)
    # Web sales include orders for services: a booking form or booking engine on a crawled
    # page (not a mere "book now" link) makes the site a web seller even when no single page
    # looks like a shop to the page model.
    bookings = [e for e in characteristics["online_booking"].evidence
                if e["evidence"].startswith(BOOKING_EVIDENCE)]
    if not has_sales and bookings:
        has_sales = True
        evidence.insert(0, {"page": bookings[0]["page"], "signal": "online_booking",
                            "evidence": bookings[0]["evidence"]})
    labels: dict[str, Any] = {"web_sales": ("yes" if has_sales else "no", best, evidence)}
    for task, characteristic in characteristics.items():
        labels[task] = (characteristic.label, None, characteristic.evidence)
    return predictions, labels


def _predict_page(model: EcommerceModel, doc: PageDoc) -> tuple[Prediction, HayScan | None]:
    """The page's prediction and fingerprint scan (kept for the site characteristics). The
    page's tokens go when this returns: thousands of small strings kept alive while the next
    page is parsed made that parse ~10% slower (bench/bench_classify.py)."""
    prepared = prepare(doc)
    return model.predict(prepared), prepared.hay_scan


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """While many pages stream through: everything alive now (modules, the loaded model: some
    hundred thousand objects) is collected once, then kept out of the garbage collector's
    full passes, which otherwise walk it every few hundred pages (~15% of the CPU time of
    classifying a page, measured by bench/bench_classify.py); it goes back on exit."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _batches(items: Iterable[Any], size: int) -> Iterator[Sequence[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def classify_sites(engine: Engine, model: EcommerceModel, *,
                   website_ids: Sequence[int] | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   on_result: Callable[[SiteResult], None] | None = None) -> SitesSummary:
    """Classify every website with crawled pages (or the given ids) and store the labels.
    Each site's result goes to `on_result` when given (memory then stays bounded at any
    number of sites), else into `summary.results`."""
    started = time.perf_counter()
    total = _count_websites(engine, website_ids)
    model_id = register(engine, model)
    summary = SitesSummary(model.name, model.version, model_id)
    websites = _websites(engine, website_ids)
    with long_lived_frozen():
        _classify_batches(engine, model, model_id, websites, summary,
                          _Progress(total, progress, on_result or summary.results.append))
    # The labels are the newest crawl's: recorded as its wave's (store/waves.py, docs/waves.md)
    recorded = record_wave(engine)
    if recorded is not None:
        summary.wave, summary.wave_enterprises = recorded
        # the wave's score and signal profile, while the store holds its pages (drift, issue 17)
        from ecomstat.classifiers.drift_profile import record_profile
        try:
            record_profile(engine, recorded[0])
        except BadInput:  # no found website recorded: nothing to profile
            pass
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


@dataclass
class _Progress:
    total: int
    report: Callable[[int, int], None] | None
    result: Callable[[SiteResult], None]


def _classify_batches(engine: Engine, model: EcommerceModel, model_id: int,
                      websites: Iterable[tuple[int, str, int | None]], summary: SitesSummary,
                      progress: _Progress) -> None:
    """Classify the websites batch by batch, each batch's labels written in one transaction."""
    from ecomstat.store import transaction
    from ecomstat.store.models import Classification

    done = 0
    for batch in _batches(websites, SITE_BATCH):
        rows: list[dict[str, Any]] = []
        site_ids: list[str] = []
        page_ids: list[str] = []
        for website_id, url, run_id in batch:
            pages = _pages(engine, website_id, run_id)
            predictions, labels = classify_site(model, pages)
            site_ids.append(str(website_id))
            for page, prediction, source in predictions:
                page_ids.append(str(page.id))
                summary.pages_from_warc += source == "warc"
                rows.append(_row("page", page.id, "web_sales",
                                 "yes" if prediction.ecommerce else "no", prediction.probability,
                                 prediction.evidence[:PAGE_EVIDENCE], model_id, model.version,
                                 _review(prediction.ecommerce, prediction.probability, model)))
            for task, (label, probability, evidence) in labels.items():
                review = task == "web_sales" and _review(label == "yes", probability, model)
                rows.append(_row("website", website_id, task, label, probability, evidence,
                                 model_id, model.version, review))
            result = SiteResult(website_id, url, len(pages), labels["web_sales"][0],
                                labels["web_sales"][1],
                                {t: v[0] for t, v in labels.items() if t != "web_sales"})
            progress.result(result)
            summary.sites += 1
            summary.pages += len(pages)
            summary.web_sales += result.web_sales == "yes"
            done += 1
            if progress.report:
                progress.report(done, progress.total)
        # Replace this model's earlier labels of these targets, all in one transaction.
        with transaction(engine) as session:
            for target_type, ids in (("website", site_ids), ("page", page_ids)):
                for chunk in _batches(ids, 500):
                    session.execute(delete(Classification).where(
                        Classification.model_id == model_id,
                        Classification.target_type == target_type,
                        Classification.target_id.in_(list(chunk))))
            if rows:
                session.execute(insert(Classification), rows)


def _review(decision: bool, probability: float | None, model: EcommerceModel) -> bool:
    """Flag for manual review: close to the threshold, or a probability over the threshold
    that no evidence supports (an unseen language, an empty page)."""
    if probability is None:
        return False
    return abs(probability - model.threshold) < REVIEW_MARGIN or (
        probability >= model.threshold) != decision


def _row(target_type: str, target_id: int, task: str, label: str, probability: float | None,
         evidence: list[Any], model_id: int, version: str, review: bool) -> dict[str, Any]:
    return {"target_type": target_type, "target_id": str(target_id), "task": task,
            "label": label[:100], "probability": probability, "evidence": evidence,
            "model_id": model_id, "model_version": version, "needs_review": review}
