"""Cells of the adoption indicators: nonresponse weights, (cross-)breakdown domains, and the
estimates of every cell of one breakdown (naive: sampling interval; corrected: two-phase).

Nonresponse: an enterprise whose website was found but not crawled (yet), timed out or is
unreachable has no observed label; counting it as "no" biases every content indicator down. It
is treated as unit nonresponse and the responding units are reweighted within size class x
NACE section cells (cells without a respondent are collapsed into the size class, then into
the total): w_i' = w_i * sum_(cell) w / sum_(cell, respondents) w, nonrespondents get 0, units
without a website keep their weight (their "no" is observed). This assumes the nonrespondents
resemble the respondents of their cell (missing at random given size x NACE; Särndal & Lundström
2005, "Estimation in Surveys with Nonresponse", ch. 7).

Naive values get a Wilson score interval on Kish's effective sample size: a SAMPLING interval
that ignores misclassification (Wilson 1927; Brown, Cai & DasGupta 2001 for why not Wald near
0 and 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecomstat.indicators.estimators import ShareEstimate, replicate_interval
from ecomstat.indicators.nonresponse import NONRESPONDENT, OTHER, RESPONDENT, Reweighting
from ecomstat.indicators.twophase import PRIOR, ErrorRates, Phase1, corrected_shares, phase1_totals

Z = {0.05: 1.959963984540054}


@dataclass
class Nonresponse:
    weights: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    reweighting: Reweighting | None = None  # redone in every bootstrap replicate


def nonresponse_weights(weight: np.ndarray, respondent: np.ndarray, nonrespondent: np.ndarray,
                        cell_levels: list[tuple[str, np.ndarray]]) -> Nonresponse:
    """Reweight respondents for nonrespondents within the first level of `cell_levels` whose
    cell has a respondent (levels from finest to coarsest, e.g. size x NACE, size, total)."""
    role = np.where(nonrespondent, NONRESPONDENT, np.where(respondent, RESPONDENT, OTHER)).astype(np.int8)
    reweighting = Reweighting(role, tuple((name, np.asarray(cells)) for name, cells in cell_levels))
    weight = weight.astype(float)
    factor, level_of = reweighting.factors(weight[None, :])
    used = {name: int(np.sum(level_of[0] == number)) for number, (name, _) in enumerate(cell_levels)}
    info = {"treatment": "nonresponse: respondents reweighted within cells",
            "nonrespondents_by_level": {k: v for k, v in used.items() if v or k == cell_levels[0][0]},
            "nonrespondents_dropped": int(np.sum(nonrespondent & (level_of[0] < 0))),
            "variance": "reweighting redone in every bootstrap replicate"}
    return Nonresponse(weight * factor[0], info, reweighting)


def domain_codes(codes: list[np.ndarray], names: list[list[str]]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """One integer domain per unit for the cross-classification of `codes` (any number of
    breakdown variables), and each domain's tuple of category names."""
    if not codes:
        return np.zeros(0, dtype=np.int64), [()]
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for code, name in zip(codes, names):
        combined = combined * len(name) + code
    present, inverse = np.unique(combined, return_inverse=True)
    labels = []
    for value in present.tolist():
        parts = []
        for name in reversed(names):
            parts.append(name[value % len(name)])
            value //= len(name)
        labels.append(tuple(reversed(parts)))
    return inverse.astype(np.int64), labels


def wilson(p: float, n_eff: float, z: float) -> tuple[float, float]:
    if n_eff <= 0 or not np.isfinite(p):
        return float("nan"), float("nan")
    denominator = 1 + z * z / n_eff
    centre = (p + z * z / (2 * n_eff)) / denominator
    half = z * np.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _z(alpha: float) -> float:
    from statistics import NormalDist

    return Z.get(alpha) or NormalDist().inv_cdf(1 - alpha / 2)


