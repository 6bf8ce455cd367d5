"""Scores the pipeline's results in a store against the sample web's ground truth (truth.csv)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ecomstat.urls import registered_domain
from ecomstat.store import make_engine


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "tp": tp, "fp": fp, "fn": fn}


def _truth(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def _yes(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "1", "yes"}


def score(db_url: str, truth_csv: Path) -> dict[str, Any]:
    """URL finding (precision/recall/F1 of the linked website's registered domain), and
    enterprise-level agreement of web sales / marketplace / social media with the truth."""
    truth = _truth(truth_csv)
    engine = make_engine(db_url, read_only=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT enterprise_id, website_url, website_status, web_sales, marketplace, social_media "
                "FROM v_enterprise_web"
            )).mappings().all()
            survey_flags = connection.execute(text(
                "SELECT flags FROM v_indicator WHERE method = 'survey'")).scalars().all()
            indicator = connection.execute(text(
                "SELECT estimate, ci_low, ci_high, method FROM v_indicator "
                "WHERE indicator = 'ECOM_WEB_SALES' AND breakdown_key = 'total' AND method <> 'survey' "
                "ORDER BY indicator_value_id DESC"
            )).mappings().first()
    finally:
        engine.dispose()
    found = {r["enterprise_id"]: r for r in rows}
    scores: dict[str, Any] = {"enterprises": len(truth)}
    scores["url_finding"] = _url_finding(truth, found)
    for task in ("web_sales", "marketplace", "social_media"):
        scores[task] = _label_agreement(truth, found, task)
    if indicator is not None:
        scores["web_sales_indicator"] = dict(indicator)
    if survey_flags:
        scores["survey_comparison"] = _verdicts(survey_flags)
    return scores


def _verdicts(flags: list[Any]) -> dict[str, int]:
    """How many stored survey cells got each verdict of `indicators compare`."""
    counts: dict[str, int] = {}
    for value in flags:
        for verdict in json.loads(value) if isinstance(value, str) else value or []:
            counts[verdict] = counts.get(verdict, 0) + 1
    return counts


def _url_finding(truth: dict[str, dict[str, str]], found: dict[str, Any]) -> dict[str, Any]:
    tp = fp = fn = 0
    for enterprise_id, row in truth.items():
        true_domain = registered_domain(row["true_url"]) if _yes(row["has_website"]) else None
        site = found.get(enterprise_id)
        linked = site is not None and site["website_status"] == "linked" and site["website_url"]
        predicted = registered_domain(site["website_url"]) if linked else None
        if predicted and predicted == true_domain:
            tp += 1
        else:
            fp += predicted is not None
            fn += true_domain is not None
    return _prf(tp, fp, fn)


def _label_agreement(truth: dict[str, dict[str, str]], found: dict[str, Any], task: str) -> dict[str, Any]:
    """Enterprise level, as the indicators count: no found website means "no"."""
    tp = fp = fn = tn = 0
    for enterprise_id, row in truth.items():
        actual = _yes(row["has_website"]) and _yes(row[task])
        site = found.get(enterprise_id)
        predicted = site is not None and site[task] == "yes"
        tp += actual and predicted
        fp += predicted and not actual
        fn += actual and not predicted
        tn += not actual and not predicted
    result = _prf(tp, fp, fn)
    result["accuracy"] = round((tp + tn) / max(1, tp + fp + fn + tn), 3)
    result["disagreement_pct"] = round(100 * (fp + fn) / max(1, tp + fp + fn + tn), 1)
    return result


def score_changes(db_url: str, waves: tuple[str, str], truth: dict[str, str]) -> dict[str, Any]:
    """`ecomstat changes`' gained/lost web sales between the two waves against the sample web's
    truth (enterprise id -> 'gained' | 'lost'): precision and recall of the changes found."""
    engine = make_engine(db_url, read_only=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT enterprise_id, change FROM wave_change WHERE from_wave = :a AND to_wave = :b "
                "AND task = 'web_sales'"), {"a": waves[0], "b": waves[1]}).all()
    finally:
        engine.dispose()
    found = {enterprise_id: change.split("-")[0] for enterprise_id, change in rows}
    hits = sum(1 for enterprise_id, change in found.items() if truth.get(enterprise_id) == change)
    return {"from": waves[0], "to": waves[1], "found": len(found), "true": len(truth),
            **_prf(hits, len(found) - hits, len(truth) - hits)}
