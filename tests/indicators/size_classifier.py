"""A synthetic population whose classifier is better for large firms (issue 16 item 5): the case
for error rates by size class, shared by the tests of the pooled, by-class and shrunk rates."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ecomstat.indicators.twophase import AuditSample


class ClassifierBySize(NamedTuple):
    size: np.ndarray  # size class per unit: 0, 1, 2 (250+)
    truth: np.ndarray
    pred: np.ndarray
    sample: AuditSample  # a simple random audit of 1,500 units
    ones: np.ndarray  # unit weights
    rng: np.random.Generator  # its state after drawing all of the above, for the draws


def classifier_better_for_large_firms(seed: int = 3, n: int = 30_000) -> ClassifierBySize:
    rng = np.random.default_rng(seed)
    size = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    truth = (rng.random(n) < np.array([0.2, 0.3, 0.45])[size]).astype(np.int8)
    sens, spec = np.array([0.7, 0.85, 0.98])[size], np.array([0.88, 0.95, 0.995])[size]
    u = rng.random(n)
    pred = np.where(truth == 1, u < sens, u >= spec).astype(np.int8)
    audited = rng.choice(n, 1500, replace=False)
    sample = AuditSample(audited, truth[audited], np.ones(len(audited)))
    return ClassifierBySize(size, truth, pred, sample, np.ones(n), rng)
