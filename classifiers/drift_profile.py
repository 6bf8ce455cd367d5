"""A wave's profile: the distribution of every stored classifier score and the rate of every
e-commerce signal, overall and per language and platform (docs/waves.md, "Drift").

Pages and classifications keep only their latest version, so a wave's profile is taken while the
store holds that wave (it is the newest crawled wave): `classify_sites` records it after the
wave's record, `ecomstat waves record` and `ecomstat waves drift` record it again. The profile
is small (counts on fixed bins per group and metric, `wave_profile`), so an earlier wave is
compared from its stored profile long after its pages were replaced.

Units are the wave's found websites (`enterprise_wave`, website_state 'found'), the pages fetched
by the wave's crawl runs and the products listed by them:
- scores (10 equal bins on [0, 1]): `site_score` (the site's web-sales probability as recorded
  for the wave), `page_score` (each page's web-sales probability), `product_confidence` (the
  product coder's confidence), `match_probability` (the register-website link probability);
- rates (share of sites, counts [no, yes]): the labels `web_sales`, `marketplace`,
  `social_media`, `online_booking`, `platform_detected`, and the page signals named in the
  stored page evidence (`SIGNAL_RATES`).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine, bindparam, delete, select

from ecomstat.errors import BadInput
from ecomstat.store.engine import transaction
from ecomstat.store.models import (Classification, CrawlRun, EnterpriseWave, Page, Product,
                                   WaveProfile, Website, utcnow)
from ecomstat.store.upsert import upsert

BINS = 10  # equal-width score bins on [0, 1]: [0, 0.1), ..., [0.9, 1.0] (1.0 in the last)
DIMENSIONS = ("all", "language", "platform")
SCORE_METRICS = ("site_score", "page_score", "product_confidence", "match_probability")
LABEL_RATES = ("web_sales", "marketplace", "social_media", "online_booking", "platform_detected")
# rate -> the page-model signals (classifiers/ecommerce/signals.py) that count for it. The page
# evidence keeps the 5 signals that weighed most (classifiers/ecommerce/sites.py), so a rate is
# the share of sites where the signal weighed in the page decision: comparable between waves
# scored the same way, not a count of every signal that fired.
SIGNAL_RATES: dict[str, tuple[str, ...]] = {
    "cart": ("cart_link", "cart_url", "cart_form", "cart_fields"),
    "add_to_cart": ("add_to_cart",),
    "prices": ("prices", "schema_offer_price"),
    "payment": ("payment",),
    "product_markup": ("schema_product", "og_product"),
    "order_phrase": ("order_phrase",),
    "booking_engine": ("booking_engine",),
}
RATE_METRICS = (*LABEL_RATES, *SIGNAL_RATES)
YES = {"yes", "true", "1"}
PRODUCT_TASK = "coicop"  # the product coder's classification task (classifiers/products)
_STREAM = 5000
_SITES = 500  # sites whose pages are read per batch
_KEYS = 1000  # targets per IN list
_GROUP_WIDTH = 100  # wave_profile.group_value


@dataclass
class WaveData:
    """A wave's units: per site its groups and rate labels; per score metric the site index of
    each unit and its value."""

    groups: dict[str, list[str]]  # dimension -> group value of each site
    rates: dict[str, np.ndarray]  # rate metric -> bool per site
    scores: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ProfileCell:
    dimension: str
    group: str
    metric: str
    kind: str  # score | rate
    n: int
    counts: list[int]
    invalid: int
    mean: float | None

    def row(self, wave: str) -> dict[str, Any]:
        return {"wave": wave, "dimension": self.dimension, "group_value": self.group,
                "metric": self.metric, "kind": self.kind, "n": self.n, "counts": self.counts,
                "invalid": self.invalid, "mean": self.mean}


def score_bins(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bin index of each value, whether it is valid). Non-finite values and values outside
    [0, 1] are invalid: not binned, counted apart (they mean a broken score, not a shift)."""
    values = np.asarray(values, dtype=float)
    valid = np.isfinite(values) & (values >= 0.0) & (values <= 1.0)
    index = np.zeros(values.shape, dtype=np.int64)
    index[valid] = np.minimum((values[valid] * BINS).astype(np.int64), BINS - 1)
    return index, valid


