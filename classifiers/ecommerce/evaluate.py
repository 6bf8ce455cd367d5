"""Score a fitted e-commerce model on labelled pages (held out: no refitting)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecomstat.classifiers.ecommerce.model import EcommerceModel
from ecomstat.classifiers.ecommerce.training import load_labelled_pages, metrics


def evaluate_on(model: EcommerceModel, labels_csv: str | Path,
                pages_dir: str | Path | None = None) -> dict[str, Any]:
    data = load_labelled_pages(labels_csv, pages_dir)
    probabilities, decisions = model.decide(data.pages)
    return {"model": model.name, "version": model.version, "pages": int(len(data.labels)),
            "positives": int(data.labels.sum()), "threshold": model.threshold,
            "data_sha256": data.sha256,
            "same_data_as_training": data.sha256 == model.document.get("training_data_sha256"),
            **metrics(data.labels, probabilities[:, 1], model.threshold, decisions)}
