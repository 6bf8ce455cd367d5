"""Listing text -> COICOP code: a linear SVM over two TF-IDF views of the text.

`ProductClassifier` follows the scikit-learn estimator contract (`fit` returns self, learned
attributes end in `_`, `random_state`). Features (the two views are in text.py):

- within-word character 2-5-grams of the accent-folded, digit-free text: spelling, inflection
  and receipt abbreviations (`pom.` shares ` pom` with `pomazánkové`);
- word 1-2-grams of the normalised text, numbers kept with their units, at half weight (each
  view is L2-normalised on its own; at full weight a rare word overrules its spelling);
- n-grams of a single training title are left out (min_df=2) or kept (1), whichever scores
  better on a held-out slice of the training titles (min_df "auto", see `_hold_out`);
- coarse-to-fine: with COICOP codes as labels, SVMs for the groups and classes add their
  scores to their subclasses' (folded into one set of coefficients, see `_add_parents`);
- bare numbers (`13`, not `13gb`) count at 0.3 of their idf (see `_damp_numbers`).

On the Czech COICOP data (stratified 5-fold CV, bench/bench_products.py) this beats the plain
char+word TF-IDF LinearSVC floor on every fold; the figures are in bench/README.md. Tried on
the first fold of that CV (23k titles train, 5.8k test) and not adopted, in points:
- a third view, character 3-6-grams over the whole text: +0.25 accuracy, +0.2 macro-F1, for
  2.2x the training time; only those crossing a word boundary: -0.5 accuracy;
- char_wb 1-5 / 2-6 / 3-5, word 1-1 / 1-3, C 1.5 to 4, word weight 0.35 / 0.7: within
  +-0.4 accuracy;
- class weights n^-0.35: +0.4 macro-F1, -0.2 accuracy; n^-0.5: -0.8 accuracy;
- nearest-neighbour votes added to the SVM scores: within +-0.2 accuracy; Complement NB
  scores added: -0.1 to -0.2 accuracy, -1.2 to -2.7 macro-F1; NB-SVM log-count ratios: -1.9
  accuracy; Crammer-Singer SVM (C=0.3): -2.5; averaged SGD: -0.3 to -1.0 and slower.
Tried for issue 19 on the Czech data's 61 largest subclasses (8,300 / 8,300 titles) and the
first fold above, and not adopted: logistic regression averaged with the SVM, +0.1 (15x the
time); complement NB added, -0.9; class-prior corrections of the scores, -0.1 to -2.6 macro-F1;
a division-level parent or a weight of 0.5 / 1.5, within -0.15; cross-word character 3-6-grams
with the hierarchy, -0.2 on the full data, 1.5x the time; first/last-word features, -0.3 to
+0.6; digits kept in the character view, +0.0; LinearSVC tol 1e-3, no faster (0.1 is: see `tol`).
Tried for issue 19's +2 points on the first fold (hierarchy on, min_df 2, unpruned: 0.8110),
accuracy: nearest-centroid scores added, -0.02 to -0.5; kNN votes added, -0.2 to -2.4; the
floor's scores added, +0.05 / -0.2; a second model with accents kept in the character view
averaged in, +0.3 for 2x the time; punctuation as spaces with a folded word view, -0.3;
accents kept in the character view, +0.1 (and receipts typed without accents would lose their
match); word order ignored, -0.4; hinge loss, -0.9; the word view stemmed (`stem_words`),
+0.2, and in 5-fold CV +0.48 (+1.85 over the floor, short of +2; left off by default);
stemmed with min_df fixed at 2 (no min_df sub-models, cheaper): +1.63 over the floor.

Confidences are a softmax over the SVM scores with one temperature, fitted on a held-out slice
scored by a smaller sub-model (see `_hold_out`), so `confidence >= threshold` means what it
says. The coefficients are pruned to the largest contributions, so the shipped JSON stays a few MB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from ecomstat.classifiers.products.coicop import is_code, level, truncate
from ecomstat.classifiers.products.calibration import fit_temperature, holdout_metrics, softmax
from ecomstat.classifiers.products.text import WORD_TOKENS, char_view, normalise, stemmed

BLOCKS = ("char", "word")  # the views, in feature-column order
PARENT_LEVELS = (2, 3)  # COICOP groups and classes: the parents of coarse-to-fine scoring
MIN_DF_CHOICES = (2, 1)  # min_df "auto" picks one on a held-out slice; a tie keeps the first
HOLDOUT = 0.15  # the slice held out for min_df "auto" when calibration_size is 0
BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?")  # a word-view token that is a number and no more


def prepare(texts: Iterable[str | None], stem_words: bool = False) -> dict[str, list[str]]:
    """The input of each view's vectorizer, for raw listing texts (word view stemmed or not)."""
    words = [normalise(t) for t in texts]
    return {"char": [char_view(w) for w in words],
            "word": [stemmed(w) for w in words] if stem_words else words}