def build_profile(data: WaveData) -> list[ProfileCell]:
    """Every (dimension, group, metric) cell of the wave's profile that has units."""
    cells: list[ProfileCell] = []
    for dimension in DIMENSIONS:
        labels = data.groups.get(dimension) or []
        names = sorted(set(labels))
        code = {name: i for i, name in enumerate(names)}
        site_group = np.fromiter((code[label] for label in labels), dtype=np.int64,
                                 count=len(labels))
        for metric in RATE_METRICS:
            flags = data.rates.get(metric)
            if flags is None:
                continue
            yes = np.bincount(site_group, weights=flags.astype(float), minlength=len(names))
            total = np.bincount(site_group, minlength=len(names))
            for i, name in enumerate(names):
                n, y = int(total[i]), int(round(yes[i]))
                cells.append(ProfileCell(dimension, name, metric, "rate", n, [n - y, y], 0,
                                         y / n if n else None))
        for metric, (sites, values) in data.scores.items():
            cells.extend(_score_cells(dimension, names, site_group, metric, sites, values))
    return cells


def _score_cells(dimension: str, names: Sequence[str], site_group: np.ndarray, metric: str,
                 sites: np.ndarray, values: np.ndarray) -> list[ProfileCell]:
    if not len(sites):
        return []
    groups = site_group[sites]
    index, valid = score_bins(values)
    counts = np.bincount(groups[valid] * BINS + index[valid],
                         minlength=len(names) * BINS).reshape(len(names), BINS)
    invalid = np.bincount(groups[~valid], minlength=len(names))
    sums = np.bincount(groups[valid], weights=np.asarray(values, dtype=float)[valid],
                       minlength=len(names))
    cells = []
    for i, name in enumerate(names):
        n = int(counts[i].sum())
        if n or invalid[i]:
            cells.append(ProfileCell(dimension, name, metric, "score", n,
                                     [int(c) for c in counts[i]], int(invalid[i]),
                                     float(sums[i] / n) if n else None))
    return cells


# --- reading a wave from the store ---------------------------------------------------------


def _group(value: str | None) -> str:
    return (value or "unknown").strip()[:_GROUP_WIDTH] or "unknown"


def _primary_language(label: str | None) -> str:
    """The site's first language ('en,de' -> 'en'), as `site_characteristics` orders them."""
    return _group((label or "").split(",")[0])


def _newest_model(connection: Any, target_type: str, task: str) -> tuple[Any, str | None]:
    """The filter on `classification.model_id` for the model of the newest label of this
    target type and task (None: no such label), and that model's version."""
    row = connection.execute(
        select(Classification.model_id, Classification.model_version)
        .where(Classification.target_type == target_type, Classification.task == task)
        .order_by(Classification.id.desc()).limit(1)).first()
    if row is None:
        return None, None
    model = (Classification.model_id.is_(None) if row[0] is None
             else Classification.model_id == row[0])
    return model, row[1]


def _wave_sites(connection: Any, wave: str) -> dict[int, tuple[Any, ...]]:
    """website id -> (web_sales, probability, marketplace, social_media) of the wave's found
    websites (one row per website when enterprises share one)."""
    sites: dict[int, tuple[Any, ...]] = {}
    for row in connection.execute(
            select(EnterpriseWave.website_id, EnterpriseWave.web_sales,
                   EnterpriseWave.web_sales_probability, EnterpriseWave.marketplace,
                   EnterpriseWave.social_media)
            .where(EnterpriseWave.wave == wave, EnterpriseWave.website_state == "found",
                   EnterpriseWave.website_id.is_not(None))
            .order_by(EnterpriseWave.enterprise_id)):
        sites.setdefault(int(row[0]), tuple(row[1:]))
    return sites


def _characteristics(connection: Any, model: Any, index: dict[int, int]
                     ) -> dict[str, dict[int, str]]:
    """task -> site index -> label, for the site characteristics the profile groups by."""
    found: dict[str, dict[int, str]] = {"languages": {}, "platform": {}, "online_booking": {}}
    if model is None:
        return found
    for target_id, task, label in connection.execute(
            select(Classification.target_id, Classification.task, Classification.label)
            .where(Classification.target_type == "website", model,
                   Classification.task.in_(list(found)))
            .execution_options(yield_per=_STREAM)):
        site = index.get(int(target_id)) if str(target_id).isdigit() else None
        if site is not None:
            found[task][site] = label
    return found


