"""The training script reproduces the shipped e-commerce model from ../shared/data/pages: same
vocabulary, idf, coefficients and calibration (the fit is deterministic for given data, code and
library versions, which the model file records)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers.ecommerce.registry import shipped_path
from classifiers.ecommerce.training import train_model, trained_with

# what may differ between two trainings of the same model
NOT_COMPARED = {"created", "training_seconds", "metrics"}


def test_training_script_reproduces_the_shipped_model(shared_data: Path, tmp_path: Path) -> None:
    shipped = json.loads(shipped_path("default").read_text(encoding="utf-8"))
    if shipped.get("trained_with") != trained_with():
        pytest.skip(f"shipped model trained with {shipped.get('trained_with')}, installed "
                    f"{trained_with()}: retrain it (python -m classifiers.ecommerce.train)")
    document = train_model(shared_data / "pages" / "labels.csv", None, "default",
                           tmp_path / "model.json", evaluate=False)
    retrained = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert document["training_data_sha256"] == shipped["training_data_sha256"]
    differing = sorted(key for key in (set(shipped) | set(retrained)) - NOT_COMPARED
                       if shipped.get(key) != retrained.get(key))
    assert differing == []
