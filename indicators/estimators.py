"""Share estimators with honest uncertainty, in the style of samplics: explicit design inputs
(0/1 labels or probabilities, weights, domains), a method enum, one fixed result shape.

Methods
-------
- ``naive``: the classified share, a ratio of weighted sums  p_obs = sum(w*y) / sum(w).
  Biased whenever the classifier errs: E[p_obs] = sens*p + (1-spec)*(1-p).
- ``corrected``: the Rogan–Gladen misclassification correction (Rogan & Gladen 1978,
  "Estimating prevalence from the results of a screening test", Am. J. Epidemiol. 107:71–76),
  as advocated for machine-learning-based statistics by Puts & Daas (2021, "Machine learning
  from the perspective of official statistics", The Survey Statistician 84:12–17; see also
  their work on misclassification bias):
      p_corr = (p_obs + spec - 1) / (sens + spec - 1), clipped to [0, 1],
  with sensitivity and specificity measured on a labelled audit sample.
- ``calibrated``: same as ``corrected`` (or ``naive`` without an audit sample) but with
  weights calibrated to known population totals (Deville & Särndal 1992, "Calibration
  estimators in survey sampling", JASA 87:376–382); see `indicators.adoption_calibration`.

Uncertainty: a bootstrap over BOTH the audit sample (-> sens*, spec*) and the units
(-> p_obs*), combined replicate by replicate; the CI is the percentile interval, the SE the
replicates' standard deviation. See `indicators.bootstrap` for why count resampling is exact.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ecomstat.indicators.bootstrap import audit_replicates, masked_share_replicates, share_replicates
from ecomstat.indicators.calibrated_bootstrap import Calibration, DomainReplicates, calibrated_replicates
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.methods import Method

# Fraction of bootstrap replicates allowed to be undefined (sens*+spec* <= 1, or no positives
# in a resampled audit) before the value is flagged as unstable.
UNSTABLE_SHARE = 0.01


def replicate_interval(star: np.ndarray, replicates: int, alpha: float
                       ) -> tuple[float, float, float, bool]:
    """(se, percentile CI low, high, unstable) of bootstrap replicates `star`. Replicates where
    the correction is undefined are not finite and left out; more than UNSTABLE_SHARE of them
    makes the estimate unstable. Fewer than two finite replicates: NaN."""
    finite = star[np.isfinite(star)]
    unstable = len(finite) < (1 - UNSTABLE_SHARE) * replicates
    if len(finite) < 2:
        return float("nan"), float("nan"), float("nan"), unstable
    low, high = (float(v) for v in np.quantile(finite, [alpha / 2, 1 - alpha / 2]))
    return float(np.std(finite, ddof=1)), low, high, unstable


@dataclass(frozen=True)
class Confusion:
    """The classifier's confusion counts on the audit sample (truth vs predicted label)."""

    tp: int
    fn: int
    fp: int
    tn: int

    @classmethod
    def from_labels(cls, truth: Sequence[int] | np.ndarray, predicted: Sequence[int] | np.ndarray) -> Confusion:
        truth_a = np.asarray(truth).astype(bool)
        predicted_a = np.asarray(predicted).astype(bool)
        if truth_a.shape != predicted_a.shape:
            raise InvalidIndicatorInput("audit truth and predicted labels differ in length")
        return cls(
            tp=int(np.sum(truth_a & predicted_a)),
            fn=int(np.sum(truth_a & ~predicted_a)),
            fp=int(np.sum(~truth_a & predicted_a)),
            tn=int(np.sum(~truth_a & ~predicted_a)),
        )

    @property
    def m(self) -> int:
        return self.tp + self.fn + self.fp + self.tn

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else float("nan")

    def check(self) -> None:
        """The correction needs both classes in the audit and a better-than-chance classifier."""
        if self.tp + self.fn == 0 or self.tn + self.fp == 0:
            raise InvalidIndicatorInput(
                f"the audit sample needs true positives and true negatives (got {self.as_dict()})"
            )
        if self.sensitivity + self.specificity <= 1:
            raise InvalidIndicatorInput(
                "the classifier is no better than chance on the audit sample "
                f"(sensitivity {self.sensitivity:.3f} + specificity {self.specificity:.3f} <= 1): "
                "the Rogan-Gladen correction is undefined"
            )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp, "fn": self.fn, "fp": self.fp, "tn": self.tn, "m": self.m,
            "sensitivity": self.sensitivity, "specificity": self.specificity,
        }