def _signal_names(evidence: Any) -> set[str]:
    return {str(item["signal"]) for item in evidence or []
            if isinstance(item, dict) and item.get("signal")}


def _wave_runs(connection: Any, wave: str) -> list[int]:
    return list(connection.scalars(select(CrawlRun.id).where(CrawlRun.wave == wave)))


def _target_labels(connection: Any, owner: Any, target_type: str, task: str, model: Any,
                   runs: list[int], index: dict[int, int], evidence: bool
                   ) -> Iterator[tuple[int, float | None, Any]]:
    """(site index, probability, evidence) of the labels of the pages or products (`owner`)
    that the wave's runs fetched, a batch of sites at a time: the owner rows by their website
    index, then their labels by the classification index (a join on the text `target_id`
    cannot use an index: it scanned pages x labels, 550 s for 5,000 sites)."""
    columns = [Classification.target_id, Classification.probability]
    if evidence:
        columns.append(Classification.evidence)
    ids = sorted(index)
    for start in range(0, len(ids), _SITES):
        owners = {int(row_id): index[website_id] for row_id, website_id in connection.execute(
            select(owner.id, owner.website_id).where(
                owner.website_id.in_(ids[start:start + _SITES]), owner.run_id.in_(runs)))}
        keys = [str(row_id) for row_id in owners]
        for first in range(0, len(keys), _KEYS):
            # the keys written into the statement (our own ids): as bound parameters, psycopg
            # prepared the statement after 5 runs and PostgreSQL's generic plan for 1,000
            # parameters left the index, 5.7 s a query against 0.16 s at 100,000 enterprises
            inline = bindparam("keys", keys[first:first + _KEYS], expanding=True,
                               literal_execute=True)
            for row in connection.execute(select(*columns).where(
                    Classification.target_type == target_type, Classification.task == task,
                    Classification.target_id.in_(inline), model)):
                yield owners[int(row[0])], row[1], row[2] if evidence else None


def _pages(connection: Any, wave: str, model: Any, index: dict[int, int],
           signals: list[set[str]]) -> tuple[np.ndarray, np.ndarray]:
    """The page scores of the wave's crawl runs (site index, probability); adds each page's
    evidence signals to its site's set."""
    sites, values = array("q"), array("d")
    if model is None:
        return np.asarray(sites, dtype=np.int64), np.asarray(values, dtype=float)
    for site, probability, evidence in _target_labels(
            connection, Page, "page", "web_sales", model, _wave_runs(connection, wave), index,
            evidence=True):
        signals[site] |= _signal_names(evidence)
        if probability is not None:
            sites.append(site)
            values.append(float(probability))
    return np.asarray(sites, dtype=np.int64), np.asarray(values, dtype=float)


