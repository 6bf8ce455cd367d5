"""The e-commerce presence model: signals + a text model, stacked and calibrated.

Training (`EcommerceClassifier.fit`, the scikit-learn estimator contract):
1. a bag-of-words text model (TF-IDF word 1–2-grams, logistic regression) on title, buttons and
   visible text;
2. its out-of-fold scores (folds grouped by site, so the stacker never sees a score the text
   model produced on its own training site) join the signal features (`signals.FEATURES`);
3. a logistic-regression stacker weighs them;
4. Platt scaling, fitted on the stacker's out-of-fold scores, calibrates the probability.

Prediction uses `EcommerceModel`, rebuilt from the portable JSON document (`to_document`), so
the shipped model needs nothing but numpy/scipy/scikit-learn's vectorizer to run. Pages whose
words the text model has barely seen (an unseen language) get their text score shrunk towards
neutral, so the probability rests on the language-independent signals and stays uncertain when
those are silent.

Why the text model sees one language: in the reference pages nearly every non-shop page is
English while a share of the shop pages is German, French, Polish..., so a text model trained
on all of them learns "not English = shop". It is therefore fitted on the pages of the training
set's main language only (English for the shipped model; an office training on its own pages
gets its own main language); other languages get a low vocabulary coverage, hence a shrunk text
score, and are decided by the multilingual signals. Very short texts are shrunk the same way (a
few words say little).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from ecomstat.classifiers.ecommerce.signals import (FEATURES, HayScan, Signal, extract_signals,
                                           scan_haystack, signal_features)
from ecomstat.classifiers.ecommerce.terms import TermTables
from ecomstat.classifiers.ecommerce.words import (RELIABILITY_CHARS, WORDS, PageWords, model_pieces,
                                         page_words)
from ecomstat.classifiers.errors import ModelFileError, TrainingDataError
from ecomstat.classifiers.html import PageDoc
from ecomstat.classifiers.portable import LinearModel, decode_tfidf, encode_linear, encode_tfidf
from ecomstat.classifiers.reproducible import GroupFolds, fit_tfidf

FEATURE_VERSION = "3"  # bump when signals or text preparation change (models must be retrained)
FULL_COVERAGE = 0.5  # share of known words from which the text score counts fully ...
NO_COVERAGE = 0.2  # ... and below which it does not count at all
FULL_LENGTH = 80  # words from which the text score counts fully
# Signals that show a customer can order: a page is called a shop page only when one of them
# fired or the text model is confident on its own. Prices, product markup or page shape adjust
# the probability but alone describe a catalogue or a menu just as well as a shop.
ORDERING_SIGNALS = ("cart_link", "cart_url", "add_to_cart", "cart_form", "cart_fields",
                    "platform", "payment", "booking_engine", "order_phrase",
                    "schema_offer_price", "og_product")
MIN_EVIDENCE_WEIGHT = 0.05  # a signal contributing less (log-odds) is not evidence
MIN_TEXT_EVIDENCE = 1.0  # the text model's contribution that counts as evidence by itself


def reliability(text: str, vocabulary: dict[str, int]) -> tuple[float, float]:
    """(coverage, weight): the share of the text's words the text model knows, and the factor
    (0..1) its score is multiplied by, from that coverage and the text's length."""
    return word_reliability(WORDS.findall(text[:RELIABILITY_CHARS].lower()), vocabulary)


def word_reliability(words: list[str], vocabulary: dict[str, int]) -> tuple[float, float]:
    """`reliability` from the words of the start of the text (`PageWords.head`)."""
    return known_reliability(sum(map(vocabulary.__contains__, words)), len(words))


def known_reliability(known: int, words: int) -> tuple[float, float]:
    """`reliability` of a text of `words` words of which the text model knows `known`."""
    if not words:
        return 0.0, 0.0
    coverage = known / words
    by_coverage = min(max((coverage - NO_COVERAGE) / (FULL_COVERAGE - NO_COVERAGE), 0.0), 1.0)
    return coverage, by_coverage * min(words / FULL_LENGTH, 1.0)


def page_language(page: Prepared) -> str:
    """A training page's language: its html lang, else py3langid's guess ('' if no text)."""
    if page.lang:
        return page.lang.split("-")[0]
    if not page.text.strip():
        return ""
    import py3langid

    return str(py3langid.classify(page.text[:1500])[0])