@dataclass
class ShareEstimate:
    """The fixed result shape of every estimator (shares as fractions in [0, 1])."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    cv: float | None
    n: int
    method: str
    flags: list[str] = field(default_factory=list)
    observed: float = float("nan")  # the naive classified share, for comparison
    weighted_n: float = float("nan")


def rogan_gladen(p_obs: np.ndarray | float, sensitivity: np.ndarray | float,
                 specificity: np.ndarray | float) -> np.ndarray:
    """p_corr = (p_obs + spec - 1) / (sens + spec - 1), clipped to [0, 1] (Rogan & Gladen 1978).

    Undefined (NaN) where sens + spec <= 1."""
    p_obs, sens, spec = (np.asarray(v, dtype=float) for v in (p_obs, sensitivity, specificity))
    youden = sens + spec - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        corrected = np.where(youden > 0, (p_obs + spec - 1) / youden, np.nan)
    return np.clip(corrected, 0.0, 1.0)


def _corrected(p_obs: float, audit: Confusion) -> tuple[float, bool]:
    """The Rogan–Gladen point estimate and whether it had to be clipped into [0, 1]."""
    raw = (p_obs + audit.specificity - 1) / (audit.sensitivity + audit.specificity - 1)
    return float(min(1.0, max(0.0, raw))), not 0.0 <= raw <= 1.0


def _validate(y: np.ndarray, weights: np.ndarray) -> None:
    if y.ndim != 1 or weights.shape != y.shape:
        raise InvalidIndicatorInput("labels and weights must be 1-D arrays of the same length")
    if not np.all(np.isfinite(y)) or np.any((y < 0) | (y > 1)):
        raise InvalidIndicatorInput("labels must be 0/1 or probabilities in [0, 1]")
    if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
        raise InvalidIndicatorInput("weights must be positive numbers")


def estimate_share(
    y: Sequence[float] | np.ndarray,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
    domain: Sequence[Hashable] | np.ndarray | None = None,
    method: Method | str = Method.naive,
    audit: Confusion | None = None,
    audit_draws: tuple[np.ndarray, np.ndarray] | None = None,
    audit_population: Sequence[bool] | np.ndarray | None = None,
    replicates: int = 1000,
    alpha: float = 0.05,
    random_state: int | np.random.Generator | None = None,
    min_n: int = 20,
    max_cv: float = 0.35,
    calibration: Calibration | None = None,
) -> dict[Hashable, ShareEstimate]:
    """Estimate the share of units with y=1, per domain (key ``None`` when no domain is given).

    y: 0/1 labels or probabilities; weights: design (or calibrated) weights, default 1;
    audit: confusion counts of the classifier on the audit sample, required when ``method``
    corrects; audit_draws: precomputed (sens*, spec*) replicates, so that several domains or
    breakdowns share the same audit resamples. audit_population: a mask of the units the audit
    sample was drawn from (e.g. enterprises with a found website) when the others are known
    negatives; the correction then applies within it:  p = f * RG(p_obs | mask), f the
    weighted share of masked units (both resampled together). Flags: ``low-n`` (n < min_n), ``high-cv``
    (CV > max_cv), ``clipped`` (Rogan–Gladen outside [0,1]), ``unstable-correction`` (more than
    1% of replicates undefined), ``uncorrected`` (a correcting method without an audit sample).
    calibration: the design behind calibrated ``weights``; the bootstrap then resamples within
    calibration cells and recalibrates each replicate (`indicators.calibrated_bootstrap`).
    """
    method = Method(method)
    y_a, w_a, mask_a = _checked_inputs(y, weights, audit_population, calibration, replicates, alpha)
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)

    correct = method is not Method.naive and audit is not None
    if method is Method.corrected and audit is None:
        raise InvalidIndicatorInput("method 'corrected' needs an audit sample (confusion counts)")
    if correct:
        audit.check()  # type: ignore[union-attr]
        if audit_draws is None:
            audit_draws = audit_replicates(audit.tp, audit.fn, audit.fp, audit.tn, replicates, rng)  # type: ignore[union-attr]
        if len(audit_draws[0]) != replicates:
            raise InvalidIndicatorInput("audit_draws must hold one value per replicate")

    results: dict[Hashable, ShareEstimate] = {}
    for key, index in _domain_groups(domain, y_a).items():
        y_d, w_d = y_a[index], w_a[index]
        p_obs = float(np.sum(w_d * y_d) / np.sum(w_d))
        masked_correction = correct and mask_a is not None
        calibrated = None
        if calibration is not None:
            in_domain = np.zeros(len(y_a), dtype=bool)
            in_domain[index] = True
            calibrated = calibrated_replicates(y_a, in_domain, calibration, replicates, rng,
                                               mask_a if masked_correction else None)
        flags: list[str] = []
        if masked_correction:
            estimate, star, clipped = _masked_correction(
                y_d, w_d, mask_a[index], audit, audit_draws, calibrated, replicates, rng)  # type: ignore[index,arg-type]
            flags += ["clipped"] if clipped else []
        else:
            if calibrated is not None:
                with np.errstate(invalid="ignore", divide="ignore"):
                    p_star = calibrated.y / calibrated.total
            else:
                p_star = share_replicates(y_d, w_d, replicates, rng)
            if correct:
                estimate, clipped = _corrected(p_obs, audit)  # type: ignore[arg-type]
                star = rogan_gladen(p_star, *audit_draws)  # type: ignore[misc]
                flags += ["clipped"] if clipped else []
            else:
                if method is not Method.naive:
                    flags.append("uncorrected")
                estimate, star = p_obs, p_star
        results[key] = _share_estimate(estimate, star, flags, len(index), method, p_obs,
                                       float(np.sum(w_d)), replicates, alpha, min_n, max_cv)
    return results


def _checked_inputs(y: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray | None,
                    audit_population: Sequence[bool] | np.ndarray | None,
                    calibration: Calibration | None, replicates: int,
                    alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """estimate_share's arrays (labels, weights, audit population mask), checked."""
    if replicates < 2:
        raise InvalidIndicatorInput("the bootstrap needs at least 2 replicates")
    if not 0 < alpha < 1:
        raise InvalidIndicatorInput("alpha must lie strictly between 0 and 1")
    y_a = np.asarray(y, dtype=float)
    w_a = np.ones_like(y_a) if weights is None else np.asarray(weights, dtype=float)
    _validate(y_a, w_a)
    mask_a = None if audit_population is None else np.asarray(audit_population, dtype=bool)
    if mask_a is not None and mask_a.shape != y_a.shape:
        raise InvalidIndicatorInput("audit_population must have one value per unit")
    if calibration is not None and calibration.cells.shape != y_a.shape:
        raise InvalidIndicatorInput("calibration must describe every unit")
    return y_a, w_a, mask_a


