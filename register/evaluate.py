"""URL-finding accuracy against a ground truth (the sample web's truth.csv).

An enterprise counts as a true positive when its linked website's registered domain is the
true site's; a link for an enterprise without a (live) site, or to the wrong site, is a false
positive; a live site not linked is a false negative. Scores are given over all enterprises
and over those whose URL was not in the register (pure discovery).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ecomstat.errors import BadInput
from ecomstat.urls import registered_domain
from ecomstat.store.models import Website

LIVE = ("live", "redirect")


def _scores(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def url_finding_scores(engine: Engine, truth_csv: Path) -> dict[str, Any]:
    try:
        with open(truth_csv, newline="", encoding="utf-8") as handle:
            truth = list(csv.DictReader(handle))
    except OSError as exc:
        raise BadInput(f"cannot read {truth_csv}: {exc.strerror}") from None
    if not truth or "true_url" not in truth[0]:
        raise BadInput(f"{truth_csv} is not a sample-web truth.csv (needs id, true_url, site_status)")
    with Session(engine) as session:
        linked = {eid: url for eid, url in session.execute(
            select(Website.enterprise_id, Website.url).where(Website.status == "linked"))}
    counts = {"all": [0, 0, 0], "not_in_register": [0, 0, 0]}
    errors = []
    for row in truth:
        true_domain = registered_domain(row["true_url"]) if row["true_url"] and row["site_status"] in LIVE else ""
        found = linked.get(row["id"])
        found_domain = registered_domain(found) if found else ""
        groups = ["all"] + ([] if row.get("url_in_register") == "true" else ["not_in_register"])
        for group in groups:
            c = counts[group]
            if found_domain and found_domain == true_domain:
                c[0] += 1
            else:
                if found_domain:
                    c[1] += 1
                if true_domain:
                    c[2] += 1
        if found_domain != true_domain:
            errors.append({"id": row["id"], "found": found, "true": row["true_url"] or None,
                           "site_status": row["site_status"]})
    return {group: _scores(*c) for group, c in counts.items()} | {"errors": errors[:50]}
