"""The change of a share between two waves, corrected for classifier error (issue 17 item 2).

The paired interval of `indicators.changes` covers sampling error only: with a classifier of
sensitivity s and specificity c, the observed share is s p + (1 - c)(1 - p), so the observed
change is (s + c - 1) times the true one and its interval is centred on the wrong value. When
each wave has an audit sample (truth vs label, `ecomstat audit import`), each wave's share is
corrected (Rogan & Gladen 1978, as `indicators.estimators`) and the change is

    D = RG(p2_obs; s2, c2) - RG(p1_obs; s1, c1)

Its interval is a bootstrap that keeps both sources of error and the overlap:
- units are resampled as PAIRS (an enterprise's two labels stay together), so the covariance
  of the two waves' observed shares over the enterprises in both is carried into every
  replicate (drawn as multinomial counts of (weight, y1, y2) types, `indicators.bootstrap`);
- each wave's audit sample is resampled on its own (independent audits), or once for both
  when the two waves are corrected with the same audit set (the same s and c: their error
  then largely cancels in the difference);
- the percentile interval of the replicated D. Replicates where a correction is undefined
  (s* + c* <= 1) are dropped; more than 1% of them flags the cell unstable.

The audit sample must represent the units it corrects (e.g. a simple random or stratified
sample of the enterprises in scope, with truth for every task). Checked by simulation in
tests/indicators/test_changes_corrected.py (known truth, coverage over many draws).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecomstat.indicators.bootstrap import audit_replicates
from ecomstat.indicators.estimators import Confusion, replicate_interval, rogan_gladen
from ecomstat.indicators.errors import InvalidIndicatorInput

METHOD = "paired-corrected"


@dataclass(frozen=True)
class CorrectedChange:
    estimate_from: float  # corrected share of wave 1 (fraction)
    estimate_to: float
    difference: float
    se: float
    ci_low: float
    ci_high: float
    observed_difference: float  # the uncorrected paired change, for comparison
    unstable: bool


def _pair_types(y1: np.ndarray, y2: np.ndarray, weight: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (weight, y1, y2) types of the paired units: weight_k, y1_k, y2_k, count_k."""
    keys, weight_class = np.unique(weight.astype(float), return_inverse=True)
    code = weight_class.astype(np.int64) * 4 + 2 * (y1 > 0) + (y2 > 0)
    counts = np.bincount(code, minlength=4 * len(keys))
    keep = np.flatnonzero(counts)
    return keys[keep // 4], ((keep // 2) % 2).astype(float), (keep % 2).astype(float), counts[keep]


def corrected_paired_change(
    y1: np.ndarray, y2: np.ndarray, weight: np.ndarray, audit_from: Confusion,
    audit_to: Confusion, *, same_audit: bool = False, replicates: int = 1000,
    alpha: float = 0.05, random_state: int | np.random.Generator | None = None,
) -> CorrectedChange:
    """The misclassification-corrected change of the share of y = 1 over paired units (y1, y2:
    the same enterprises' 0/1 labels in the two waves; weights > 0), with a bootstrap interval
    over units (paired) and audit samples. `same_audit`: both waves corrected with one audit
    sample (`audit_from` is used for both, resampled once)."""
    y1, y2, weight = (np.asarray(v, dtype=float) for v in (y1, y2, weight))
    if not (y1.shape == y2.shape == weight.shape) or y1.ndim != 1 or not len(y1):
        raise InvalidIndicatorInput("y1, y2 and weights must be 1-D arrays of one non-zero length")
    if np.any((y1 != 0) & (y1 != 1)) or np.any((y2 != 0) & (y2 != 1)) or np.any(weight <= 0):
        raise InvalidIndicatorInput("labels must be 0/1 and weights positive")
    if replicates < 2:
        raise InvalidIndicatorInput("the bootstrap needs at least 2 replicates")
    audits = (audit_from, audit_from) if same_audit else (audit_from, audit_to)
    for audit in audits:
        audit.check()
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    total = float(weight.sum())
    p1, p2 = float(weight @ y1) / total, float(weight @ y2) / total
    c1 = float(rogan_gladen(p1, audits[0].sensitivity, audits[0].specificity))
    c2 = float(rogan_gladen(p2, audits[1].sensitivity, audits[1].specificity))

    weight_k, y1_k, y2_k, count_k = _pair_types(y1, y2, weight)
    n = len(y1)
    draws = (np.full((replicates, 1), n) if len(count_k) == 1
             else rng.multinomial(n, count_k / n, size=replicates)).astype(float)
    mass = draws @ weight_k
    star1, star2 = (draws @ (weight_k * y1_k)) / mass, (draws @ (weight_k * y2_k)) / mass
    sens1, spec1 = audit_replicates(audits[0].tp, audits[0].fn, audits[0].fp, audits[0].tn,
                                    replicates, rng)
    sens2, spec2 = (sens1, spec1) if same_audit else audit_replicates(
        audits[1].tp, audits[1].fn, audits[1].fp, audits[1].tn, replicates, rng)
    star = rogan_gladen(star2, sens2, spec2) - rogan_gladen(star1, sens1, spec1)
    se, low, high, unstable = replicate_interval(star, replicates, alpha)
    return CorrectedChange(c1, c2, c2 - c1, se, low, high, p2 - p1, unstable)