def _domain_groups(domain: Sequence[Hashable] | np.ndarray | None,
                   y_a: np.ndarray) -> dict[Hashable, np.ndarray]:
    """The positions of each domain's units (one group, key None, without a domain)."""
    if domain is None:
        return {None: np.arange(len(y_a))}
    domain_a = np.asarray(domain)
    if domain_a.shape != y_a.shape:
        raise InvalidIndicatorInput("domain must have one value per unit")
    keys, inverse = np.unique(domain_a, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
    return {keys[i].item() if hasattr(keys[i], "item") else keys[i]: order[bounds[i]:bounds[i + 1]]
            for i in range(len(keys))}


def _masked_correction(y_d: np.ndarray, w_d: np.ndarray, m_d: np.ndarray, audit: Confusion,
                       audit_draws: tuple[np.ndarray, np.ndarray], calibrated: DomainReplicates | None,
                       replicates: int, rng: np.random.Generator) -> tuple[float, np.ndarray, bool]:
    """p = f * RG(p_obs | mask) and its replicates, and whether the estimate was clipped."""
    sens_star, spec_star = audit_draws
    inside = float(np.sum(w_d * m_d))
    fraction = inside / float(np.sum(w_d))
    p_in = float(np.sum(w_d * y_d * m_d) / inside) if inside > 0 else 0.0
    estimate, clipped = _corrected(p_in, audit)
    estimate, clipped = estimate * fraction, clipped and inside > 0
    if calibrated is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            p_in_star = calibrated.y_masked / calibrated.masked
            fraction_star = calibrated.masked / calibrated.total
    else:
        p_in_star, fraction_star = masked_share_replicates(y_d, w_d, m_d, replicates, rng)
    star = fraction_star * np.where(fraction_star > 0, rogan_gladen(p_in_star, sens_star, spec_star), 0.0)
    return estimate, star, clipped


def _share_estimate(estimate: float, star: np.ndarray, flags: list[str], n: int, method: Method,
                    p_obs: float, weighted_n: float, replicates: int, alpha: float, min_n: int,
                    max_cv: float) -> ShareEstimate:
    """One domain's result: the replicates' interval and the flags it earns."""
    se, ci_low, ci_high, unstable = replicate_interval(star, replicates, alpha)
    if unstable:
        flags.append("unstable-correction")
    cv = se / estimate if estimate > 0 and np.isfinite(se) else None
    if n < min_n:
        flags.append("low-n")
    if cv is not None and cv > max_cv:
        flags.append("high-cv")
    return ShareEstimate(
        estimate=estimate, se=se, ci_low=ci_low, ci_high=ci_high, cv=cv, n=n,
        method=method.value, flags=flags, observed=p_obs, weighted_n=weighted_n,
    )
