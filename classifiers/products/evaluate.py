"""Score a fitted products model on an office's labelled titles (held out: no refitting)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score

from ecomstat.classifiers.products.classify import predict
from ecomstat.classifiers.products.coicop import level, truncate
from ecomstat.classifiers.products.inputs import read_labels
from ecomstat.classifiers.products.registry import LoadedModel
from ecomstat.classifiers.products.training import data_sha256


def evaluate_on(loaded: LoadedModel, labels_csv: str | Path, *, threshold: float,
                encoding: str | None = None) -> dict[str, Any]:
    """Accuracy and macro-F1 of `loaded` on a `title,category` CSV. Labels may be at any
    COICOP level: a prediction counts as right when it is at least as deep as the label and
    falls under it (`01.1.1.1` is right for the label `01.1`). Also reported: the share of
    titles flagged for review at `threshold`, and the accuracy on the others (what automatic
    coding would get right)."""
    data = read_labels(labels_csv, min_rows=1, encoding=encoding)
    predictions = predict(loaded, data.texts, threshold=threshold)
    shown = [_at_level(p.category, label) for p, label in zip(predictions, data.labels)]
    right = [s == label for s, label in zip(shown, data.labels)]
    sure = [r for r, p in zip(right, predictions) if not p.needs_review]
    sha = data_sha256(data.texts, data.labels)
    return {
        "model": loaded.name, "version": loaded.version, "titles": len(data.labels),
        "categories": len(set(data.labels)), "threshold": threshold, "data_sha256": sha,
        "same_data_as_training": sha == loaded.document.get("training_data_sha256"),
        "accuracy": round(sum(right) / len(right), 4),
        "macro_f1": round(float(f1_score(data.labels, shown, average="macro",
                                         labels=sorted(set(data.labels)), zero_division=0)), 4),
        "needs_review_share": round(1 - len(sure) / len(right), 4),
        "accuracy_not_flagged": round(sum(sure) / len(sure), 4) if sure else None,
    }


def _at_level(predicted: str, label: str) -> str:
    """The prediction at the label's level (unchanged when it is coarser: then it is wrong)."""
    depth = level(label)
    return truncate(predicted, depth) if level(predicted) >= depth else predicted


def is_titles_csv(path: str | Path) -> bool:
    """Whether a labels file is for a products model (`title` and `category` in its header)
    rather than an e-commerce one (`file,ecommerce`)."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(4096).decode("utf-8", "replace").lower()
    except OSError:
        return False
    columns = {c.strip().strip('"\ufeff') for c in first.replace(";", ",").replace("\t", ",")
               .split(",")}
    return {"title", "category"} <= columns
