"""Product categories -> COICOP 2018: quality and speed (prints figures; not a test).

    python bench/bench_products.py [--data ../shared/data] [--folds 5] [--skip-cv | --only-cv]
                                   [--params '{"stem_words": true}']

1. Stratified k-fold cross-validation on the Czech receipt items (28,992 names, 314 codes as
   given, trailing spaces trimmed), same folds (shuffled, seed 0) for both models:
   - floor: TF-IDF char_wb 2-5-grams + word 1-2-grams, LinearSVC (C=1), raw text;
   - ecomstat: ProductClassifier with its defaults (char_wb + word views, min_df chosen on a
     held-out slice of the training fold, COICOP group and class SVMs folded into the
     subclass scores, pruned coefficients).
   Accuracy and macro-F1 per fold, mean and sd over folds, and the per-fold paired difference
   (the two models see the same folds, so the difference is steadier than either figure).
2. Training time on 30,000 titles drawn from the default model's training set (calibration
   included), wall and CPU: the defaults before issue 19, the same defaults as now with
   scikit-learn's solver tolerance (1e-4, the defaults until the solver's own 0.1) and now.
3. Prediction speed of the shipped default model (loaded from its JSON file), titles per
   CPU-second and per wall second.
4. The shipped model on inputs it was never meant for (numbers, random strings, other
   languages and scripts) and on a few ordinary ones: category, confidence, review flag.
5. Office-like splits (issue 19: "about 8,300 titles coded to 61 subclasses, scored on as many
   unseen titles"). The office's own split is not in ../shared/data, so two stand-ins of the
   same shape, each trained from scratch as `ecomstat model train products` does: the Czech
   items of the 61 largest subclasses (16,600 drawn stratified, halved stratified) and the
   Walmart/Amazon titles of their 61 largest retailer categories with >= 10 titles (English,
   labels that are not COICOP codes, so no hierarchy: 4,900 titles, halved). Three seeds each;
   printed: the plain TF-IDF + LinearSVC baseline (word unigrams, sklearn defaults), the
   char+word floor, the previous default (`--previous`: min_df 2, no hierarchy) and the
   current default, with the current default's paired gain over the floor.
`--params` (JSON) sets ProductClassifier parameters of "ecomstat" in parts 1 and 2, to measure
an option against the same run's floor, and adds a model "params" to part 5. CPU and wall times are printed with the load average:
the machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC


from ecomstat.classifiers.products.classify import predict  # noqa: E402
from ecomstat.classifiers.products.model import ProductClassifier  # noqa: E402
from ecomstat.classifiers.products.registry import read_model, shipped_path  # noqa: E402
from ecomstat.classifiers.products.train import DEFAULT_DATA, build_training_set  # noqa: E402
from ecomstat.settings import DEFAULTS  # noqa: E402

THRESHOLD = float(DEFAULTS["ECOMSTAT_PRODUCT_REVIEW_THRESHOLD"])
OUT_OF_DOMAIN = [
    "500", "0.5", "2024", "12345", "8594001021499", "xkqzv wptrl", "asdfgh jkl", "qwerty 123",
    "lorem ipsum dolor sit amet", "!!!", "холодильник Bosch", "木製の椅子", "Kühlschrank 300 l",
    "zapatillas running hombre 42", "HP 250 G7 15.6 i5 8GB 256GB", "Lenovo IdeaPad 3 15 16GB",
    "Dell 27 monitor 2560x1440", "iPhone 13 128GB", "Samsung Galaxy S21 5G 128 GB",
]
IN_DOMAIN = ["pivo ležák 0,5l", "rohlík tukový 43g", "mléko polotučné 1l", "Pilsner Urquell 0,5l",
             "Canon EOS 250D", "dog food 15kg", "šampon na vlasy 250ml"]


def floor_model() -> object:
    return make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        ),
        LinearSVC(C=1.0),
    )


def plain_model() -> object:
    return make_pipeline(TfidfVectorizer(sublinear_tf=True), LinearSVC())


PREVIOUS = {"min_df": 2, "hierarchy_weight": 0.0, "calibration_rows": 10_000,
            "max_coefficients": 1_000_000, "tol": 1e-4}  # the defaults before issue 19
SOLVER_1E4 = {"tol": 1e-4}  # issue 19's first hierarchy defaults: scikit-learn's solver tol
PARAMS: dict = {}  # --params: ProductClassifier parameters of "ecomstat" (parts 1, 2) and "params"


def office_like(X: np.ndarray, y: np.ndarray, seed: int, k: int = 61,
                n: int = 16_600) -> tuple[np.ndarray, ...]:
    """The k largest classes, at most n titles drawn stratified, halved stratified."""
    values, counts = np.unique(y, return_counts=True)
    top = set(values[np.argsort(-counts, kind="stable")[:k]].tolist())
    keep = np.array([v in top for v in y])
    X, y = X[keep], y[keep]
    if len(y) > n:
        X, _, y, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=seed)
    return tuple(train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed))


def retailer(data: Path) -> tuple[np.ndarray, np.ndarray]:
    path = data / "products" / "walmart_amazon" / "walmart_amazon_titles_with_category.csv"
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["category"].strip()]
    X = np.array([r["title"] for r in rows], dtype=object)
    y = np.array([r["category"].strip().lower() for r in rows])
    values, counts = np.unique(y, return_counts=True)
    keep = np.isin(y, values[counts >= 10])
    return X[keep], y[keep]


def office_splits(data: Path, seeds: int = 3) -> None:
    X, y = czech(data)
    y = np.array([".".join(v.split(".")[:4]) for v in y])  # subclasses, as an office codes
    sets = {"czech-61": (X, y), "retail-61": retailer(data)}
    models = {
        "plain": lambda: plain_model(), "floor": lambda: floor_model(),
        "previous": lambda: ProductClassifier(calibration_size=0, **PREVIOUS),
        "ecomstat": lambda: ProductClassifier(calibration_size=0),
    }
    if PARAMS:  # --params: the option beside the defaults, same splits
        models["params"] = lambda: ProductClassifier(**{**PARAMS, "calibration_size": 0})
    print("\nOffice-like splits (61 classes, trained on one half, scored on the other):")
    for label, (Xs, ys) in sets.items():
        found: dict[str, list[tuple[float, float]]] = {name: [] for name in models}
        for seed in range(seeds):
            Xtr, Xte, ytr, yte = office_like(Xs, ys, seed)
            for name, make in models.items():
                predicted = make().fit(list(Xtr), list(ytr)).predict(list(Xte))
                found[name].append((accuracy_score(yte, predicted),
                                    f1_score(yte, predicted, average="macro")))
            scores = ", ".join(f"{name} {v[-1][0]:.4f}/{v[-1][1]:.4f}" for name, v in found.items())
            print(f"  {label} seed {seed}: {len(ytr)} train / {len(yte)} test, "
                  f"{len(set(ytr))} classes; {scores} ({load()})", flush=True)
        mean = {name: np.mean(v, axis=0) for name, v in found.items()}
        gain = np.mean(np.subtract(found["ecomstat"], found["floor"]), axis=0) * 100
        print(f"  {label} mean accuracy / macro-F1: " + ", ".join(
            f"{name} {m[0]:.4f} / {m[1]:.4f}" for name, m in mean.items())
            + f"; ecomstat - floor {gain[0]:+.2f} / {gain[1]:+.2f} points")


def czech(data: Path) -> tuple[np.ndarray, np.ndarray]:
    path = data / "products" / "czech_receipts_coicop2018" / "Assets" / "coicop_dict.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    return (np.array([r["name"] for r in rows], dtype=object),
            np.array([r["coicop"].strip() for r in rows]))


def load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (BLAS/joblib workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def fit_predict(name: str, X: np.ndarray, y: np.ndarray, train: np.ndarray,
                test: np.ndarray) -> np.ndarray:
    if name == "floor":
        return floor_model().fit(X[train], y[train]).predict(X[test])
    # calibration_size=0: the calibration sub-model only sets the softmax temperature; the final
    # model, and so every predicted code, is the same without it.
    model = ProductClassifier(**{**PARAMS, "calibration_size": 0}).fit(list(X[train]),
                                                                      list(y[train]))
    return model.predict(list(X[test]))


def cross_validate(X: np.ndarray, y: np.ndarray, folds: int) -> None:
    warnings.filterwarnings("ignore", message="The least populated class")
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y))
    scores: dict[str, dict[str, list[float]]] = {"floor": {}, "ecomstat": {}}
    for k, (train, test) in enumerate(splits, 1):
        for name, metrics in scores.items():
            wall, cpu = time.perf_counter(), cpu_seconds()
            predicted = fit_predict(name, X, y, train, test)
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            metrics.setdefault("accuracy", []).append(accuracy_score(y[test], predicted))
            metrics.setdefault("macro_f1", []).append(f1_score(y[test], predicted, average="macro"))
            print(f"  fold {k} {name:8s}: accuracy {metrics['accuracy'][-1]:.4f}  macro-F1 "
                  f"{metrics['macro_f1'][-1]:.4f}  ({wall:.0f} s wall, {cpu:.0f} s CPU, {load()})",
                  flush=True)
    print(f"\nStratified {folds}-fold CV, Czech COICOP data ({len(y)} titles, "
          f"{len(set(y))} codes), mean (sd over folds):")
    for name, metrics in scores.items():
        print(f"  {name:8s} " + ", ".join(
            f"{m} {np.mean(v):.4f} (sd {np.std(v, ddof=1):.4f})" for m, v in metrics.items()))
    for metric in ("accuracy", "macro_f1"):
        diff = np.subtract(scores["ecomstat"][metric], scores["floor"][metric])
        print(f"  ecomstat - floor, {metric}: per fold " + " ".join(f"{d:+.4f}" for d in diff)
              + f"; mean {diff.mean():+.4f} (sd {diff.std(ddof=1):.4f})")


def training_time(data: Path, n: int = 30_000, previous: bool = True) -> None:
    """Training time of the current defaults (and of the previous ones, same run), and the
    prediction speed of the model the current defaults train."""
    texts, labels, _ = build_training_set(data)
    pick = random.Random(0).sample(range(len(texts)), min(n, len(texts)))
    X, y = [texts[i] for i in pick], [labels[i] for i in pick]
    configs = (("previous", PREVIOUS), ("tol 1e-4", SOLVER_1E4), ("ecomstat", PARAMS))
    for name, params in configs[0 if previous else 2:]:
        wall, cpu = time.perf_counter(), cpu_seconds()
        model = ProductClassifier(**params).fit(X, y)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        print(f"\nTraining {name} on {len(pick)} titles ({len(model.classes_)} codes, calibration"
              f" included): {wall:.1f} s wall, {cpu:.1f} s CPU ({load()}); "
              f"chosen min_df {model.min_df_}", flush=True)
    sample = random.Random(1).sample(texts, min(n, len(texts)))
    wall, cpu = time.perf_counter(), cpu_seconds()
    for start in range(0, len(sample), 2000):
        model.predict_proba(sample[start : start + 2000])
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(f"  that model predicts {len(sample) / cpu:,.0f} titles per CPU-second, "
          f"{len(sample) / wall:,.0f}/s wall ({load()})")


def prediction_speed(data: Path, n: int = 30_000) -> None:
    texts, _, _ = build_training_set(data)
    sample = random.Random(1).sample(texts, min(n, len(texts)))
    started = time.perf_counter()
    loaded = read_model(shipped_path())
    load_seconds = time.perf_counter() - started
    wall, cpu = time.perf_counter(), cpu_seconds()
    for start in range(0, len(sample), 2000):
        loaded.classifier.predict_proba(sample[start : start + 2000])
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    size = shipped_path().stat().st_size / 1e6
    print(f"\nShipped model {shipped_path().name}: {size:.1f} MB, loads in {load_seconds:.1f} s; "
          f"predicts {len(sample) / cpu:,.0f} titles per CPU-second, {len(sample) / wall:,.0f}/s "
          f"wall ({len(sample)} titles, batches of 2000, {load()})")
    print(f"  its held-out metrics: {loaded.metrics}")
    print(f"\nOut-of-domain and ordinary inputs (threshold {THRESHOLD}):")
    for text, result in zip(OUT_OF_DOMAIN + IN_DOMAIN,
                            predict(loaded, OUT_OF_DOMAIN + IN_DOMAIN, threshold=THRESHOLD)):
        flag = "needs_review" if result.needs_review else ""
        print(f"  {result.confidence:.3f} {result.category:10s} {flag:12s} {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--only-cv", action="store_true")
    parser.add_argument("--only-office", action="store_true", help="only the office-like splits")
    parser.add_argument("--skip-office", action="store_true")
    parser.add_argument("--seeds", type=int, default=3, help="office-like splits per data set")
    parser.add_argument("--params", type=json.loads, default={},
                        help='ProductClassifier parameters of "ecomstat", JSON')
    args = parser.parse_args()
    PARAMS.update(args.params)
    if args.only_office:
        office_splits(args.data, args.seeds)
        return
    if not args.skip_cv:
        cross_validate(*czech(args.data), args.folds)
    if not args.only_cv:
        if not args.skip_office:
            office_splits(args.data, args.seeds)
        training_time(args.data)
        prediction_speed(args.data)


if __name__ == "__main__":
    main()
