"""The products model as portable JSON (no pickle): vocabularies and idf weights of the two
text views, sparse coefficients (gap-coded indices, integer steps of a per-class scale),
intercepts, classes and the softmax temperature. See classifiers/portable.py for the file."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from ecomstat.classifiers.portable import decode_tfidf, encode_tfidf
from ecomstat.classifiers.products.model import BLOCKS, ProductClassifier

QUANT_STEPS = 1023  # coefficient resolution in the model file: 11 bits a weight
FEATURES = "views/2"  # text views of text.py and BLOCKS; files of other views are refused
RANGES = ("char_ngram_range", "word_ngram_range")


def as_dict(model: ProductClassifier) -> dict[str, Any]:
    """The fitted parts of a model, for the portable JSON file (see portable.py)."""
    coef = model.coef_.tocsr()
    return {
        "params": {
            k: list(v) if isinstance(v, tuple) else v for k, v in model.get_params().items()
        },
        "classes": [str(c) for c in model.classes_],
        "temperature": model.temperature_,
        "features": FEATURES,
        "vectorizers": {name: encode_tfidf(v) for name, v in model.vectorizers_.items()},
        "n_features": int(coef.shape[1]),
        "coef_encoding": "delta-indices/int11-per-row-scale",
        "coef": [encode_row(coef.indices[a:b], coef.data[a:b]) for a, b in
                 zip(coef.indptr[:-1], coef.indptr[1:])],
        "intercept": [float(f"{v:.6g}") for v in model.intercept_],
    }


def encode_row(indices: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """One class's sparse coefficients, compact but plain JSON: sorted feature indices as
    gaps (small numbers), values as int8 steps of a per-row scale (error <= scale / 2, under
    0.05% of the row's largest weight)."""
    order = np.argsort(indices)
    indices, values = np.asarray(indices)[order], np.asarray(values, dtype=float)[order]
    scale = float(np.abs(values).max()) / QUANT_STEPS if len(values) else 1.0
    steps = np.round(values / scale).astype(int) if scale else np.zeros(len(values), int)
    kept = steps != 0
    indices, steps = indices[kept], steps[kept]
    gaps = np.diff(indices, prepend=0)
    return {"d": gaps.tolist(), "q": steps.tolist(), "s": float(f"{scale:.6g}")}


def decode_row(row: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    indices = np.cumsum(np.asarray(row["d"], dtype=np.int64)).astype(np.int32)
    values = (np.asarray(row["q"], dtype=np.float32) * np.float32(row["s"])).astype(np.float32)
    if len(indices) != len(values):
        raise ValueError("coefficient row has different numbers of indices and values")
    return indices, values


def from_dict(doc: dict[str, Any]) -> ProductClassifier:
    """Rebuild a fitted ProductClassifier from `as_dict` output."""
    if doc.get("features") != FEATURES:
        raise ValueError(
            f"it was built for other text features ({doc.get('features', 'views/1')!r}, this "
            f"ecomstat reads {FEATURES!r}); retrain it with `ecomstat model train products`"
        )
    params = dict(doc["params"])
    params.setdefault("stem_words", False)  # files from before stemming read unstemmed words
    for key in RANGES:
        params[key] = tuple(params[key])
    model = ProductClassifier(**params)
    model.classes_ = np.asarray(doc["classes"])
    model.temperature_ = float(doc["temperature"])
    vectorizers = doc["vectorizers"]
    model.vectorizers_ = {name: decode_tfidf(vectorizers[name]) for name in BLOCKS
                          if name in vectorizers}
    data, indices, indptr = [], [], [0]
    for row in doc["coef"]:
        row_indices, row_values = decode_row(row)
        indices.append(row_indices)
        data.append(row_values)
        indptr.append(indptr[-1] + len(row_indices))
    data = np.concatenate(data) if data else np.zeros(0, np.float32)
    indices = np.concatenate(indices) if indices else np.zeros(0, np.int32)
    model.coef_ = sparse.csr_matrix(
        (data, indices, np.asarray(indptr, dtype=np.int64)),
        shape=(len(doc["coef"]), int(doc["n_features"])),
    )
    model.intercept_ = np.asarray(doc["intercept"], dtype=float)
    return model