def _products(connection: Any, wave: str, index: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The product coder's confidences of products listed by the wave's runs."""
    model, _ = _newest_model(connection, "product", PRODUCT_TASK)
    sites, values = array("q"), array("d")
    if model is None:
        return np.asarray(sites, dtype=np.int64), np.asarray(values, dtype=float)
    for site, probability, _ in _target_labels(
            connection, Product, "product", PRODUCT_TASK, model, _wave_runs(connection, wave),
            index, evidence=False):
        if probability is not None:
            sites.append(site)
            values.append(float(probability))
    return np.asarray(sites, dtype=np.int64), np.asarray(values, dtype=float)


def _match_scores(connection: Any, index: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    sites, values = array("q"), array("d")
    ids = sorted(index)
    for start in range(0, len(ids), _STREAM):
        for website_id, score in connection.execute(
                select(Website.id, Website.match_score).where(
                    Website.id.in_(ids[start:start + _STREAM]), Website.match_score.is_not(None))):
            sites.append(index[website_id])
            values.append(float(score))
    return np.asarray(sites, dtype=np.int64), np.asarray(values, dtype=float)


def _is_yes(label: Any) -> bool:
    return str(label or "").strip().lower() in YES


def read_wave(engine: Engine, wave: str) -> WaveData:
    """The wave's units from the store as it is now (only right while `wave` is the newest
    crawled wave: `record_profile` checks)."""
    with engine.connect() as connection:
        sites = _wave_sites(connection, wave)
        order = sorted(sites)
        index = {website_id: i for i, website_id in enumerate(order)}
        model, version = _newest_model(connection, "website", "web_sales")
        traits = _characteristics(connection, model, index)
        signals: list[set[str]] = [set() for _ in order]
        pages = _pages(connection, wave, model, index, signals)
        products = _products(connection, wave, index)
        matches = _match_scores(connection, index)
    records = [sites[website_id] for website_id in order]
    rates = {
        "web_sales": np.array([_is_yes(r[0]) for r in records], dtype=bool),
        "marketplace": np.array([_is_yes(r[2]) for r in records], dtype=bool),
        "social_media": np.array([_is_yes(r[3]) for r in records], dtype=bool),
        "online_booking": np.array([_is_yes(traits["online_booking"].get(i))
                                    for i in range(len(order))], dtype=bool),
        "platform_detected": np.array([traits["platform"].get(i, "none") not in ("none", "")
                                       for i in range(len(order))], dtype=bool),
    }
    for rate, names in SIGNAL_RATES.items():
        rates[rate] = np.array([bool(fired & set(names)) for fired in signals], dtype=bool)
    site_scores = [(i, r[1]) for i, r in enumerate(records) if r[1] is not None]
    return WaveData(
        groups={"all": ["all"] * len(order),
                "language": [_primary_language(traits["languages"].get(i))
                             for i in range(len(order))],
                "platform": [_group(traits["platform"].get(i)) for i in range(len(order))]},
        rates=rates,
        scores={"site_score": (np.array([i for i, _ in site_scores], dtype=np.int64),
                               np.array([float(v) for _, v in site_scores], dtype=float)),
                "page_score": pages, "product_confidence": products,
                "match_probability": matches},
        models=[version] if version else [])


def record_profile(engine: Engine, wave: str | None = None) -> tuple[str, int] | None:
    """Take the profile of `wave` (default: the newest crawled wave) and store it, replacing
    that wave's earlier profile; returns (wave, cells), None before any crawl. Refused for a
    wave that is no longer the newest crawled one (the store holds a later wave's pages)."""
    from ecomstat.store.waves import check_wave, latest_wave

    newest = latest_wave(engine)
    wave = check_wave(wave) if wave is not None else newest
    if wave is None:
        return None
    if wave != newest:
        raise BadInput(f"wave {wave} is not the newest crawled wave ({newest}): the store holds "
                       f"{newest}'s pages and labels, so {wave}'s profile can no longer be taken")
    data = read_wave(engine, wave)
    if not data.groups["all"]:
        raise BadInput(f"wave {wave} has no recorded enterprise with a found website (classify "
                       "its sites: `ecomstat classify sites`)")
    cells = build_profile(data)
    store_profile(engine, wave, cells, data.models)
    return wave, len(cells)


def store_profile(engine: Engine, wave: str, cells: Iterable[ProfileCell],
                  models: list[str] | None = None) -> None:
    """Upsert the wave's cells on their natural key and drop the wave's cells not among them
    (a group gone since the last profile), in one transaction."""
    now = utcnow()
    rows = [{**cell.row(wave), "models": models or [], "computed_at": now} for cell in cells]
    keys = {(r["dimension"], r["group_value"], r["metric"]) for r in rows}
    with transaction(engine) as session:
        for start in range(0, len(rows), 1000):
            upsert(session, WaveProfile, rows[start:start + 1000],
                   keys=["wave", "dimension", "group_value", "metric"])
        stale = [row_id for row_id, *key in session.execute(
            select(WaveProfile.id, WaveProfile.dimension, WaveProfile.group_value,
                   WaveProfile.metric).where(WaveProfile.wave == wave)).tuples()
                 if tuple(key) not in keys]
        for start in range(0, len(stale), 500):
            session.execute(delete(WaveProfile).where(WaveProfile.id.in_(stale[start:start + 500])))


def read_profile(engine: Engine, wave: str) -> dict[tuple[str, str, str], ProfileCell]:
    """The stored profile of `wave`: (dimension, group, metric) -> cell."""
    with engine.connect() as connection:
        return {(r.dimension, r.group_value, r.metric): ProfileCell(
                    r.dimension, r.group_value, r.metric, r.kind, int(r.n),
                    [int(c) for c in r.counts], int(r.invalid or 0),
                    None if r.mean is None or not math.isfinite(r.mean) else float(r.mean))
                for r in connection.execute(select(WaveProfile.__table__)
                                             .where(WaveProfile.wave == wave))}