@dataclass
class Prepared:
    """One page, ready for the model: signals (with evidence) and the text-model input."""

    signals: list[Signal]
    features: list[float]
    text: str
    lang: str = ""
    # Work the signals did that others reuse (None: redo it): the text's tokens for the text
    # model, the haystack's fingerprints for the site characteristics.
    words: PageWords | None = field(default=None, repr=False, compare=False)
    hay_scan: HayScan | None = field(default=None, repr=False, compare=False)


def prepare(doc: PageDoc, *, keep_scans: bool = True) -> Prepared:
    """Signals and text-model input of a page, from one tokenisation of its text. Training
    keeps thousands of pages: `keep_scans=False` drops tokens and fingerprints once used."""
    pieces = model_pieces(doc)
    words = page_words(doc, pieces)
    hay_scan = scan_haystack(doc)
    signals = extract_signals(doc, words.text, hay_scan)
    if not keep_scans:
        return Prepared(signals, signal_features(signals), " ".join(pieces), doc.lang)
    return Prepared(signals, signal_features(signals), " ".join(pieces), doc.lang, words,
                    hay_scan)


class EcommerceClassifier(ClassifierMixin, BaseEstimator):
    """Stacked signals + text model with Platt calibration (see module docstring).

    `fit(pages, y, groups)` takes `Prepared` pages (or PageDocs), 0/1 labels and site groups.
    """

    def __init__(self, max_features: int = 20_000, text_C: float = 4.0, meta_C: float = 1.0,
                 n_splits: int = 5, random_state: int | None = 0) -> None:
        self.max_features = max_features
        self.text_C = text_C
        self.meta_C = meta_C
        self.n_splits = n_splits
        self.random_state = random_state

    def _vectorizer(self) -> TfidfVectorizer:
        return TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.9, sublinear_tf=True,
                               max_features=self.max_features, lowercase=True,
                               # letters only: numbers (prices, phone numbers, years) are
                               # the price signal's job and otherwise pure noise
                               token_pattern=WORDS.pattern, dtype=np.float64)

    def _text_lr(self) -> LogisticRegression:
        # liblinear: exact and ~10x faster than lbfgs on a few hundred sparse documents.
        return LogisticRegression(C=self.text_C, max_iter=2000, class_weight="balanced",
                                  solver="liblinear", random_state=self.random_state)

    def _meta_lr(self) -> LogisticRegression:
        return LogisticRegression(C=self.meta_C, max_iter=2000, random_state=self.random_state)

    def _cv(self, groups: np.ndarray) -> GroupFolds:
        return GroupFolds(n_splits=min(self.n_splits, len(set(groups.tolist()))))

    def fit(self, pages: Sequence[Prepared | PageDoc], y: Sequence[int],
            groups: Sequence[Any] | None = None) -> EcommerceClassifier:
        pages = [p if isinstance(p, Prepared) else prepare(p) for p in pages]
        y = np.asarray(y, dtype=int)
        groups = np.asarray(groups if groups is not None else range(len(y)))
        texts = [p.text for p in pages]
        languages = [page_language(p) for p in pages]
        self.text_language_ = Counter(languages).most_common(1)[0][0]
        english = np.array([lang == self.text_language_ for lang in languages])
        if english.sum() < 10 or len(set(y[english].tolist())) < 2:
            english = np.ones(len(y), dtype=bool)  # too few pages in one language
            self.text_language_ = "any"
        try:
            self.vectorizer_ = fit_tfidf(self._vectorizer(),
                                         [t for t, e in zip(texts, english) if e])
        except ValueError:  # tiny or uniform corpus: every term pruned; keep them all
            self.vectorizer_ = self._vectorizer().set_params(min_df=1, max_df=1.0)
            try:
                fit_tfidf(self.vectorizer_, [t for t, e in zip(texts, english) if e])
            except ValueError:
                raise TrainingDataError("the training pages contain no words") from None
        X_text = self.vectorizer_.transform(texts)
        weights = np.array([reliability(t, self.vectorizer_.vocabulary_)[1] for t in texts])
        # Out-of-fold text scores for every page from text models fitted on the other sites'
        # pages in the text language only.
        oof_text = np.zeros(len(y))
        for train, test in self._cv(groups).split(X_text, y, groups):
            train = train[english[train]]
            if len(set(y[train].tolist())) < 2:
                continue
            fold_model = self._text_lr().fit(X_text[train], y[train])
            oof_text[test] = fold_model.decision_function(X_text[test])
        oof_text *= weights
        self.text_model_ = self._text_lr().fit(X_text[english], y[english])
        cv = self._cv(groups)
        M = np.column_stack([np.asarray([p.features for p in pages]), oof_text])
        self.meta_model_ = self._meta_lr().fit(M, y)
        oof_meta = cross_val_predict(self._meta_lr(), M, y, groups=groups, cv=cv,
                                     method="decision_function")
        # Platt scaling on out-of-fold scores: an almost unregularised 1-D logistic fit.
        self.calibrator_ = LogisticRegression(C=1e4, max_iter=1000).fit(oof_meta[:, None], y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, pages: Sequence[Prepared | PageDoc]) -> np.ndarray:
        return self.to_model().predict_proba(pages)

    def to_document(self) -> dict[str, Any]:
        """The portable JSON payload (the caller adds name, version, metrics, data hash)."""
        return {
            "kind": "ecommerce",
            "feature_version": FEATURE_VERSION,
            "signal_features": list(FEATURES),
            "vectorizer": encode_tfidf(self.vectorizer_),
            "text_model": encode_linear(self.text_model_),
            "meta_model": encode_linear(self.meta_model_),
            # 10 significant digits: the last ones differ with the BLAS kernels of the CPU
            "calibration": {"a": float(f"{self.calibrator_.coef_[0, 0]:.10g}"),
                            "b": float(f"{self.calibrator_.intercept_[0]:.10g}")},
            "params": self.get_params(),
            "text_reliability": {"language": self.text_language_, "no_coverage": NO_COVERAGE,
                                 "full_coverage": FULL_COVERAGE, "full_length": FULL_LENGTH},
        }

    def to_model(self) -> EcommerceModel:
        return EcommerceModel.from_document(self.to_document())


