"""A synthetic store with known truth, for tests, benchmarks and demonstrations.

It writes what the pipeline would have written (register enterprises, linked or dead websites,
crawled pages, site-level labels from a classifier with known sensitivity/specificity, a model
row, a crawl run) and returns the truth, so that estimates can be checked against it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert

from ecomstat.store.models import (
    Classification, CrawlRun, Enterprise, Model, Page, RegisterSnapshot, Website,
)

# (NACE code, section): in-scope codes plus K, S (except 95.1) and A, which are out of scope.
NACE_CODES = [("47.91", "G"), ("47.71", "G"), ("25.11", "C"), ("10.71", "C"), ("56.10", "I"),
              ("55.10", "I"), ("62.01", "J"), ("43.21", "F"), ("69.20", "M"), ("49.41", "H"),
              ("95.11", "S"), ("64.19", "K"), ("96.02", "S"), ("01.11", "A")]
REGIONS = ["DE1", "DE2", "DE3", "DE4"]
TASK_SHARES = {"web_sales": (0.20, 0.30, 0.45), "marketplace": (0.08, 0.10, 0.15),
               "social_media": (0.50, 0.60, 0.70)}  # by size class 10-49, 50-249, 250+


@dataclass
class SyntheticTruth:
    enterprise_id: np.ndarray
    in_scope: np.ndarray
    has_website: np.ndarray
    reachable: np.ndarray
    truth: dict[str, np.ndarray]      # task -> true 0/1 (0 without a reachable website)
    predicted: dict[str, np.ndarray]  # task -> the classifier's label (0 without a website)


def _chunks(rows: Iterable[dict[str, Any]], size: int = 20_000) -> Iterator[list[dict[str, Any]]]:
    """Batches of rows, built lazily so a million-row store never sits in memory at once."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def synthetic_store(
    engine: Engine,
    n: int,
    *,
    random_state: int = 0,
    sensitivity: float = 0.9,
    specificity: float = 0.95,
    website_share: float = 0.8,
    unreachable_share: float = 0.05,
) -> SyntheticTruth:
    """Fill an empty store with `n` enterprises and their pipeline outputs; return the truth."""
    rng = np.random.default_rng(random_state)
    codes = rng.integers(0, len(NACE_CODES), n)
    employees = np.where(rng.random(n) < 0.1, rng.integers(1, 10, n),
                         np.minimum(10 + rng.pareto(1.2, n) * 15, 5000).astype(int))
    size_index = np.digitize(employees, [50, 250])  # 0: 10-49 (or 0-9), 1: 50-249, 2: 250+
    nace = np.array([NACE_CODES[c][0] for c in codes])
    section = np.array([NACE_CODES[c][1] for c in codes])
    in_scope = (employees >= 10) & (np.isin(section, list("CDEFGHIJLMN")) | (np.char.startswith(nace, "95.1")))
    has_website = rng.random(n) < website_share
    reachable = has_website & (rng.random(n) >= unreachable_share)
    truth = {task: (reachable & (rng.random(n) < np.asarray(p)[size_index])).astype(np.int8)
             for task, p in TASK_SHARES.items()}
    predicted = {}
    for task, t in truth.items():
        flip = rng.random(n)
        label = np.where(t == 1, flip < sensitivity, flip >= specificity)
        predicted[task] = (label & reachable).astype(np.int8)
    ids = np.array([f"E{i:07d}" for i in range(n)])
    size_names = np.where(employees < 10, "0-9", np.array(["10-49", "50-249", "250+"])[size_index])

    with engine.begin() as connection:
        snapshot = connection.execute(insert(RegisterSnapshot).values(label="synthetic", rows=n)).inserted_primary_key[0]
        run = connection.execute(insert(CrawlRun).values(
            spider="enterprise_site", status="finished", sites_total=int(has_website.sum()),
            sites_done=int(has_website.sum()), pages=int(reachable.sum()),
            outcomes={"ok": int(reachable.sum()), "dns-failure": int((has_website & ~reachable).sum())},
        )).inserted_primary_key[0]
        model = connection.execute(insert(Model).values(
            name="ecommerce-synthetic", version="1.0", kind="ecommerce",
            metrics={"precision": 0.93, "recall": sensitivity, "f1": 0.91, "roc_auc": 0.96, "brier": 0.06},
        )).inserted_primary_key[0]
        for chunk in _chunks((
            {"id": ids[i], "name": f"Firm {i}", "country": "DE", "region": REGIONS[i % len(REGIONS)],
             "nace": str(nace[i]), "nace_section": str(section[i]), "employees": int(employees[i]),
             "size_class": str(size_names[i]), "snapshot_id": snapshot}
            for i in range(n)
        )):
            connection.execute(insert(Enterprise), chunk)
        site_units = np.flatnonzero(has_website)
        for chunk in _chunks((
            {"id": int(k + 1), "url": f"https://www.firm{i}.de.test/", "domain": f"firm{i}.de.test",
             "enterprise_id": ids[i], "match_score": 0.9, "found_by": "register",
             "status": "linked" if reachable[i] else "dead"}
            for k, i in enumerate(site_units)
        )):
            connection.execute(insert(Website), chunk)
        site_id = {int(i): int(k + 1) for k, i in enumerate(site_units)}
        for chunk in _chunks((
            {"website_id": site_id[int(i)], "run_id": run, "url": f"https://www.firm{i}.de.test/",
             "http_status": 200, "outcome": "ok"}
            for i in np.flatnonzero(reachable)
        )):
            connection.execute(insert(Page), chunk)
        for task in TASK_SHARES:
            for chunk in _chunks((
                {"target_type": "website", "target_id": str(site_id[int(i)]), "task": task,
                 "label": "yes" if predicted[task][i] else "no", "probability": 0.5,
                 "model_id": model, "model_version": "ecommerce-synthetic:1.0"}
                for i in np.flatnonzero(reachable)
            )):
                connection.execute(insert(Classification), chunk)
    return SyntheticTruth(ids, in_scope, has_website, reachable, truth, predicted)
