"""Fits that come out the same on every CPU, so a shipped model can be reproduced anywhere.

numpy's default (unstable) argsort runs SIMD code chosen at run time, and machines with and
without AVX-512 order equal values differently. scikit-learn breaks ties that way in two places
the e-commerce model uses: the `max_features` cut of TfidfVectorizer (the same data, code and
library versions kept 652 other terms on another machine) and GroupKFold's assignment of
equal-sized groups (sites) to folds, which changes the out-of-fold scores the stacked model is
fitted on. Here ties are broken by the term or the group label, the same way everywhere; without
ties the results are scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

# TfidfVectorizer's own parameters: the rest are CountVectorizer's.
_TFIDF_ONLY = ("norm", "use_idf", "smooth_idf", "sublinear_tf")


def fit_tfidf(vectorizer: TfidfVectorizer, texts: Iterable[str]) -> TfidfVectorizer:
    """Fit `vectorizer` on `texts` in place (its parameters unchanged) and return it."""
    limit = vectorizer.max_features
    if limit is None:
        return vectorizer.fit(texts)
    params = {k: v for k, v in vectorizer.get_params().items() if k not in _TFIDF_ONLY}
    counter = CountVectorizer(**{**params, "max_features": None})
    counts = counter.fit_transform(texts)  # min_df / max_df applied; terms in sorted order
    terms = counter.get_feature_names_out()
    if len(terms) > limit:
        frequency = np.asarray(counts.sum(axis=0)).ravel()
        # stable: among equal frequencies the (alphabetically) first term comes first
        keep = np.sort(np.argsort(-frequency, kind="stable")[:limit])
        counts, terms = counts[:, keep], terms[keep]
    vectorizer.vocabulary_ = {str(term): i for i, term in enumerate(terms)}
    vectorizer.fixed_vocabulary_ = False
    if vectorizer.use_idf:
        vectorizer.idf_ = TfidfTransformer(smooth_idf=vectorizer.smooth_idf).fit(counts).idf_
    return vectorizer


class GroupFolds:
    """GroupKFold's folds (largest group first, each to the fold with the fewest samples so
    far) with equal-sized groups taken in the order of their labels. Usable wherever
    scikit-learn takes `cv=`."""

    def __init__(self, n_splits: int = 5) -> None:
        if n_splits < 2:
            raise ValueError(f"n_splits must be at least 2, got {n_splits}")
        self.n_splits = n_splits

    def get_n_splits(self, X: object = None, y: object = None, groups: object = None) -> int:
        return self.n_splits

    def split(self, X: object, y: object = None,
              groups: Iterable[object] | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if groups is None:
            raise ValueError("GroupFolds needs the groups")
        labels, group_of_row = np.unique(np.asarray(groups), return_inverse=True)
        if len(labels) < self.n_splits:
            raise ValueError(f"{self.n_splits} folds need at least as many groups, "
                             f"got {len(labels)}")
        sizes = np.bincount(group_of_row)
        fold_sizes = np.zeros(self.n_splits)
        fold_of_group = np.zeros(len(labels), dtype=int)
        for group in np.argsort(-sizes, kind="stable"):
            lightest = int(np.argmin(fold_sizes))  # the first of equally light folds
            fold_sizes[lightest] += sizes[group]
            fold_of_group[group] = lightest
        fold_of_row = fold_of_group[group_of_row]
        rows = np.arange(len(group_of_row))
        for fold in range(self.n_splits):
            yield rows[fold_of_row != fold], rows[fold_of_row == fold]
