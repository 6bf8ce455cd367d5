"""The training script reproduces the shipped e-commerce model from ../shared/data/pages: same
vocabulary, idf, coefficients and calibration (the fit is deterministic for given data, code and
library versions, which the model file records). With other library versions installed (a patch
release of numpy or scikit-learn) the test does not skip: it checks the retrained model against
the shipped one within tolerances that a numerical difference stays inside and a real change of
the training does not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ecomstat.classifiers.ecommerce.model import EcommerceModel
from ecomstat.classifiers.ecommerce.registry import shipped_path
from ecomstat.classifiers.ecommerce.training import load_labelled_pages, train_model, trained_with

# what may differ between two trainings of the same model
NOT_COMPARED = {"created", "training_seconds", "metrics"}
# with other library versions: vocabulary overlap and the largest change of a page's probability
MIN_VOCABULARY_OVERLAP = 0.99
MAX_PROBABILITY_CHANGE = 0.02


def test_training_script_reproduces_the_shipped_model(shared_data: Path, tmp_path: Path) -> None:
    shipped = json.loads(shipped_path("default").read_text(encoding="utf-8"))
    labels = shared_data / "pages" / "labels.csv"
    document = train_model(labels, None, "default", tmp_path / "model.json", evaluate=False)
    retrained = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    assert document["training_data_sha256"] == shipped["training_data_sha256"]
    if shipped.get("trained_with") == trained_with():
        differing = sorted(key for key in (set(shipped) | set(retrained)) - NOT_COMPARED
                           if shipped.get(key) != retrained.get(key))
        assert differing == []
        return
    # other library versions: the same model up to numerical differences
    shipped_terms = set(shipped["vectorizer"]["terms"])
    retrained_terms = set(retrained["vectorizer"]["terms"])
    overlap = len(shipped_terms & retrained_terms) / len(shipped_terms | retrained_terms)
    assert overlap >= MIN_VOCABULARY_OVERLAP, f"vocabulary overlap {overlap:.4f}"
    pages = load_labelled_pages(labels).pages
    before = EcommerceModel.from_document(shipped).predict_proba(pages)
    after = EcommerceModel.from_document(retrained).predict_proba(pages)
    change = float(np.max(np.abs(np.asarray(before) - np.asarray(after))))
    assert change <= MAX_PROBABILITY_CHANGE, (
        f"retrained with {trained_with()} (shipped: {shipped.get('trained_with')}): a page's "
        f"probability moved by {change:.4f}; retrain the shipped model "
        "(python -m classifiers.ecommerce.train)")
