"""Simulated waves for the drift tests: N websites of N enterprises, each wave a crawl run whose
pages and labels replace the previous wave's (as `crawl sites` and `classify sites` do), the
wave's record in `enterprise_wave`, then its profile (`record_profile`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, delete, insert, select

from ecomstat.classifiers.drift_profile import record_profile
from ecomstat.store import transaction
from ecomstat.store.models import (Classification, CrawlRun, Enterprise, EnterpriseWave, Model,
                                   Page, SiteVisit, Website)
from ecomstat.store.upsert import upsert


@dataclass
class WaveSpec:
    """Site scores drawn from Beta(a, b) with a fixed seed; a site is a shop above 0.5."""

    a: float = 2.0
    b: float = 5.0
    seed: int = 0
    languages: tuple[tuple[str, int], ...] = (("en", 150), ("de", 30))  # language, sites
    shopify_every: int = 4  # every 4th site runs Shopify, the others none
    bad_scores: int = 0  # shop pages whose stored score is infinite (a broken model)


def sites(spec: WaveSpec) -> int:
    return sum(n for _, n in spec.languages)


def setup_register(engine: Engine, n: int) -> None:
    with transaction(engine) as session:
        session.execute(insert(Enterprise), [
            {"id": f"E{i:04d}", "name": f"Firm {i}", "country": "DE", "nace": "47.91",
             "nace_section": "G", "employees": 20, "size_class": "10-49"} for i in range(n)])
        session.execute(insert(Website), [
            {"id": i + 1, "url": f"http://firm{i}.test/", "domain": f"firm{i}.test",
             "enterprise_id": f"E{i:04d}", "status": "linked", "match_score": 0.8 + 0.2 * (i % 2)}
            for i in range(n)])
        upsert(session, Model, [{"name": "ecommerce", "version": "v1", "kind": "ecommerce"}],
               keys=["name", "version"])


def write_wave(engine: Engine, wave: str, spec: WaveSpec) -> tuple[str, int] | None:
    """Crawl, label and record `wave` as the newest wave; returns `record_profile`'s result."""
    rng = np.random.default_rng(spec.seed)
    n = sites(spec)
    scores = rng.beta(spec.a, spec.b, size=n)
    languages = [lang for lang, count in spec.languages for _ in range(count)]
    with transaction(engine) as session:
        model_id = session.scalar(select(Model.id).where(Model.name == "ecommerce"))
        run_id = session.scalar(insert(CrawlRun).values(spider="enterprise_site", wave=wave,
                                                        status="finished").returning(CrawlRun.id))
        session.execute(insert(SiteVisit), [{"run_id": run_id, "website_id": i + 1,
                                              "state": "done", "outcome": "ok", "pages": 2}
                                             for i in range(n)])
        upsert(session, Page, [
            {"website_id": i + 1, "url": f"http://firm{i}.test/{path}", "run_id": run_id,
             "outcome": "ok", "language": languages[i], "depth": depth, "rendered": False}
            for i in range(n) for depth, path in enumerate(("", "shop"))],
            keys=["website_id", "url"])
        pages = session.execute(select(Page.id, Page.website_id, Page.url)
                                .order_by(Page.website_id, Page.id)).all()
        session.execute(delete(Classification))  # the new labels replace the old ones
        rows = []
        bad = spec.bad_scores
        for page_id, website_id, url in pages:
            i = website_id - 1
            shop = scores[i] > 0.5
            probability = scores[i] if url.endswith("shop") else scores[i] / 2
            if bad and url.endswith("shop"):
                probability, bad = float("inf"), bad - 1
            evidence = ([{"signal": "cart_link", "value": 1.0, "evidence": "link 'cart'"},
                         {"signal": "prices", "value": 0.5, "evidence": "9.99 EUR"}]
                        if shop and url.endswith("shop") else [])
            rows.append(_label("page", page_id, "web_sales", "yes" if shop else "no",
                               float(probability), evidence, model_id))
        for i in range(n):
            platform = "Shopify" if i % spec.shopify_every == 0 else "none"
            for task, label, probability in (
                    ("web_sales", "yes" if scores[i] > 0.5 else "no", float(scores[i])),
                    ("languages", languages[i], None), ("platform", platform, None),
                    ("online_booking", "no", None), ("marketplace", "no", None),
                    ("social_media", "yes", None)):
                rows.append(_label("website", i + 1, task, label, probability, [], model_id))
        session.execute(insert(Classification), rows)
        session.execute(delete(EnterpriseWave).where(EnterpriseWave.wave == wave))
        session.execute(insert(EnterpriseWave), [
            {"wave": wave, "enterprise_id": f"E{i:04d}", "website_id": i + 1,
             "website_url": f"http://firm{i}.test/", "website_state": "found",
             "web_sales": "yes" if scores[i] > 0.5 else "no",
             "web_sales_probability": float(scores[i]), "marketplace": "no",
             "social_media": "yes"} for i in range(n)])
    return record_profile(engine, wave)


def _label(target_type: str, target_id: int, task: str, label: str, probability: float | None,
           evidence: list, model_id: int) -> dict:
    return {"target_type": target_type, "target_id": str(target_id), "task": task, "label": label,
            "probability": probability, "evidence": evidence, "model_id": model_id,
            "model_version": "v1", "needs_review": False}
