"""Training data loading, site-grouped evaluation and training of the e-commerce model.

Labelled pages: a CSV with columns `file` (path of an .html or .html.gz file, relative to the
pages directory) and `ecommerce` (1/0, yes/no, true/false); optional `url` (helps resolve
links) and `site` (grouping key for cross-validation; derived from `url` when missing, else every
page is its own group). This is the layout of ../shared/data/pages/labels.csv.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedGroupKFold

from ecomstat.classifiers.ecommerce.model import FEATURE_VERSION, EcommerceClassifier, Prepared, prepare
from ecomstat.classifiers.errors import TrainingDataError
from ecomstat.classifiers.html import parse_html
from ecomstat.classifiers.portable import save_model, sha256_file, sha256_files
from ecomstat.classifiers.reproducible import fit_tfidf

_YES = {"1", "yes", "true", "y"}
_NO = {"0", "no", "false", "n"}
KEYWORD_RULE_SIGNALS = ("cart_link", "cart_url", "add_to_cart")


@dataclass
class LabelledPages:
    pages: list[Prepared]
    labels: np.ndarray
    groups: np.ndarray
    files: list[Path]
    sha256: str


def read_page_file(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def load_labelled_pages(labels_csv: str | Path, pages_dir: str | Path | None = None,
                        progress: Callable[[int, int], None] | None = None) -> LabelledPages:
    """Read and prepare every labelled page; all-or-nothing with line-numbered errors."""
    labels_csv = Path(labels_csv)
    base = Path(pages_dir) if pages_dir else labels_csv.parent
    try:
        with open(labels_csv, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TrainingDataError(f"cannot read labels file {labels_csv}: {exc}") from None
    if not rows or not {"file", "ecommerce"} <= set(rows[0]):
        raise TrainingDataError(
            f"{labels_csv} needs the columns file,ecommerce (optional url,site)")
    errors: list[str] = []
    entries: list[tuple[Path, int, str, str]] = []
    for line, row in enumerate(rows, start=2):
        value = (row.get("ecommerce") or "").strip().lower()
        path = base / (row.get("file") or "").strip()
        if value not in _YES | _NO:
            errors.append(f"line {line}: ecommerce must be 1/0 or yes/no, got {value!r}")
        elif not (row.get("file") or "").strip() or not path.is_file():
            errors.append(f"line {line}: page file {path} not found")
        else:
            url = (row.get("url") or "").strip()
            site = (row.get("site") or "").strip() or _site_of(url) or f"row-{line}"
            entries.append((path, int(value in _YES), url, site))
    if errors:
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise TrainingDataError(f"{labels_csv}: " + "; ".join(errors[:5]) + more)
    labels = np.array([e[1] for e in entries])
    if len(entries) < 10 or labels.min() == labels.max():
        raise TrainingDataError("need at least 10 labelled pages with both classes to train")
    pages = []
    for i, (path, _, url, _) in enumerate(entries):
        pages.append(prepare(parse_html(read_page_file(path), url), keep_scans=False))
        if progress:
            progress(i + 1, len(entries))
    digest = sha256_files([labels_csv] + [e[0] for e in entries])
    return LabelledPages(pages, labels, np.array([e[3] for e in entries]),
                         [e[0] for e in entries], digest)


def _site_of(url: str) -> str:
    if not url:
        return ""
    from ecomstat.urls import registered_domain

    try:
        return registered_domain(url)
    except ValueError:
        return ""


def metrics(y: np.ndarray, p: np.ndarray, threshold: float = 0.5,
            decisions: np.ndarray | None = None) -> dict[str, float]:
    """Quality at the threshold (or of the given decisions) plus ROC AUC and Brier score."""
    predicted = (p >= threshold).astype(int) if decisions is None else decisions.astype(int)
    result = {
        "precision": precision_score(y, predicted, zero_division=0),
        "recall": recall_score(y, predicted, zero_division=0),
        "f1": f1_score(y, predicted, zero_division=0),
        "accuracy": float((predicted == y).mean()),
    }
    if len(set(p.tolist())) > 1 and len(set(y.tolist())) > 1:
        result["roc_auc"] = roc_auc_score(y, p)
    result["brier"] = brier_score_loss(y, p)
    return {k: round(float(v), 4) for k, v in result.items()}


def _bow_only(train: Sequence[Prepared], y: np.ndarray, test: Sequence[Prepared],
              random_state: int) -> np.ndarray:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 max_features=20_000)
    texts = [p.text for p in train]
    X = fit_tfidf(vectorizer, texts).transform(texts)
    model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced",
                               solver="liblinear", random_state=random_state).fit(X, y)
    return model.predict_proba(vectorizer.transform([p.text for p in test]))[:, 1]


def cross_validate(data: LabelledPages, n_splits: int = 5, random_state: int = 0,
                   threshold: float = 0.5) -> dict[str, Any]:
    """Site-grouped cross-validation (no site in two folds) of the combined model and of the
    two baselines the issue compares it with: a keyword rule and a bag-of-words model alone."""
    y, groups = data.labels, data.groups
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    combined = np.zeros(len(y))
    decided = np.zeros(len(y), dtype=bool)
    bow = np.zeros(len(y))
    for train_idx, test_idx in folds.split(np.zeros(len(y)), y, groups):
        train = [data.pages[i] for i in train_idx]
        test = [data.pages[i] for i in test_idx]
        model = EcommerceClassifier(random_state=random_state).fit(
            train, y[train_idx], groups[train_idx])
        probabilities, decisions = model.to_model().decide(test)
        combined[test_idx], decided[test_idx] = probabilities[:, 1], decisions
        bow[test_idx] = _bow_only(train, y[train_idx], test, random_state)
    keyword = np.array([
        1.0 if any(s.name in KEYWORD_RULE_SIGNALS for s in page.signals) else 0.0
        for page in data.pages
    ])
    return {
        "evaluation": f"{n_splits}-fold StratifiedGroupKFold by site, threshold {threshold}",
        "pages": int(len(y)), "sites": int(len(set(groups.tolist()))),
        "positives": int(y.sum()),
        "combined": metrics(y, combined, threshold, decided),
        "bag_of_words": metrics(y, bow, threshold),
        "keyword_rule": metrics(y, keyword, threshold),
    }


def trained_with() -> dict[str, str]:
    from importlib.metadata import version
    import platform

    return {"python": platform.python_version(),
            **{name: version(name) for name in ("scikit-learn", "numpy", "scipy", "selectolax")}}


def train_model(labels_csv: str | Path, pages_dir: str | Path | None, name: str, out: str | Path,
                *, evaluate: bool = True, random_state: int = 0,
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Train on labelled pages, cross-validate, and write the portable model file. Returns the
    model document (without the bulky coefficients' meaning changed)."""
    started = time.perf_counter()
    data = load_labelled_pages(labels_csv, pages_dir, progress)
    scores = cross_validate(data, random_state=random_state) if evaluate else {}
    model = EcommerceClassifier(random_state=random_state).fit(data.pages, data.labels,
                                                               data.groups)
    document = model.to_document()
    document.update({
        "name": name,
        "version": f"{FEATURE_VERSION}.{data.sha256[:10]}",  # same data + code, same version
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "training_data": {"labels_file": Path(labels_csv).name, "pages": len(data.labels),
                          "positives": int(data.labels.sum()),
                          "sites": int(len(set(data.groups.tolist()))),
                          "sha256": data.sha256, "labels_sha256": sha256_file(labels_csv)},
        "training_data_sha256": data.sha256,
        # the fit is deterministic for given data, code and these versions (a later change
        # of any of them can move the vocabulary and coefficients)
        "trained_with": trained_with(),
        "metrics": scores,
        "threshold": 0.5,
        "training_seconds": round(time.perf_counter() - started, 1),
    })
    save_model(document, out)
    return document