@dataclass
class Prediction:
    probability: float
    ecommerce: bool
    evidence: list[dict[str, Any]] = field(default_factory=list)
    text_coverage: float = 0.0


class EcommerceModel:
    """Runtime predictor built from a model document (shipped JSON or `to_document`)."""

    def __init__(self, document: dict[str, Any], threshold: float = 0.5) -> None:
        self.document = document
        self.threshold = threshold
        try:
            if document.get("kind") != "ecommerce":
                raise ModelFileError(f"model kind is {document.get('kind')!r}, not 'ecommerce'")
            if list(document["signal_features"]) != list(FEATURES):
                raise ModelFileError("model was trained with other signals; retrain it "
                                     "(`ecomstat model train ecommerce`)")
            self.vectorizer = decode_tfidf(document["vectorizer"])
            self.text_model = LinearModel.from_dict(document["text_model"])
            self.meta_model = LinearModel.from_dict(document["meta_model"])
            self.cal_a = float(document["calibration"]["a"])
            self.cal_b = float(document["calibration"]["b"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed e-commerce model: {exc}") from None
        self.terms = np.asarray(document["vectorizer"]["terms"], dtype=object)
        self.vocabulary = self.vectorizer.vocabulary_
        self._terms = TermTables(self.vocabulary)
        self.idf = np.asarray(self.vectorizer.idf_, dtype=float)
        self.text_coef = self.text_model.coef.toarray().ravel()
        self.text_intercept = float(self.text_model.intercept[0])
        self.meta_coef = self.meta_model.coef.toarray().ravel()
        self.ordering_columns = [FEATURES.index(name) for name in ORDERING_SIGNALS]

    @classmethod
    def from_document(cls, document: dict[str, Any], threshold: float = 0.5) -> EcommerceModel:
        return cls(document, threshold)

    @property
    def name(self) -> str:
        return str(self.document.get("name", "unnamed"))

    @property
    def version(self) -> str:
        return str(self.document.get("version", "0"))

    def text_row(self, text: str, words: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(term indices, tf-idf values) of one text: exactly TfidfVectorizer.transform for
        this model's settings (lower-case, letter tokens, 1–2-grams, sublinear tf, idf, l2),
        written out because the generic transform costs several times more per page.
        `words` are the text's tokens when the caller has them (`PageWords.model`)."""
        words = WORDS.findall(text.lower()) if words is None else words
        return self._row(self._terms.numbers(words))

    def _row(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices, counts = self._terms.count(numbers)
        if not len(indices):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        values = 1.0 + np.log(counts.astype(float))
        values *= self.idf[indices]
        return indices, values / np.sqrt(values @ values)

    def _text_input(self, page: Prepared) -> tuple[tuple[np.ndarray, np.ndarray],
                                                    tuple[float, float]]:
        """(`text_row`, `reliability`) of a page. With the page's tokens, the words of the
        start of the text are nearly always the first model words, whose numbers `text_row`
        looked up already: the vocabulary (cold in the CPU caches after parsing a page) is
        then read once per word, not twice."""
        if page.words is None:
            return self.text_row(page.text), reliability(page.text, self.vocabulary)
        head, model_words = page.words.head, page.words.model
        numbers = self._terms.numbers(model_words)
        if head == model_words[: len(head)]:
            known = self._terms.known(numbers[: len(head)])
            return self._row(numbers), known_reliability(known, len(head))
        return self._row(numbers), word_reliability(head, self.vocabulary)

    def _scores(self, pages: Sequence[Prepared]) -> tuple[np.ndarray, list[Any], np.ndarray]:
        inputs = [self._text_input(p) for p in pages]
        rows = [row for row, _ in inputs]
        text = np.array([values @ self.text_coef[indices] for indices, values in rows])
        text += self.text_intercept
        coverage, weight = np.array([reliable for _, reliable in inputs]).T
        return text * weight, rows, coverage

    def predict_proba(self, pages: Sequence[Prepared | PageDoc]) -> np.ndarray:
        return self.decide(pages)[0]

    def decide(self, pages: Sequence[Prepared | PageDoc],
               scored: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (n, 2), decisions (n,)). A page is a shop page when its probability
        reaches the threshold AND some evidence points that way: a page the model knows
        nothing about (empty, unseen language, no signal) sits near 0.5 and is "no"."""
        pages = [p if isinstance(p, Prepared) else prepare(p) for p in pages]
        if not pages:
            return np.zeros((0, 2)), np.zeros(0, dtype=bool)
        text = self._scores(pages)[0] if scored is None else scored
        features = np.asarray([p.features for p in pages])
        M = np.column_stack([features, text])
        meta = self.meta_model.decision_function(M)
        positive = special.expit(self.cal_a * meta + self.cal_b)
        contributions = M * self.meta_coef
        evidence = (contributions[:, self.ordering_columns] >= MIN_EVIDENCE_WEIGHT).any(axis=1)
        evidence |= contributions[:, -1] >= MIN_TEXT_EVIDENCE
        return np.column_stack([1.0 - positive, positive]), (positive >= self.threshold) & evidence

    def predict(self, page: Prepared | PageDoc) -> Prediction:
        """One page's calibrated probability, decision and evidence (signals that fired, with
        their snippet or URL and their weight in the decision, strongest first)."""
        prepared = page if isinstance(page, Prepared) else prepare(page)
        text, X, coverage = self._scores([prepared])
        probabilities, decisions = self.decide([prepared], scored=text)
        probability = float(probabilities[0, 1])
        evidence: list[dict[str, Any]] = []
        index = {name: i for i, name in enumerate(FEATURES)}
        for signal in prepared.signals:
            weight = float(self.meta_coef[index[signal.name]] * signal.value)
            if abs(weight) >= 0.05:
                evidence.append({**signal.as_dict(), "weight": round(weight, 3)})
        indices, values = X[0]
        contributions = values * self.text_coef[indices]
        order = np.argsort(-np.abs(contributions))[:6]
        words = [str(self.terms[indices[i]]) for i in order
                 if np.sign(contributions[i]) == np.sign(text[0]) and contributions[i] != 0]
        evidence.append({
            "signal": "text_model", "value": round(float(text[0]), 3),
            "weight": round(float(self.meta_coef[-1] * text[0]), 3),
            "evidence": ("words: " + ", ".join(words)) if words else "no known words",
            "coverage": round(float(coverage[0]), 3),
        })
        evidence.sort(key=lambda e: -abs(e["weight"]))
        return Prediction(probability, bool(decisions[0]), evidence, float(coverage[0]))
