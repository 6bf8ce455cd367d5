"""E-commerce page classifier on unseen sites, overall and per page language (issue 19).

    python bench/bench_ecommerce_languages.py [--pages ../shared/data/pages] [--folds 5]

The same evaluation as `bench_classify.py`'s quality figures (`cross_validate`: the combined
model, 5-fold StratifiedGroupKFold by site, seed 0, threshold 0.5), with the out-of-fold
decisions broken down by the page's declared language: the primary subtag of `<html lang>`
(`en-US` -> `en`), `unknown` when the page declares none. The labels file has no language
column, so the page's own declaration is the only language the data has; it is what the site
says, not a detection, and a few sites declare `en` over another language. Languages with
fewer than 10 pages are pooled as `other`. Per-language F1 on a handful of pages is noisy: the
counts are printed beside it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

ROOT = Path(__file__).resolve().parents[1]

from ecomstat.classifiers.ecommerce.model import EcommerceClassifier  # noqa: E402
from ecomstat.classifiers.ecommerce.training import (  # noqa: E402
    load_labelled_pages,
    metrics,
    read_page_file,
)
from ecomstat.classifiers.html import parse_html  # noqa: E402

DEFAULT_PAGES = ROOT.parent / "shared" / "data" / "pages"
MIN_PAGES = 10  # languages with fewer pages are pooled as "other"


def page_languages(labels_csv: Path) -> list[str]:
    """The declared language of every labelled page, in the labels file's order (the order
    `load_labelled_pages` keeps: it refuses the whole file rather than skipping a row)."""
    with open(labels_csv, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    languages = []
    for row in rows:
        doc = parse_html(read_page_file(labels_csv.parent / row["file"]), row.get("url") or "")
        languages.append(doc.lang.split("-")[0].split("_")[0].strip() or "unknown")
    return languages


def out_of_fold(data, folds: int, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities and decisions of the combined model (as cross_validate)."""
    y, groups = data.labels, data.groups
    split = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=random_state)
    probability = np.zeros(len(y))
    decided = np.zeros(len(y), dtype=bool)
    for train_idx, test_idx in split.split(np.zeros(len(y)), y, groups):
        model = EcommerceClassifier(random_state=random_state).fit(
            [data.pages[i] for i in train_idx], y[train_idx], groups[train_idx])
        p, d = model.to_model().decide([data.pages[i] for i in test_idx])
        probability[test_idx], decided[test_idx] = p[:, 1], d
    return probability, decided


def by_language(y: np.ndarray, probability: np.ndarray, decided: np.ndarray,
                groups: np.ndarray, languages: list[str]) -> list[dict[str, object]]:
    counts = Counter(languages)
    pooled = np.array([lang if counts[lang] >= MIN_PAGES else "other" for lang in languages])
    rows = []
    for lang in sorted(set(pooled.tolist()), key=lambda k: (-int((pooled == k).sum()), k)):
        mask = pooled == lang
        scores = metrics(y[mask], probability[mask], decisions=decided[mask])
        rows.append({"language": lang, "pages": int(mask.sum()),
                     "sites": len(set(groups[mask].tolist())), "shop_pages": int(y[mask].sum()),
                     **scores})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    labels_csv = args.pages / "labels.csv"
    data = load_labelled_pages(labels_csv)
    languages = page_languages(labels_csv)
    if len(languages) != len(data.labels):
        sys.exit("labels file and prepared pages differ in length")
    probability, decided = out_of_fold(data, args.folds)
    overall = metrics(data.labels, probability, decisions=decided)
    print(f"{args.folds}-fold StratifiedGroupKFold by site, {len(data.labels)} pages, "
          f"{len(set(data.groups.tolist()))} sites ({time.perf_counter() - started:.0f} s)")
    print("all pages:", json.dumps(overall))
    header = ("language", "pages", "sites", "shop_pages", "precision", "recall", "f1",
              "accuracy", "roc_auc", "brier")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in by_language(data.labels, probability, decided, data.groups, languages):
        print("| " + " | ".join(str(row.get(k, "—")) for k in header) + " |")
    small = Counter(lang for lang in languages if languages.count(lang) < MIN_PAGES)
    print("other = " + ", ".join(f"{lang} {n}" for lang, n in small.most_common()))


if __name__ == "__main__":
    main()
