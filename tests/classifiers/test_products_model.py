"""ProductClassifier: text normalisation, the estimator contract, confidences, portable JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from products_fixtures import labelled_titles  # noqa: E402

from ecomstat.classifiers.errors import ModelFileError  # noqa: E402
from ecomstat.classifiers.products import registry  # noqa: E402
from ecomstat.classifiers.products.coicop import ancestors, is_code, level, title  # noqa: E402
from ecomstat.classifiers.products.model import ProductClassifier, prepare  # noqa: E402
from ecomstat.classifiers.products.serialise import decode_row, encode_row  # noqa: E402
from ecomstat.classifiers.products.text import char_view, fold, listing_text, normalise  # noqa: E402
from ecomstat.classifiers.products.training import fit_document  # noqa: E402


@pytest.fixture(scope="module")
def data() -> tuple[list[str], list[str]]:
    rows = labelled_titles()
    return [t for t, _ in rows], [c for _, c in rows]


@pytest.fixture(scope="module")
def fitted(data: tuple[list[str], list[str]]) -> ProductClassifier:
    return ProductClassifier(calibration_size=0.25, max_coefficients=5000).fit(*data)


def test_normalise_writes_quantities_one_way_and_keeps_numbers() -> None:
    assert normalise("Mléko 0,5l") == normalise("mléko 0.5 L") == "mléko 0.5l"
    assert normalise("MLÉKO 1L") == "mléko 1l" and normalise("RAM 16 GB") == "ram 16gb"
    assert normalise("Wasser 6x1,5L") == normalise("wasser 6 x 1.5 l") == "wasser 6x 1.5l"
    assert normalise("rok 2024") != normalise("rok 1999")  # numbers are no longer collapsed
    assert normalise("pivo EAN 8594001021499") == "pivo ean"  # codes say nothing of the kind
    # the character view: folded, digit-free, so spellings and quantities meet
    assert char_view(normalise("ROHLÍK 43g")) == char_view(normalise("rohlik 50 g")) == "rohlik g"
    assert fold(normalise("Rohlík")) == fold(normalise("rohlik"))
    assert prepare(["Laptop 16GB"]) == {"char": ["laptop gb"], "word": ["laptop 16gb"]}
    assert normalise(None) == normalise("") == ""
    assert listing_text("Rohlík", "Pečivo > Běžné", "Čerstvý " * 100).count("Čerstvý") == 30


def test_coicop_codes() -> None:
    assert is_code("01.1.1.1") and is_code("01") and is_code("03.1.2.1.1")
    assert not is_code("1.1") and not is_code("01.1.") and not is_code("food")
    assert ancestors("01.1.1.1") == ["01.1.1", "01.1", "01"]
    assert level("09.8.0.0.1") == 5
    assert title("01.1.1.1") == "Cereals (ND)"
    assert title("03.1.2.1.1") == title("03.1.2.1")  # national extension -> its subclass


def test_fit_follows_the_estimator_contract(data, fitted: ProductClassifier) -> None:
    assert sorted(set(data[1])) == list(fitted.classes_)
    params = fitted.get_params()
    assert clone(fitted).get_params() == params
    assert not hasattr(clone(fitted), "coef_")
    assert fitted.temperature_ > 0 and 0 < fitted.holdout_metrics_["holdout_accuracy"] <= 1


def test_predicts_unseen_variants_and_doubts_nonsense(fitted: ProductClassifier) -> None:
    titles = ["Billa mouka hladká 2kg", "lager beer 0,33l", "laptop lenovo 15.6\"",
              "granule pro kočky", "šampon 250ml"]
    expected = ["01.1.1.2", "02.1.3.0", "08.1.3.1", "09.3.2.2", "13.1.2.0"]
    assert list(fitted.predict(titles)) == expected
    nonsense = ["", "qxzv jjjk", None, "12345", "8594001021499", "холодильник", "木製の椅子"]
    proba = fitted.predict_proba(titles + nonsense)
    assert np.allclose(proba.sum(axis=1), 1.0)
    known, unknown = proba[:5].max(axis=1), proba[5:].max(axis=1)
    assert unknown.max() < known.min()


def test_a_few_titles_sharing_no_word_still_train() -> None:
    titles = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    model = ProductClassifier().fit(titles, ["01.1.1.1"] * 4 + ["02.1.3.0"] * 4)
    assert list(model.predict(["alpha", "hotel"])) == ["01.1.1.1", "02.1.3.0"]


def test_a_bare_number_is_weak_evidence(data) -> None:
    texts = data[0] + ["pivo 12", "ležák 12", "lager 12", "pivo 10", "ale 11", "pils 12"]
    labels = data[1] + ["02.1.3.0"] * 6
    spread = {}
    for weight in (1.0, 0.3):
        model = ProductClassifier(number_weight=weight, calibration_size=0).fit(texts, labels)
        assert "12" in model.vectorizers_["word"].vocabulary_
        scores = model.decision_function(["12"])[0]
        spread[weight] = scores.max() - np.sort(scores)[-2]
    assert 0 < spread[0.3] < spread[1.0]


def test_shipped_model_doubts_what_it_never_saw() -> None:
    from ecomstat.classifiers.products.classify import predict

    loaded = registry.read_model(registry.shipped_path())
    unknown = ["12345", "2024", "8594001021499", "xkqzv wptrl", "холодильник", "木製の椅子", "!!!"]
    known = ["pivo ležák 0,5l", "rohlík tukový 43g", "šampon na vlasy 250ml"]
    results = predict(loaded, unknown + known, threshold=0.5)
    assert all(r.needs_review and r.confidence < 0.2 for r in results[: len(unknown)])
    assert [r.category for r in results[len(unknown):]] == ["02.1.3.0", "01.1.1.3", "13.1.2.0"]
    assert not any(r.needs_review for r in results[len(unknown):])


def test_coefficient_rows_round_trip() -> None:
    rng = np.random.default_rng(0)
    indices = np.sort(rng.choice(10_000, 300, replace=False))
    values = rng.normal(size=300).astype(np.float32)
    back_i, back_v = decode_row(encode_row(indices, values))
    assert set(back_i) <= set(indices)
    lookup = dict(zip(back_i, back_v))
    scale = np.abs(values).max() / 1023
    assert all(abs(lookup.get(i, 0.0) - v) <= scale / 2 + 1e-6 for i, v in zip(indices, values))


def test_portable_file_predicts_like_the_fitted_model(tmp_path: Path, data) -> None:
    classifier, document = fit_document(*data, name="unit", params={"calibration_size": 0.2})
    path = registry.write_model(document, tmp_path / "products-unit.json")
    assert b"pickle" not in path.read_bytes()[:0]  # plain JSON
    loaded = registry.read_model(path)
    probe = ["pivo 0,5l", "cat food", "notebook", "unknown thing"]
    assert loaded.version == document["version"] and len(loaded.version) == 12
    assert np.abs(loaded.classifier.predict_proba(probe) - classifier.predict_proba(probe)).max() < 0.01
    assert list(loaded.classifier.predict(probe[:3])) == list(classifier.predict(probe[:3]))
    # same data and parameters -> same version (re-training is an idempotent upsert)
    assert fit_document(*data, name="unit", params={"calibration_size": 0.2})[1]["version"] == loaded.version


def test_model_files_of_older_text_features_are_refused(tmp_path: Path, data) -> None:
    _, document = fit_document(*data, name="old", params={"calibration_size": 0})
    del document["model"]["features"]  # as written before numbers were kept
    path = registry.write_model(document, tmp_path / "products-old.json")
    with pytest.raises(ModelFileError, match="retrain"):
        registry.read_model(path)


def test_broken_model_files_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "products-bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelFileError):
        registry.read_model(bad)
    other = tmp_path / "products-other.json"
    registry.write_model({"kind": "ecommerce"}, other)
    with pytest.raises(ModelFileError, match="not a products model"):
        registry.read_model(other)


def test_backoff_answers_with_a_sure_parent() -> None:
    from ecomstat.classifiers.products.classify import _backoff

    classes = np.array(["01.1.1.1", "01.1.1.2", "01.1.2.1", "02.1.3.0"])
    # unsure between two cereals subclasses, sure it is a cereal (01.1.1)
    assert _backoff(classes, np.array([0.4, 0.35, 0.15, 0.1]), 0.5) == ("01.1.1", pytest.approx(0.75))
    # sure leaf stays a leaf
    assert _backoff(classes, np.array([0.8, 0.1, 0.05, 0.05]), 0.5) == ("01.1.1.1", 0.8)
    # nothing sure at any level: the leaf, to be reviewed
    assert _backoff(classes, np.array([0.3, 0.0, 0.0, 0.7]), 0.9)[0] == "02.1.3.0"


def test_shipped_default_model_is_portable_and_documented() -> None:
    from ecomstat.classifiers.portable import load_model
    from ecomstat.classifiers.products.coicop import titles as coicop_titles

    path = registry.shipped_path()
    # 3M coefficients since the COICOP parents fold in (1M lost most of their gain): 6.2 MB
    assert path.stat().st_size < 8_000_000
    document = load_model(path)
    assert document["kind"] == "products" and document["format"].startswith("ecomstat-model/")
    assert len(document["training_data_sha256"]) == 64 and document["version"]
    assert set(document["model"]["classes"]) <= set(coicop_titles())
    assert document["metrics"]["holdout_macro_f1"] > 0.5
    assert document["metrics"]["holdout_fit_rows"] > 30_000  # calibrated on a full-size sub-model
