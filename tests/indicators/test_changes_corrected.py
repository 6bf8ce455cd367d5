"""The misclassification-corrected change between two waves (issue 17 item 2), checked against
a simulation with known truth: over many simulated registers and audit samples (fixed
random_state) its 95% interval covers the true change about 95% of the time, while the
uncorrected paired interval, centred on (sens + spec - 1) x the true change, does not."""

from __future__ import annotations

import numpy as np
import pytest

from ecomstat.indicators.changes import paired_change
from ecomstat.indicators.changes_corrected import corrected_paired_change
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.estimators import Confusion

P1, GAIN, LOSS = 0.30, 0.08, 0.04  # share selling online in wave 1; yearly gains and losses
TRUE_CHANGE = (1 - P1) * GAIN - P1 * LOSS  # 0.044
SENS, SPEC = 0.85, 0.92
N, M = 2000, 300  # enterprises in both waves; audit sample per wave


def _classify(truth: np.ndarray, error_draw: np.ndarray) -> np.ndarray:
    """The classifier: right with probability SENS / SPEC. The same draw in both waves makes a
    site's error persistent (the same page misread again), as on the real web."""
    return np.where(truth == 1, error_draw < SENS, error_draw > SPEC).astype(np.int8)


def _wave_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Confusion, Confusion]:
    z1 = (rng.random(N) < P1).astype(np.int8)
    flip = rng.random(N)
    z2 = np.where(z1 == 1, flip >= LOSS, flip < GAIN).astype(np.int8)
    error_draw = rng.random(N)
    audits = []
    for _ in range(2):  # an independent audit sample per wave
        truth = (rng.random(M) < P1).astype(np.int8)
        audits.append(Confusion.from_labels(truth, _classify(truth, rng.random(M))))
    return _classify(z1, error_draw), _classify(z2, error_draw), audits[0], audits[1]


def test_the_corrected_interval_covers_the_true_change_at_its_nominal_rate() -> None:
    rng = np.random.default_rng(20261206)
    draws, covered, naive_covered, estimates = 300, 0, 0, []
    weight = np.ones(N)
    for _ in range(draws):
        y1, y2, audit1, audit2 = _wave_pair(rng)
        result = corrected_paired_change(y1, y2, weight, audit1, audit2, replicates=400,
                                         random_state=rng)
        covered += result.ci_low <= TRUE_CHANGE <= result.ci_high
        estimates.append(result.difference)
        _, _, diff, _, half = paired_change(y1, y2, weight)
        naive_covered += diff - half <= TRUE_CHANGE <= diff + half
    coverage, naive = covered / draws, naive_covered / draws
    # 300 draws: a 95% interval's coverage lies in [0.92, 0.98] with ~99% probability
    assert 0.92 <= coverage <= 0.98, coverage
    assert abs(float(np.mean(estimates)) - TRUE_CHANGE) < 0.003  # unbiased (mean of 300)
    assert naive < 0.75, naive  # the uncorrected interval misses: it ignores classifier error


def test_one_audit_for_both_waves_is_resampled_once() -> None:
    rng = np.random.default_rng(7)
    y1, y2, audit, _ = _wave_pair(rng)
    shared = corrected_paired_change(y1, y2, np.ones(N), audit, audit, same_audit=True,
                                     random_state=1)
    independent = corrected_paired_change(y1, y2, np.ones(N), audit, audit, random_state=1)
    assert shared.difference == pytest.approx(independent.difference)
    # the shared audit's error moves both waves' corrections together: a narrower interval
    assert shared.se < independent.se


def test_bad_input_is_refused() -> None:
    audit = Confusion(tp=50, fn=10, fp=10, tn=130)
    with pytest.raises(InvalidIndicatorInput, match="0/1"):
        corrected_paired_change(np.array([0, 2]), np.array([0, 1]), np.ones(2), audit, audit)
    with pytest.raises(InvalidIndicatorInput, match="no better than chance"):
        corrected_paired_change(np.array([0, 1]), np.array([0, 1]), np.ones(2), audit,
                                Confusion(tp=1, fn=9, fp=9, tn=1))
