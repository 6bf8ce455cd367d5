"""Fit the match scorer and write the shipped coefficients (register/data/match_model.json).

    python -m ecomstat.training.matcher --fodors ../shared/data/register/fodors_zagats/fodors-zagats_pairs.csv \
        [--sample-web-n 300 --sample-web-seed 1] [--out register/data/match_model.json]

Training pairs: Fodors-Zagats train+valid splits (real restaurant records with gold labels:
name, address, city, phone) and, optionally, (enterprise, site) pairs from a generated sample
web (seed differs from the demo's, so the demo's accuracy is out of sample), which carry the
web-only features (VAT/company ids, e-mail domain, postcode, domain name), plus an
"out-of-date register" copy of each id-confirmed true pair (see sampleweb_pairs). Reported metrics:
precision/recall/F1 at 0.5 on the Fodors-Zagats test split, never used in fitting.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ecomstat.register.features import FEATURES, pair_features
from ecomstat.register.fodors_zagats import load_pairs
from ecomstat.register.scorer import MatchScorer

MODEL_VERSION = "match-lr-1"


def prf(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    tp = int(((y_pred == 1) & (y_true == 1)).sum())
    fp = int(((y_pred == 1) & (y_true == 0)).sum())
    fn = int(((y_pred == 0) & (y_true == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def fodors_zagats_matrix(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pairs = load_pairs(path)
    X = np.array([pair_features(rec, site) for _, rec, site, _ in pairs])
    y = np.array([label for *_, label in pairs])
    split = np.array([s for s, *_ in pairs])
    return X, y, split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecomstat.training.matcher")
    parser.add_argument("--fodors", type=Path, required=True)
    parser.add_argument("--sample-web-n", type=int, default=0)
    parser.add_argument("--sample-web-seed", type=int, default=1)
    parser.add_argument("--eval-sample-web-seed", type=int, default=None,
                        help="also score pairs of a held-out sample web (same n, this seed)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "match_model.json")
    args = parser.parse_args(argv)

    X, y, split = fodors_zagats_matrix(args.fodors)
    train = split != "test"
    X_fit, y_fit = X[train], y[train]
    sources = {"fodors_zagats_train_valid": int(train.sum())}
    if args.sample_web_n:
        from ecomstat.training.sampleweb_pairs import sample_web_pairs

        Xw, yw = sample_web_pairs(args.sample_web_n, args.sample_web_seed)
        X_fit, y_fit = np.vstack([X_fit, Xw]), np.concatenate([y_fit, yw])
        sources[f"sample_web_n{args.sample_web_n}_seed{args.sample_web_seed}"] = len(yw)
    scorer = MatchScorer(version=MODEL_VERSION).fit(X_fit, y_fit)
    probs = scorer.predict_proba(X[~train])
    test_metrics = prf(y[~train], (probs >= 0.5).astype(int))
    test_metrics["brier"] = round(float(np.mean((probs - y[~train]) ** 2)), 4)
    scorer.metrics = {"fodors_zagats_test": test_metrics, "training_pairs": sources,
                      "positives": int(y_fit.sum())}
    if args.sample_web_n and args.eval_sample_web_seed is not None:
        from ecomstat.training.sampleweb_pairs import sample_web_pairs

        Xe, ye = sample_web_pairs(args.sample_web_n, args.eval_sample_web_seed, augment=False)
        pe = scorer.predict_proba(Xe)
        held_out = prf(ye, (pe >= 0.5).astype(int))
        held_out["brier"] = round(float(np.mean((pe - ye) ** 2)), 4)
        scorer.metrics[f"sample_web_heldout_seed{args.eval_sample_web_seed}_pairs"] = held_out
    scorer.save(args.out)
    print(json.dumps({"coef": dict(zip(FEATURES, scorer.coef_.round(3).tolist())),
                      "intercept": round(scorer.intercept_, 3), **scorer.metrics}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