def naive_cells(y: np.ndarray, weight: np.ndarray, domain: np.ndarray, n_domains: int,
                alpha: float) -> list[ShareEstimate]:
    """Classified share per domain with a Wilson sampling interval (Kish effective n)."""
    inside = weight > 0
    sw = np.bincount(domain[inside], weights=weight[inside], minlength=n_domains)
    swy = np.bincount(domain[inside], weights=(weight * y)[inside], minlength=n_domains)
    sw2 = np.bincount(domain[inside], weights=(weight * weight)[inside], minlength=n_domains)
    n = np.bincount(domain, minlength=n_domains)
    z = _z(alpha)
    result = []
    for d in range(n_domains):
        p = swy[d] / sw[d] if sw[d] > 0 else float("nan")
        n_eff = sw[d] ** 2 / sw2[d] if sw2[d] > 0 else 0.0
        low, high = wilson(p, n_eff, z)
        se = float(np.sqrt(p * (1 - p) / n_eff)) if n_eff > 0 else float("nan")
        result.append(ShareEstimate(estimate=float(p), se=se, ci_low=low, ci_high=high,
                                    cv=se / p if p > 0 and np.isfinite(se) else None, n=int(n[d]),
                                    method="naive", observed=float(p), weighted_n=float(sw[d])))
    return result


def corrected_cells(pred: np.ndarray, domain: np.ndarray, n_domains: int, mask: np.ndarray,
                    phase1: Phase1, rates: ErrorRates, theta_draws: np.ndarray, alpha: float,
                    rng: np.random.Generator, method: str, prior: str = PRIOR) -> list[ShareEstimate]:
    """Two-phase corrected share per domain with a percentile bootstrap interval (`prior`: the
    one `theta_draws` were drawn with, for the centre of the finite-population correction)."""
    replicates = theta_draws.shape[0]
    n_groups = len(rates.names)
    point, reps = phase1_totals(domain, n_domains, rates.group_of, n_groups, pred, mask,
                                phase1, replicates, rng)
    share, observed, clipped = corrected_shares(point, rates.theta)
    # Phase 2 given phase 1: the audit is a subsample of the classified units, so the draws of
    # theta shrink towards their centre by sqrt(1 - n_k/N_k) (finite-population correction).
    inside = mask.astype(bool)
    cell = rates.group_of[inside] * 2 + pred[inside].astype(np.int64)
    classified = np.bincount(cell, minlength=2 * n_groups).reshape(n_groups, 2)
    fraction = np.clip(rates.n / np.maximum(classified, 1), 0.0, 1.0)
    centre = rates.centre(prior)
    theta_star = np.clip(centre + np.sqrt(1 - fraction) * (theta_draws - centre), 0.0, 1.0)
    share_star, _, _ = corrected_shares(reps, theta_star)
    # Phase 1, within predicted classes: the true labels of the classified units vary around
    # theta, which the resampled class counts do not show; add that variance,
    # sum_i (1 - 1/d_i) (w_i / W_D)^2 theta_i (1 - theta_i), as a normal term.
    theta_unit = rates.theta[rates.group_of, pred.astype(np.int64)]
    unit_var = np.where(inside, phase1.weight ** 2 * theta_unit * (1 - theta_unit)
                        * (1 - 1 / np.maximum(phase1.design_weight, 1.0)), 0.0)
    total_w = point.sum(axis=(1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        within_sd = np.sqrt(np.bincount(domain, weights=unit_var, minlength=n_domains)) / total_w
    share_star = np.clip(share_star + rng.standard_normal(share_star.shape) * np.nan_to_num(within_sd), 0.0, 1.0)
    n = np.bincount(domain, minlength=n_domains)
    weighted_n = point.sum(axis=(1, 2, 3))
    used = np.unique(rates.group_of[mask.astype(bool)])
    # Shrunk rates (mode `shrink`): a group without audited units borrows the pool's, so only
    # an empty predicted class of the pool is an empty class.
    audited = rates.pooled.n if rates.pooled is not None else rates.n[used]
    empty_class = bool(np.any(audited == 0)) if len(used) else False
    undefined = bool(np.any(rates.theta[used, 1] <= rates.theta[used, 0])) if len(used) else False
    result = []
    for d in range(n_domains):
        flags = ["clipped"] if clipped[d] else []
        flags += ["audit-class-empty"] if empty_class else []
        flags += ["correction-undefined"] if undefined else []
        se, low, high, unstable = replicate_interval(share_star[:, d], replicates, alpha)
        if unstable:
            flags.append("unstable-correction")
        estimate = float(share[d])
        result.append(ShareEstimate(estimate=estimate, se=se, ci_low=min(low, estimate),
                                    ci_high=max(high, estimate),
                                    cv=se / estimate if estimate > 0 and np.isfinite(se) else None,
                                    n=int(n[d]), method=method, flags=flags,
                                    observed=float(observed[d]), weighted_n=float(weighted_n[d])))
    return result
