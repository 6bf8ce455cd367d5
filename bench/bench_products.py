"""Product categories -> COICOP 2018: quality and speed (prints figures; not a test).

    python bench/bench_products.py [--data ../shared/data] [--folds 5] [--skip-cv | --only-cv]

1. Stratified k-fold cross-validation on the Czech receipt items (28,992 names, 314 codes as
   given, trailing spaces trimmed), same folds for both models:
   - floor: TF-IDF char_wb 2-5-grams + word 1-2-grams, LinearSVC (C=1), raw text;
   - ecomstat: ProductClassifier with its defaults (normalised + accent-folded text, balanced
     class weights, pruned coefficients, temperature-calibrated confidences).
   Accuracy and macro-F1 (over the classes present in each test fold). Confidence quality
   (review share, calibration error) comes from the shipped model's held-out slice (step 3).
2. Training time on 30,000 titles drawn from the default model's training set.
3. Prediction speed of the shipped default model (loaded from its JSON file), titles/s.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.products.model import ProductClassifier  # noqa: E402
from classifiers.products.registry import read_model, shipped_path  # noqa: E402
from classifiers.products.train import DEFAULT_DATA, build_training_set  # noqa: E402
from ecomstat.settings import DEFAULTS  # noqa: E402

THRESHOLD = float(DEFAULTS["ECOMSTAT_PRODUCT_REVIEW_THRESHOLD"])


def floor_model() -> object:
    return make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        ),
        LinearSVC(C=1.0),
    )


def czech(data: Path) -> tuple[np.ndarray, np.ndarray]:
    path = data / "products" / "czech_receipts_coicop2018" / "Assets" / "coicop_dict.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return (np.array([r["name"] for r in rows], dtype=object),
            np.array([r["coicop"].strip() for r in rows]))


def cross_validate(X: np.ndarray, y: np.ndarray, folds: int) -> None:
    warnings.filterwarnings("ignore", message="The least populated class")
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y))
    results: dict[str, dict[str, list[float]]] = {"floor": {}, "ecomstat": {}}
    for k, (train, test) in enumerate(splits, 1):
        for name in results:
            started = time.perf_counter()
            if name == "floor":
                model = floor_model().fit(X[train], y[train])
                predicted = model.predict(X[test])
            else:
                # calibration_size=0: the calibration fit only sets the softmax temperature, the
                # final model (and so every predicted code) is the same; this halves the time.
                model = ProductClassifier(calibration_size=0).fit(list(X[train]), list(y[train]))
                predicted = model.predict(list(X[test]))
            seconds = time.perf_counter() - started
            results[name].setdefault("accuracy", []).append(accuracy_score(y[test], predicted))
            results[name].setdefault("macro_f1", []).append(
                f1_score(y[test], predicted, average="macro"))
            results[name].setdefault("fit_predict_s", []).append(seconds)
            print(f"  fold {k} {name}: acc {results[name]['accuracy'][-1]:.4f} "
                  f"macro-F1 {results[name]['macro_f1'][-1]:.4f} ({seconds:.0f}s)", flush=True)
    print(f"\nStratified {folds}-fold CV, Czech COICOP data ({len(y)} titles, "
          f"{len(set(y))} codes):")
    for name, metrics in results.items():
        line = ", ".join(f"{m} {np.mean(v):.4f} (sd {np.std(v):.4f})" for m, v in metrics.items())
        print(f"  {name:9s} {line}")


def training_time(data: Path, n: int = 30_000) -> None:
    texts, labels, _ = build_training_set(data)
    pick = random.Random(0).sample(range(len(texts)), min(n, len(texts)))
    started, cpu = time.perf_counter(), time.process_time()
    model = ProductClassifier().fit([texts[i] for i in pick], [labels[i] for i in pick])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"\nTraining on {len(pick)} titles ({len(model.classes_)} codes, calibration included): "
          f"{seconds:.1f} s wall, {cpu:.1f} s CPU")


def prediction_speed(data: Path, n: int = 30_000) -> None:
    texts, _, _ = build_training_set(data)
    sample = random.Random(1).sample(texts, min(n, len(texts)))
    started = time.perf_counter()
    loaded = read_model(shipped_path())
    load_seconds = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(sample), 2000):
        loaded.classifier.predict_proba(sample[start : start + 2000])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = shipped_path().stat().st_size / 1e6
    print(f"\nShipped model {shipped_path().name}: {size:.1f} MB, loads in {load_seconds:.1f} s; "
          f"predicts {len(sample) / seconds:,.0f} titles/s wall, {len(sample) / cpu:,.0f} per CPU-second "
          f"({len(sample)} titles, batches of 2000)")
    metrics = loaded.metrics
    print(f"  its held-out metrics: {metrics}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--only-cv", action="store_true")
    args = parser.parse_args()
    if not args.skip_cv:
        cross_validate(*czech(args.data), args.folds)
    if not args.only_cv:
        training_time(args.data)
        prediction_speed(args.data)


if __name__ == "__main__":
    main()