class ProductClassifier(ClassifierMixin, BaseEstimator):
    """Linear SVM over char_wb and word n-grams, with temperature-scaled softmax confidences.

    Parameters
    ----------
    C : inverse regularisation strength of the LinearSVC.
    class_weight : passed to LinearSVC ("balanced" or None).
    char_ngram_range : within-word character n-grams (char_wb).
    word_ngram_range : word n-grams.
    word_weight : scale of the word view against the character view (0 drops it).
    number_weight : scale of a bare number (`13`, not `13gb`) in the word view.
    stem_words : cut inflection endings off the word view's words (text.stem, a light Czech
        stemmer), so word features meet across cases and numbers. Off by default: on the Czech
        5-fold CV it raised accuracy on every fold (mean +0.48 points, to +1.85 over the floor)
        but not to issue 19's +2, and training took longer (bench/README.md). Model files
        written before it existed read as False.
    hierarchy_weight : weight of the parent levels' SVM scores (COICOP group and class, when the
        labels are dotted codes) added to each subclass's score; 0 turns coarse-to-fine off.
    min_df : n-grams in fewer training titles are left out (2: an n-gram of one title only
        lets the SVM memorise that title instead of learning what it shares with others), or
        "auto": 2 or 1, whichever scores better on a held-out slice of the training titles.
    max_coefficients : keep only this many largest |coefficients| overall (None keeps all).
        3M since the parents fold in: every subclass then carries its group's and class's
        weights, and 1M (the flat model's cap) lost 1.1 points accuracy and 2.8 macro-F1 on
        the first Czech fold (3M: -0.1 / -0.2 against no pruning).
    calibration_size : fraction held out to fit the softmax temperature (0 = no calibration,
        temperature 1).
    calibration_rows : most rows the calibration sub-model trains on (None: all the others).
    tol : stopping tolerance of the LinearSVC solver. 0.1 is liblinear's own default for its
        dual solvers; scikit-learn's 1e-4 runs 3x the passes (97 against 33 for the groups on
        30,000 titles) for the same predictions: Czech 5-fold CV accuracy 0.8153 with either,
        macro-F1 0.6684 / 0.6690; 16 % less training time under load, but the same on a quiet
        machine (136 s against 137 s for 30,000 titles; bench/README.md). 0.3 and 1.0
        lost 0.4 and 0.6 points on the first fold (their held-out slices chose min_df 1).
    random_state : seeds the held-out split, the calibration subsample and the solver.
    """

    def __init__(
        self,
        *,
        C: float = 2.0,
        class_weight: str | None = None,
        char_ngram_range: tuple[int, int] = (2, 5),
        word_ngram_range: tuple[int, int] = (1, 2),
        word_weight: float = 0.5,
        number_weight: float = 0.3,
        stem_words: bool = False,
        hierarchy_weight: float = 1.0,
        min_df: int | str = "auto",
        max_coefficients: int | None = 3_000_000,
        calibration_size: float = 0.15,
        calibration_rows: int | None = 5_000,
        tol: float = 0.1,
        random_state: int | None = 0,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.char_ngram_range = char_ngram_range
        self.word_ngram_range = word_ngram_range
        self.word_weight = word_weight
        self.number_weight = number_weight
        self.stem_words = stem_words
        self.hierarchy_weight = hierarchy_weight
        self.min_df = min_df
        self.max_coefficients = max_coefficients
        self.calibration_size = calibration_size
        self.calibration_rows = calibration_rows
        self.tol = tol
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------------------
    def _vectorizers(self, min_df: int) -> dict[str, TfidfVectorizer]:
        def tfidf(analyzer: str, ngrams: tuple[int, int], tokens: str | None) -> TfidfVectorizer:
            return TfidfVectorizer(
                analyzer=analyzer, ngram_range=tuple(ngrams), lowercase=False,
                token_pattern=tokens, sublinear_tf=True, min_df=min_df, dtype=np.float32,
            )

        vectorizers = {"char": tfidf("char_wb", self.char_ngram_range, None)}
        if self.word_weight:
            vectorizers["word"] = tfidf("word", self.word_ngram_range, WORD_TOKENS)
        return vectorizers

    def _fit_linear(self, views: dict[str, list[str]], y: np.ndarray, min_df: int) -> None:
        """Fit the vectorizers and the SVM on these rows and set the learned attributes."""
        vectorizers = self._vectorizers(min_df)
        names = [name for name in BLOCKS if name in vectorizers]
        weights = {"char": 1.0, "word": float(self.word_weight)}
        for name in names:
            try:
                vectorizers[name].fit(views[name])
            except ValueError:  # a handful of titles may share no word: keep every n-gram
                vectorizers[name].set_params(min_df=1).fit(views[name])
        if "word" in vectorizers:
            self._damp_numbers(vectorizers["word"])
        blocks = [vectorizers[name].transform(views[name]) for name in names]
        features = sparse.hstack(blocks, format="csr")
        sizes = [block.shape[1] for block in blocks]
        column_weight = np.repeat([weights[name] for name in names], sizes).astype(np.float32)
        weighted = features @ sparse.diags(column_weight)
        svm = self._svm()
        svm.fit(weighted, y)
        coef, intercept = _coefficients(svm)
        if self.hierarchy_weight:
            self._add_parents(weighted, y, np.asarray(svm.classes_), coef, intercept)
        coef *= column_weight[None, :]  # fold the view weights in: prediction needs none
        coef, keep = prune(coef, self.max_coefficients, typical_values(features))
        self.vectorizers_: dict[str, TfidfVectorizer] = {}
        offset = 0
        for name, size in zip(names, sizes):
            mine = keep[(keep >= offset) & (keep < offset + size)] - offset
            self.vectorizers_[name] = restrict_vocabulary(vectorizers[name], mine)
            offset += size
        self.coef_ = coef  # csr (n_classes, n_kept_features)
        self.intercept_ = intercept
        self.classes_ = np.asarray(svm.classes_)

    def _svm(self) -> LinearSVC:
        return LinearSVC(C=self.C, class_weight=self.class_weight, tol=self.tol,
                         random_state=self.random_state)

    def _add_parents(self, features: sparse.csr_matrix, y: np.ndarray, classes: np.ndarray,
                     coef: np.ndarray, intercept: np.ndarray) -> None:
        """Coarse-to-fine: fit one SVM per coarser level of the labels' hierarchy (COICOP
        groups and classes, read from the dotted codes) and add `hierarchy_weight` times each
        parent's scores to its children's (in place). A subclass with few titles then borrows
        what its siblings share (`mouka` says cereals even when the subclass is unclear). The
        sum of linear scores is linear: the parents fold into the subclass coefficients, so the
        fitted model, its file and its prediction cost stay those of one SVM.

        Tried for issue 19's training time and not adopted: fitting the three SVMs in two
        threads (liblinear releases the GIL, but its solver draws from C's one global rand(),
        so the model differed run to run); the class level fitted per group on that group's
        rows only (a class then competes with its siblings alone, 0.3x the parents' work):
        -0.9 points accuracy on the first Czech fold."""
        for depth in parent_levels(classes):
            parents = np.asarray([truncate(str(c), depth) for c in classes])
            if len(set(parents)) < 2:
                continue
            svm = self._svm()
            svm.fit(features, np.asarray([truncate(str(v), depth) for v in y]))
            p_coef, p_intercept = _coefficients(svm)
            rows = np.searchsorted(np.asarray(svm.classes_), parents)
            coef += np.float32(self.hierarchy_weight) * p_coef[rows]
            intercept += self.hierarchy_weight * p_intercept[rows]

    def _damp_numbers(self, vectorizer: TfidfVectorizer) -> None:
        """Scale the idf of bare numbers (no unit) by `number_weight`. A lone `13` is a beer's
        degree in Czech receipts and a laptop's inches in a web shop; at full weight it alone
        sent `Dell XPS 13 9310` to beer (0.84). `pivo 12` keeps its bigram at full weight."""
        terms = vectorizer.get_feature_names_out()
        bare = np.fromiter((BARE_NUMBER.fullmatch(t) is not None for t in terms), bool, len(terms))
        vectorizer.idf_ = np.where(bare, vectorizer.idf_ * self.number_weight, vectorizer.idf_)

    def fit(self, X: Sequence[str], y: Sequence[str]) -> ProductClassifier:
        views = prepare(X, self.stem_words)
        labels = np.asarray([str(v) for v in y])
        if len(views["char"]) != len(labels):
            raise ValueError("X and y have different lengths")
        if len(set(labels)) < 2:
            raise ValueError("need at least two categories to train on")
        self.temperature_ = 1.0
        self.holdout_metrics_: dict[str, float] = {}
        self.min_df_ = MIN_DF_CHOICES[0] if self.min_df == "auto" else int(self.min_df)
        if self.calibration_size or self.min_df == "auto":
            self.min_df_, self.temperature_ = self._hold_out(views, labels)
        self._fit_linear(views, labels, self.min_df_)
        return self

    def _hold_out(self, views: dict[str, list[str]], labels: np.ndarray) -> tuple[int, float]:
        """(min_df, temperature) chosen on a held-out slice of the training rows.

        min_df "auto": sub-models with each of MIN_DF_CHOICES score the slice and the better
        accuracy + macro-F1 wins (ties keep 2, the smaller model). Which is better depends on
        the data, so it is chosen on the office's own titles, never on a test set: dropping
        n-grams of a single title gained 1.5 points macro-F1 on the whole Czech data (314 codes,
        many small) and lost 0.9 points accuracy on its 61 largest subclasses (8,300 titles).

        The softmax temperature is fitted on the same slice (the scores of the training rows
        themselves are overconfident). The sub-model that scores the slice trains on at most
        `calibration_rows` of the other rows: a full second fit would double the training time,
        and the temperature it finds differs little. On a 23k/5.8k split of the Czech data:
        0.174 from a 4,000-row sub-model, 0.173 from 10,000 rows, 0.174 from all 19,700 other
        rows, 0.181 fitted on the test rows themselves (test log-loss 1.043 / 1.043 / 1.042 /
        1.041, ECE 0.048-0.049). The held-out metrics are those of the sub-model: for training
        sets past `calibration_rows` they understate the model (holdout_fit_rows says so). The
        sub-models train on at most `calibration_rows` titles (5,000 since min_df "auto" fits
        two of them)."""
        index = np.arange(len(labels))
        fit_idx, held_idx = train_test_split(
            index, test_size=self.calibration_size or HOLDOUT, random_state=self.random_state
        )
        if self.calibration_rows is not None and len(fit_idx) > self.calibration_rows:
            rng = np.random.default_rng(self.random_state)
            fit_idx = np.sort(rng.choice(fit_idx, self.calibration_rows, replace=False))
        if len(set(labels[fit_idx])) < 2:
            return self.min_df_, 1.0
        candidates = MIN_DF_CHOICES if self.min_df == "auto" else (self.min_df_,)
        best: tuple[float, int, np.ndarray, np.ndarray] | None = None
        for min_df in candidates:
            sub = ProductClassifier(**{**self.get_params(), "calibration_size": 0})
            sub._fit_linear(_rows(views, fit_idx), labels[fit_idx], min_df)
            held = held_idx[np.isin(labels[held_idx], sub.classes_)]
            if len(held) == 0:
                return self.min_df_, 1.0
            scores = sub._scores(_rows(views, held))
            truth = np.searchsorted(sub.classes_, labels[held])
            quality = _quality(scores, truth)
            if best is None or quality > best[0]:
                best = (quality, min_df, scores, truth)
        _, min_df, scores, truth = best
        temperature = fit_temperature(scores, truth) if self.calibration_size else 1.0
        self.holdout_metrics_ = {**holdout_metrics(scores, truth, temperature),
                                 "holdout_fit_rows": int(len(fit_idx)), "min_df": min_df}
        return min_df, temperature

    # -- prediction ----------------------------------------------------------------------
    def _scores(self, views: dict[str, list[str]]) -> np.ndarray:
        features = sparse.hstack(
            [self.vectorizers_[name].transform(views[name])
             for name in BLOCKS if name in self.vectorizers_],
            format="csr",
        )
        return np.asarray((features @ self.coef_.T).toarray()) + self.intercept_

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        return self._scores(prepare(X, self.stem_words))

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        return softmax(self.decision_function(X) / self.temperature_)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


def parent_levels(classes: Sequence[str]) -> list[int]:
    """The coarser levels worth a parent SVM: 2 (group) and 3 (class) when every label is a
    dotted code deeper than that level (`01.1.1.3`); none for labels of other shapes (a shop's
    own category names), where no hierarchy can be read."""
    if not all(is_code(str(c)) for c in classes):
        return []
    deepest = min(level(str(c)) for c in classes)
    return [depth for depth in PARENT_LEVELS if depth < deepest]


def _quality(scores: np.ndarray, truth: np.ndarray) -> float:
    """Accuracy + macro-F1 of the scores' best classes (what min_df "auto" maximises)."""
    predicted = np.argmax(scores, axis=1)
    return float(np.mean(predicted == truth) + f1_score(truth, predicted, average="macro"))


def _rows(views: dict[str, list[str]], index: np.ndarray) -> dict[str, list[str]]:
    return {name: [texts[i] for i in index] for name, texts in views.items()}


def _coefficients(svm: LinearSVC) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) with one row per class, also for two classes (scikit-learn keeps one
    row there; make it two, symmetric)."""
    coef = np.asarray(svm.coef_, dtype=np.float32)
    if coef.shape[0] == 1:
        return (np.vstack([-coef / 2, coef / 2]),
                np.array([-svm.intercept_[0] / 2, svm.intercept_[0] / 2]))
    return coef, np.asarray(svm.intercept_, dtype=float)


def typical_values(features: sparse.csr_matrix) -> np.ndarray:
    """Mean non-zero value of each feature column (1 for unused columns)."""
    csc = features.tocsc()
    counts = np.diff(csc.indptr)
    sums = np.asarray(csc.sum(axis=0)).ravel()
    return np.where(counts > 0, sums / np.maximum(counts, 1), 1.0).astype(np.float32)


def prune(
    coef: np.ndarray, max_coefficients: int | None, scale: np.ndarray | None = None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Zero all but the `max_coefficients` largest coefficients (in place), drop features no
    class uses. Size is |coefficient| x `scale` (the feature's typical value): a word's tf-idf
    value is ~4x a character n-gram's (fewer terms share the row's norm), so by coefficient
    alone the words went first and brands like `lenovo` left the model. Returns (sparse
    coefficients over the kept features, indices of the kept features). Works on the dense
    (classes x features) matrix without float64 copies: ~100 MB for the default model."""
    if max_coefficients is not None and coef.size > max_coefficients:
        size = np.abs(coef) if scale is None else np.abs(coef) * scale[None, :]
        k = coef.size - max_coefficients
        cutoff = np.partition(size.ravel(), k)[k]
        coef[size < cutoff] = 0.0
    kept = sparse.csc_matrix(coef)
    keep = np.flatnonzero(np.diff(kept.indptr))
    return kept[:, keep].tocsr(), keep


def restrict_vocabulary(vectorizer: TfidfVectorizer, keep: np.ndarray) -> TfidfVectorizer:
    """The same vectorizer limited to the kept feature indices, in order. Dropped terms no
    longer count in the row's L2 norm: a small change the cross-validation measures."""
    terms = vectorizer.get_feature_names_out()[keep]
    restricted = TfidfVectorizer(**vectorizer.get_params())
    restricted.vocabulary_ = {str(term): i for i, term in enumerate(terms)}
    restricted.fixed_vocabulary_ = True
    restricted.idf_ = vectorizer.idf_[keep]
    return restricted
