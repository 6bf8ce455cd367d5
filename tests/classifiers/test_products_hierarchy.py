"""ProductClassifier, issue 19: coarse-to-fine COICOP scoring and min_df chosen on held-out rows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.base import clone

from ecomstat.classifiers.products.model import ProductClassifier, parent_levels
from ecomstat.classifiers.products.serialise import as_dict, from_dict

# Two groups (01.1 food, 02.1 alcohol); in 01.1 two classes (01.1.1 cereals, 01.1.2 meat), in
# 01.1.1 two subclasses: siblings share a parent, so the parents' SVMs differ from the
# subclasses'.
WORDS = {
    "01.1.1.1": ["rýže dlouhozrnná", "rice basmati", "Reis Jasmin", "rýže parboiled",
                 "rice arborio", "kroupy"],
    "01.1.1.2": ["mouka hladká", "wheat flour", "Weizenmehl", "mouka polohrubá", "rye flour",
                 "Dinkelmehl"],
    "01.1.2.1": ["hovězí zadní", "beef steak", "Rinderhack", "hovězí maso", "beef mince",
                 "Rindersteak"],
    "02.1.3.0": ["pivo ležák", "lager beer", "Pils Bier", "pivo světlé", "pale ale",
                 "Weissbier"],
}
EXTRAS = ["", "1kg", "bio", "500 g", "Tesco", "akce 2x"]


def titles() -> tuple[list[str], list[str]]:
    rows = [(f"{word} {extra}".strip(), code) for code, words in WORDS.items()
            for word, extra in itertools.product(words, EXTRAS)]
    return [t for t, _ in rows], [c for _, c in rows]


def test_parent_levels_are_read_from_dotted_codes() -> None:
    assert parent_levels(["01.1.1.1", "02.1.3.0"]) == [2, 3]
    assert parent_levels(["01.1.1", "01.1.2"]) == [2]  # classes: only groups above them
    assert parent_levels(["01.1", "02.1"]) == []
    assert parent_levels(["01.1.1.1", "electronics"]) == []  # a shop's own names: no hierarchy


def test_parent_scores_fold_into_the_subclass_scores() -> None:
    """hierarchy_weight w: score(subclass) = own SVM + w x (its group's + its class's SVM), in
    one linear model; the parents are the same SVM fitted on the truncated codes."""
    X, y = titles()
    fixed = {"calibration_size": 0, "min_df": 1, "max_coefficients": None}
    flat = ProductClassifier(hierarchy_weight=0, **fixed).fit(X, y)
    coarse = ProductClassifier(hierarchy_weight=0.7, **fixed).fit(X, y)
    probe = ["rýže", "Weizenmehl 1kg", "hovězí", "pivo", "rice flour beef beer"]
    expected = flat.decision_function(probe)
    for depth in (2, 3):
        parent = ProductClassifier(hierarchy_weight=0, **fixed).fit(
            X, [".".join(c.split(".")[:depth]) for c in y])
        rows = np.searchsorted(parent.classes_, [".".join(c.split(".")[:depth])
                                                 for c in flat.classes_])
        expected = expected + 0.7 * parent.decision_function(probe)[:, rows]
    assert list(coarse.classes_) == list(flat.classes_)
    assert not np.allclose(coarse.decision_function(probe), flat.decision_function(probe))
    np.testing.assert_allclose(coarse.decision_function(probe), expected, atol=1e-4)


def test_labels_that_are_not_codes_train_without_parents() -> None:
    X, y = titles()
    names = {"01.1.1.1": "rice", "01.1.1.2": "flour", "01.1.2.1": "beef", "02.1.3.0": "beer"}
    labels = [names[c] for c in y]
    with_weight = ProductClassifier(calibration_size=0, hierarchy_weight=1.0).fit(X, labels)
    without = ProductClassifier(calibration_size=0, hierarchy_weight=0.0).fit(X, labels)
    np.testing.assert_allclose(with_weight.decision_function(["pivo", "rice"]),
                               without.decision_function(["pivo", "rice"]))


def test_min_df_auto_is_chosen_on_held_out_training_rows_and_reproducible() -> None:
    X, y = titles()
    model = ProductClassifier(calibration_size=0.25).fit(X, y)
    assert model.get_params()["min_df"] == "auto"  # the parameter stays as given
    assert model.min_df_ in (1, 2) and model.holdout_metrics_["min_df"] == model.min_df_
    again = clone(model).fit(X, y)
    assert again.min_df_ == model.min_df_
    np.testing.assert_array_equal(again.decision_function(X), model.decision_function(X))
    # without calibration the slice is still held out to choose, and the temperature stays 1
    uncalibrated = ProductClassifier(calibration_size=0).fit(X, y)
    assert uncalibrated.min_df_ in (1, 2) and uncalibrated.temperature_ == 1.0
    fixed = ProductClassifier(calibration_size=0, min_df=2).fit(X, y)
    assert fixed.min_df_ == 2 and fixed.holdout_metrics_ == {}


@pytest.mark.parametrize("params", [{}, {"hierarchy_weight": 0.0, "min_df": 2}])
def test_portable_file_keeps_the_new_parameters(params: dict) -> None:
    X, y = titles()
    model = ProductClassifier(calibration_size=0.25, **params).fit(X, y)
    rebuilt = from_dict(as_dict(model))
    assert rebuilt.get_params() == model.get_params()
    assert list(rebuilt.predict(X)) == list(model.predict(X))


def test_tol_reaches_the_solver() -> None:
    """tol (0.1 by default, liblinear's own) is the solver's: a huge one stops it early."""
    X, y = titles()
    fixed = {"calibration_size": 0, "min_df": 1}
    assert ProductClassifier().get_params()["tol"] == 0.1
    default = ProductClassifier(**fixed).fit(X, y)
    sloppy = ProductClassifier(tol=1e3, **fixed).fit(X, y)
    assert not np.allclose(default.coef_.toarray(), sloppy.coef_.toarray())
