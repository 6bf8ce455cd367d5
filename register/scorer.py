"""A calibrated match probability from pair features: logistic regression, shipped as JSON.

Fitted by `ecomstat.training.matcher` on labelled pairs (Fodors-Zagats gold pairs and sample-web
truth); `MatchScorer.load()` reads the shipped coefficients (data/match_model.json), no pickle.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

from ecomstat.register.errors import InvalidMatchModel
from ecomstat.register.features import FEATURES


class MatchScorer:
    """P(match | features) = sigmoid(intercept + coef . features)."""

    def __init__(self, coef: np.ndarray | None = None, intercept: float = 0.0,
                 features: tuple[str, ...] = FEATURES, metrics: dict[str, Any] | None = None,
                 version: str = "", training_data_sha256: str = "") -> None:
        self.features = tuple(features)
        self.coef_ = np.zeros(len(self.features)) if coef is None else np.asarray(coef, dtype=float)
        self.intercept_ = float(intercept)
        self.metrics = metrics or {}
        self.version = version
        self.training_data_sha256 = training_data_sha256

    def fit(self, X: np.ndarray, y: np.ndarray, *, C: float = 1.0, random_state: int = 0) -> MatchScorer:
        # imported here: matching only predicts, and scikit-learn costs ~1 s and ~90 MB to import
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=C, random_state=random_state, max_iter=1000)
        model.fit(np.asarray(X, dtype=float), np.asarray(y, dtype=int))
        self.coef_ = model.coef_[0].copy()
        self.intercept_ = float(model.intercept_[0])
        digest = hashlib.sha256(np.ascontiguousarray(X, dtype=float).tobytes())
        digest.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
        self.training_data_sha256 = digest.hexdigest()
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = np.asarray(X, dtype=float) @ self.coef_ + self.intercept_
        return special.expit(z)

    def explain(self, x: list[float]) -> dict[str, float]:
        """Each feature's contribution to the log-odds, for match_evidence."""
        return {f: round(float(c * v), 3) for f, c, v in zip(self.features, self.coef_, x) if v}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "logistic-regression", "version": self.version, "features": list(self.features),
            "coef": [round(float(c), 6) for c in self.coef_], "intercept": round(self.intercept_, 6),
            "metrics": self.metrics, "training_data_sha256": self.training_data_sha256,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", "utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchScorer:
        if not isinstance(data, dict):
            raise InvalidMatchModel("not a match model (a JSON object with features, coef, intercept)")
        if tuple(data.get("features", ())) != FEATURES:
            raise InvalidMatchModel("match model features differ from this version's; refit with ecomstat.training.matcher")
        try:
            coef = np.array(data["coef"], dtype=float)
            intercept = float(data["intercept"])
        except (KeyError, TypeError, ValueError):
            raise InvalidMatchModel("match model needs numeric coef and intercept") from None
        if coef.shape != (len(FEATURES),) or not np.all(np.isfinite(coef)) or not np.isfinite(intercept):
            raise InvalidMatchModel(f"match model needs {len(FEATURES)} finite coefficients")
        return cls(coef, intercept, tuple(data["features"]),
                   data.get("metrics"), data.get("version", ""), data.get("training_data_sha256", ""))

    @classmethod
    def load(cls, path: Path | None = None) -> MatchScorer:
        if path is None:
            return cls.from_dict(json.loads(
                resources.files("ecomstat.register").joinpath("data/match_model.json").read_text("utf-8")))
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except OSError as exc:
            raise InvalidMatchModel(f"cannot read match model {path}: {exc.strerror}") from None
        except (UnicodeDecodeError, ValueError):
            raise InvalidMatchModel(f"match model {path} is not JSON") from None
        try:
            return cls.from_dict(data)
        except InvalidMatchModel as exc:
            raise InvalidMatchModel(f"{path}: {exc}") from None
