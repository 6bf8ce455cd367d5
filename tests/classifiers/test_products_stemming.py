"""ProductClassifier, issue 19: the word view's light Czech stemmer (`stem_words`)."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from ecomstat.classifiers.products.model import ProductClassifier, prepare
from ecomstat.classifiers.products.serialise import as_dict, from_dict
from ecomstat.classifiers.products.text import normalise, stem, stemmed

TRAIN = {
    "01.1.1.3": ["rohlík tukový", "chléb kmínový", "rohlík celozrnný", "bageta francouzská",
                 "chléb žitný", "houska sezamová"],
    "01.1.2.5": ["knedlík játrový", "paštika játrová", "salám vysočina", "klobása hovězí",
                 "šunka dušená", "párek vídeňský"],
    "02.1.3.0": ["pivo ležák", "pivo světlé výčepní", "lager beer", "pivo nealko",
                 "pale ale", "pivo řezané"],
}


def titles() -> tuple[list[str], list[str]]:
    rows = [(title, code) for code, names in TRAIN.items() for title in names]
    return [t for t, _ in rows], [c for _, c in rows]


def test_stem_cuts_inflection_endings_only() -> None:
    assert stem("rohlíky") == stem("rohlík") == "rohlík"
    assert stem("játrové") == stem("játrový") == stem("játrová") == "játr"
    assert stem("knedlíky") == stem("knedlíků") == "knedlík"
    # short words, numbers with units and codes stay as they are; a stem keeps 3 letters
    assert [stem(w) for w in ("rýže", "pivo", "0.5l", "16gb", "t480")] == [
        "rýže", "pivo", "0.5l", "16gb", "t480"]
    assert len(stem("vodou")) >= 3
    assert stemmed(normalise("Játrové knedlíky 0,5 kg")) == "játr knedlík 0.5kg"


def test_prepare_stems_the_word_view_only() -> None:
    plain, stems = prepare(["Rohlíky tukové 43g"]), prepare(["Rohlíky tukové 43g"], True)
    assert plain["word"] == ["rohlíky tukové 43g"] and stems["word"] == ["rohlík tuk 43g"]
    assert plain["char"] == stems["char"] == ["rohliky tukove g"]


def test_word_features_meet_across_inflections() -> None:
    X, y = titles()
    stemming = ProductClassifier(calibration_size=0, min_df=1, stem_words=True).fit(X, y)
    plain = ProductClassifier(calibration_size=0, min_df=1).fit(X, y)
    assert ProductClassifier().get_params()["stem_words"] is False  # the default, for now
    # `rohlíky` (plural, never in training) hits the word feature of `rohlík` only when stemmed
    assert stemming.vectorizers_["word"].transform(["rohlík"]).nnz == 1
    assert plain.vectorizers_["word"].transform(["rohlíky"]).nnz == 0
    assert stemming.predict(["knedlíky játrové"])[0] == "01.1.2.5"
    assert not np.allclose(stemming.decision_function(["rohlíky"]),
                           plain.decision_function(["rohlíky"]))


def test_stemming_is_reproducible_and_portable() -> None:
    X, y = titles()
    model = ProductClassifier(calibration_size=0.25, random_state=3, stem_words=True).fit(X, y)
    again = clone(model).fit(X, y)
    np.testing.assert_array_equal(again.decision_function(X), model.decision_function(X))
    rebuilt = from_dict(as_dict(model))
    assert rebuilt.stem_words is True
    assert list(rebuilt.predict(X)) == list(model.predict(X))


def test_model_files_from_before_stemming_read_unstemmed_words() -> None:
    X, y = titles()
    old = ProductClassifier(calibration_size=0).fit(X, y)
    document = as_dict(old)
    del document["params"]["stem_words"]  # as written before the parameter existed
    rebuilt = from_dict(document)
    assert rebuilt.stem_words is False
    np.testing.assert_allclose(rebuilt.decision_function(X), old.decision_function(X), atol=0.02)
