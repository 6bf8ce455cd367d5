"""fit_tfidf and GroupFolds: scikit-learn's results, with ties broken by the term or group label."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from ecomstat.classifiers.reproducible import GroupFolds, fit_tfidf

WORDS = [f"w{i:03d}" for i in range(300)]


def _corpus(seed: int, documents: int = 120) -> list[str]:
    rng = random.Random(seed)
    # Zipf-like frequencies: many distinct counts at the top, many ties in the tail.
    weights = [1.0 / (rank + 1) for rank in range(len(WORDS))]
    return [" ".join(rng.choices(WORDS, weights, k=rng.randint(5, 40))) for _ in range(documents)]


def _vectorizer(limit: int | None) -> TfidfVectorizer:
    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True,
                           max_features=limit)


def test_without_a_limit_it_is_scikit_learns_fit() -> None:
    texts = _corpus(1)
    ours, theirs = fit_tfidf(_vectorizer(None), texts), _vectorizer(None).fit(texts)
    assert ours.vocabulary_ == theirs.vocabulary_
    np.testing.assert_array_equal(ours.idf_, theirs.idf_)


def test_a_limit_between_distinct_frequencies_gives_scikit_learns_vocabulary() -> None:
    texts = _corpus(2)
    counts = _vectorizer(None).fit(texts)
    frequency = np.asarray(_count(texts, counts).sum(axis=0)).ravel()
    ordered = np.sort(frequency)[::-1]
    limits = [k for k in range(5, 200) if ordered[k - 1] != ordered[k]]
    assert len(limits) > 10
    for limit in limits[:: max(1, len(limits) // 10)]:
        ours, theirs = fit_tfidf(_vectorizer(limit), texts), _vectorizer(limit).fit(texts)
        assert ours.vocabulary_ == theirs.vocabulary_, limit
        np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=0)
        assert (ours.transform(texts) != theirs.transform(texts)).nnz == 0


def test_tied_terms_at_the_limit_are_kept_in_term_order_whatever_the_document_order() -> None:
    texts = _corpus(3)
    full = _vectorizer(None).fit(texts)
    terms = full.get_feature_names_out()
    frequency = np.asarray(_count(texts, full).sum(axis=0)).ravel()
    ordered = np.sort(frequency)[::-1]
    limit = next(k for k in range(50, len(ordered)) if ordered[k - 1] == ordered[k])
    boundary = ordered[limit - 1]
    above = {t for t, f in zip(terms, frequency) if f > boundary}
    tied = sorted(t for t, f in zip(terms, frequency) if f == boundary)
    expected = above | set(tied[: limit - len(above)])
    for seed in range(3):
        shuffled = texts[:]
        random.Random(seed).shuffle(shuffled)
        assert set(fit_tfidf(_vectorizer(limit), shuffled).vocabulary_) == expected


def test_parameters_stay_as_given() -> None:
    vectorizer = fit_tfidf(_vectorizer(50), _corpus(4))
    assert vectorizer.max_features == 50 and vectorizer.vocabulary is None
    assert len(vectorizer.vocabulary_) == 50


def test_a_corpus_without_terms_raises_as_scikit_learn() -> None:
    with pytest.raises(ValueError):
        fit_tfidf(_vectorizer(10), ["", " "])


def _count(texts: list[str], fitted: TfidfVectorizer) -> np.ndarray:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(ngram_range=(1, 2), vocabulary=fitted.vocabulary_).transform(texts)


def _test_groups(folds: list[tuple[np.ndarray, np.ndarray]], groups: np.ndarray) -> list[set]:
    return [set(groups[test].tolist()) for _, test in folds]


def test_group_folds_keep_each_group_in_one_fold_and_every_row_once() -> None:
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 60, size=400).astype(str)
    folds = list(GroupFolds(5).split(np.zeros(len(groups)), None, groups))
    tests = np.concatenate([test for _, test in folds])
    assert sorted(tests.tolist()) == list(range(len(groups)))
    for train, test in folds:
        assert not set(groups[train].tolist()) & set(groups[test].tolist())
        assert len(train) + len(test) == len(groups)


def test_group_folds_are_group_k_folds_when_no_two_groups_have_the_same_size() -> None:
    from sklearn.model_selection import GroupKFold

    groups = np.repeat([f"site{i}" for i in range(12)], np.arange(1, 13))
    np.random.default_rng(0).shuffle(groups)
    ours = list(GroupFolds(4).split(groups, None, groups))
    theirs = list(GroupKFold(4).split(groups, None, groups))
    assert _test_groups(ours, groups) == _test_groups(theirs, groups)


def test_group_folds_do_not_depend_on_the_row_order() -> None:
    groups = np.array([f"s{i % 37}" for i in range(150)] + [f"single{i}" for i in range(40)])
    first = _test_groups(list(GroupFolds(5).split(groups, None, groups)), groups)
    shuffled = groups.copy()
    np.random.default_rng(1).shuffle(shuffled)
    assert _test_groups(list(GroupFolds(5).split(shuffled, None, shuffled)), shuffled) == first


def test_group_folds_refuse_too_few_groups() -> None:
    with pytest.raises(ValueError, match="at least as many groups"):
        list(GroupFolds(5).split(np.zeros(4), None, ["a", "a", "b", "c"]))
