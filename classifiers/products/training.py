"""Training a products model from labelled titles and registering it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ecomstat.classifiers.errors import TrainingDataError
from ecomstat.classifiers.products import registry
from ecomstat.classifiers.products.inputs import read_labels
from ecomstat.classifiers.products.model import ProductClassifier


def data_sha256(texts: Sequence[str], labels: Sequence[str]) -> str:
    """A hash of the training examples themselves (not the file), so the same labels give the
    same hash whatever the file's encoding or column order."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels):
        digest.update(text.encode("utf-8") + b"\t" + label.encode("utf-8") + b"\n")
    return digest.hexdigest()


def fit_document(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    name: str,
    params: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[ProductClassifier, dict[str, Any]]:
    """Fit a ProductClassifier and wrap it in a model document (not yet written)."""
    classifier = ProductClassifier(**(params or {}))
    started = time.perf_counter()
    try:
        classifier.fit(list(texts), list(labels))
    except ValueError as exc:
        raise TrainingDataError(f"cannot train on these labels: {exc}") from None
    seconds = time.perf_counter() - started
    sha = data_sha256(texts, labels)
    settings = json.dumps(classifier.get_params(), sort_keys=True, default=str)
    # Same data and parameters -> same version, so re-training is an idempotent upsert.
    version = hashlib.sha256((sha + settings).encode()).hexdigest()[:12]
    metrics = {
        **classifier.holdout_metrics_,
        "n_train": len(texts),
        "n_classes": int(len(classifier.classes_)),
        "train_seconds": round(seconds, 1),
    }
    document = registry.model_document(
        classifier, name=name, version=version, training_data_sha256=sha, metrics=metrics,
        extra=extra,
    )
    return classifier, document


def train_from_csv(
    labels_path: str | Path,
    name: str,
    *,
    data_dir: Path,
    engine: Engine | None = None,
    params: dict[str, Any] | None = None,
    encoding: str | None = None,
) -> registry.LoadedModel:
    """`ecomstat model train products`: read and check the labels, fit, write
    `DATA_DIR/models/products-NAME.json`, record it in the store's `model` table."""
    registry.check_name(name)
    if name == registry.DEFAULT_NAME:
        raise TrainingDataError("'default' names the model shipped with ecomstat; pick another")
    data = read_labels(labels_path, encoding=encoding)
    classifier, document = fit_document(
        data.texts, data.labels, name=name, params=params,
        extra={"source": Path(labels_path).name},
    )
    path = registry.write_model(document, registry.user_path(data_dir, name))
    loaded = registry.LoadedModel(name, document["version"], classifier, path, document)
    if engine is not None:
        registry.register(engine, loaded)
    return loaded
