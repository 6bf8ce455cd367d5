"""Portable, safe model files: fitted linear models and text vectorizers as plain JSON.

A pickle ties a model to one scikit-learn version and can execute code when loaded; a shipped
model is instead a JSON document (optionally gzipped) holding only numbers and strings:
coefficients, intercepts, classes, vocabulary, idf weights, calibration, metrics, the sha256 of
the training data and a version. Small API, shared by every classifier in this package:

- `save_model(payload, path)` / `load_model(path)`: write/read a model document.
- `encode_linear(estimator)` / `LinearModel.from_dict(doc)`: any fitted scikit-learn linear
  classifier (`coef_`, `intercept_`, `classes_`) to JSON and back to a numpy scorer.
- `encode_tfidf(vectorizer)` / `decode_tfidf(doc)`: a fitted TfidfVectorizer to JSON and back.
- `sha256_file(path)` / `sha256_files(paths)`: training-data hashes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse, special
from sklearn.feature_extraction.text import TfidfVectorizer

from ecomstat.classifiers.errors import ModelFileError

FORMAT = "ecomstat-model/1"

# TfidfVectorizer parameters that are plain data (callables such as a custom tokenizer cannot be
# stored portably, so models that need one rebuild it in code from a named option).
_TFIDF_PARAMS = (
    "analyzer", "ngram_range", "lowercase", "strip_accents", "token_pattern", "min_df",
    "max_df", "max_features", "binary", "norm", "use_idf", "smooth_idf", "sublinear_tf",
)


def _round(values: np.ndarray, digits: int = 6) -> list[float]:
    # 6 significant digits keep predictions identical to ~1e-6 and the file a third smaller.
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float).ravel()]


def save_model(payload: Mapping[str, Any], path: str | Path) -> Path:
    """Write a model document as JSON (gzipped when the name ends in .gz); returns the path."""
    path = Path(path)
    document = {"format": FORMAT, **payload}
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    data = text.encode("utf-8")
    tmp.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    tmp.replace(path)  # atomic: a crash never leaves half a model file
    return path


def load_model(path: str | Path) -> dict[str, Any]:
    """Read a model document; raises ModelFileError for anything that is not one."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        document = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} does not exist") from None
    except (OSError, ValueError, EOFError) as exc:
        raise ModelFileError(f"model file {path} is not readable JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an ecomstat model file (expected format {FORMAT})")
    return document


def encode_linear(estimator: Any, *, sparse_threshold: float = 0.5) -> dict[str, Any]:
    """A fitted linear classifier as JSON; rows of mostly zeros are stored sparse."""
    coef = np.atleast_2d(np.asarray(estimator.coef_.toarray() if sparse.issparse(estimator.coef_)
                                    else estimator.coef_, dtype=float))
    rows: list[Any] = []
    for row in coef:
        nonzero = np.flatnonzero(row)
        if len(nonzero) < sparse_threshold * len(row):
            rows.append({"i": nonzero.tolist(), "v": _round(row[nonzero])})
        else:
            rows.append(_round(row))
    return {
        "classes": [c.item() if hasattr(c, "item") else c for c in estimator.classes_],
        "n_features": int(coef.shape[1]),
        "coef": rows,
        "intercept": _round(np.atleast_1d(estimator.intercept_)),
    }


@dataclass
class LinearModel:
    """A numpy scorer rebuilt from `encode_linear` output: decision_function and predict_proba
    with scikit-learn semantics (binary: one column of scores, probabilities by sigmoid;
    multiclass: softmax, as multinomial LogisticRegression does)."""

    classes: list[Any]
    coef: sparse.csr_matrix  # (n_rows, n_features)
    intercept: np.ndarray
    _dense_t: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> LinearModel:
        try:
            n_features = int(doc["n_features"])
            data, indices, indptr = [], [], [0]
            for row in doc["coef"]:
                if isinstance(row, dict):
                    indices.extend(int(i) for i in row["i"])
                    data.extend(float(v) for v in row["v"])
                else:
                    nonzero = [(i, float(v)) for i, v in enumerate(row) if v]
                    indices.extend(i for i, _ in nonzero)
                    data.extend(v for _, v in nonzero)
                indptr.append(len(indices))
            coef = sparse.csr_matrix(
                (data, indices, indptr), shape=(len(doc["coef"]), n_features), dtype=float
            )
            return cls(list(doc["classes"]), coef, np.asarray(doc["intercept"], dtype=float))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed linear model in model file: {exc}") from None

    def decision_function(self, X: Any) -> np.ndarray:
        if self._dense_t is None:  # transposed dense copy, built once: scoring is hot
            self._dense_t = self.coef.T.toarray()
        product = X @ self._dense_t if sparse.issparse(X) else np.asarray(X) @ self._dense_t
        scores = np.asarray(product) + self.intercept
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, X: Any) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = special.expit(scores)
            return np.column_stack([1.0 - positive, positive])
        return special.softmax(scores, axis=1)


def encode_tfidf(vectorizer: TfidfVectorizer) -> dict[str, Any]:
    """A fitted TfidfVectorizer's parameters, vocabulary and idf weights as JSON."""
    params = {name: getattr(vectorizer, name) for name in _TFIDF_PARAMS}
    params["ngram_range"] = list(params["ngram_range"])
    terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    doc: dict[str, Any] = {"params": params, "terms": terms}
    if vectorizer.use_idf:
        doc["idf"] = _round(vectorizer.idf_)
    return doc


def decode_tfidf(doc: Mapping[str, Any]) -> TfidfVectorizer:
    """A ready-to-transform TfidfVectorizer from `encode_tfidf` output (no refit needed)."""
    try:
        params = dict(doc["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        vectorizer = TfidfVectorizer(**params)
        vectorizer.vocabulary_ = {term: i for i, term in enumerate(doc["terms"])}
        vectorizer.fixed_vocabulary_ = True
        if vectorizer.use_idf:
            vectorizer.idf_ = np.asarray(doc["idf"], dtype=float)
        return vectorizer
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"malformed vectorizer in model file: {exc}") from None


def sha256_file(path: str | Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sha256_files(paths: Iterable[str | Path]) -> str:
    """One hash over several files (sorted by name, each file's name and bytes), so the same
    training data always gives the same hash wherever it lives."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(bytes.fromhex(sha256_file(path)))
    return digest.hexdigest()
