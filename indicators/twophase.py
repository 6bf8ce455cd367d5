"""Misclassification-corrected shares as a two-phase estimator, with a design-based bootstrap.

Phase 1 is the set of units the classifier labelled (the register, or a sample of it with
design weights d_i); phase 2 is the audit, a subsample of phase 1 drawn by any design (simple
random, stratified e.g. by predicted label, or unequal probabilities) with second-phase weights
a_i = 1/pi_(i|phase 1) (Särndal, Swensson & Wretman 1992, "Model Assisted Survey Sampling",
ch. 9). Within error group g (pooled, or size class) and predicted class k:

    theta_(k,g) = P(true = 1 | pred = k, g) = sum_(audit, k, g) d a t / sum_(audit, k, g) d a

and the phase-1 weighted counts W_(k,g) give a design-based estimate of the population
confusion matrix N_(t,k,g) = W_(k,g) theta_(t|k,g), hence sensitivity and specificity
(weighted counts within predicted-label strata: the audit's design is used, an audit that
oversamples predicted shops is no longer biased). A domain D's share is

    p_D = sum_g (W_(D,g) / W_D) * RG(q_(D,g); sens_g, spec_g)

with q_(D,g) the classified share in D and g, RG the Rogan–Gladen inversion (clipped to
[0, 1]); for a domain that is a union of groups this equals the two-phase estimator
sum_k W_(D,k,g) theta_(k,g) / W_D exactly. Where theta_1 <= theta_0 (a classifier no better
than chance) the two-phase form is used. Kloos, Meertens, Scholtus & Karch (2021, "Comparing
correction methods to reduce misclassification bias") and van Delden, Scholtus & Burger (2016,
"Accuracy of mixed-source statistics as affected by classification errors", JOS 32:619–642)
discuss these corrections; Puts & Daas (2021) argue for them in official statistics.

Variance (`replicates`): phase 1 is resampled as it was drawn (with-replacement draws within
strata = domain x design-weight class, or calibration cell x domain with the weights
recalibrated per replicate), rescaled by sqrt(1 - f_h) with f_h = 1/d_h (Rao & Wu 1988), so a
census of the register (d = 1) has no phase-1 variance; phase 2 by parametric draws of theta per
(k, g) from a Jeffreys posterior on Kish's effective size n_eff of the audited units in (k, g),
its pseudo-counts on the audit's scale and Clopper–Pearson tails at fewer than 2 events
(`ErrorRates.draws`), which keep the uncertainty of small or zero counts (a (3, 0, 0, 27) audit
does not make sensitivity exactly 1) without the width a full half-count prior adds there.
Error groups (`error_rates` mode): pooled, by size class, the `auto` switch between them (the
default), or `shrink`: the size classes' rates shrunk towards the pooled ones by empirical Bayes
(`twophase_shrink`, with its own two-stage draws; measured in issue 16's grid, not the default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaincinv

from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.nonresponse import Reweighting
from ecomstat.indicators.twophase_shrink import conditional_draws, mean_size, shrunk, strengths

# Below this many audited units in a predicted class of some size class, error rates are pooled.
MIN_AUDIT_PER_CLASS = 10
JEFFREYS = 0.5
TINY = 1e-6  # a Beta shape of 0 (no event on a side) as a point mass at the boundary
PRIORS = ("mod-jeffreys", "shared", "jeffreys", "mid-p")
MODES = ("auto", "pooled", "groups", "shrink")
PRIOR = PRIORS[0]


@dataclass(frozen=True)
class AuditSample:
    """Audited units: positions into the unit arrays, their truth and second-phase weights."""

    position: np.ndarray
    truth: np.ndarray
    weight: np.ndarray  # a_i = 1 / inclusion probability in the audit (relative values suffice)
    design: str = "srs"

    def __post_init__(self) -> None:
        if not (self.position.shape == self.truth.shape == self.weight.shape):
            raise InvalidIndicatorInput("audit: one position, truth and weight per audited unit")
        if len(self.weight) and (not np.all(np.isfinite(self.weight)) or np.any(self.weight <= 0)):
            raise InvalidIndicatorInput("audit weights must be positive numbers")


@dataclass(frozen=True)
class ErrorRates:
    """theta_(k,g) = P(true=1 | pred=k, group g), with the audit counts behind them."""

    names: list[str]
    group_of: np.ndarray  # per unit: group code
    theta: np.ndarray     # (G, 2)
    n: np.ndarray         # (G, 2) audited units
    n_eff: np.ndarray     # (G, 2) Kish effective sizes
    positives: np.ndarray  # (G, 2) audited units with truth 1
    rule: str
    # mode `shrink` (twophase_shrink): prior strengths m (2,), the groups' own effective
    # positives x (G, 2) and the pooled rate's ErrorRates (one group, on N_mu) for mu's draws.
    strength: np.ndarray | None = None
    own_x: np.ndarray | None = None
    pooled: ErrorRates | None = None

    def as_dict(self) -> dict:
        extra = {} if self.strength is None else {
            "prior_strength": {k: (None if not np.isfinite(m) else round(float(m), 3))
                               for k, m in zip(("pred_no", "pred_yes"), self.strength)}}
        return {**extra, "groups": {name: {"ppv": _round(self.theta[g, 1]), "false_omission": _round(self.theta[g, 0]),
                                  "audited_pred_yes": int(self.n[g, 1]), "audited_pred_no": int(self.n[g, 0]),
                                  "true_among_pred_yes": int(self.positives[g, 1]),
                                  "true_among_pred_no": int(self.positives[g, 0])}
                           for g, name in enumerate(self.names)},
                "rule": self.rule}

    def scale(self) -> np.ndarray:
        """(G, 2) effective units per audited unit, n_eff / n (1 for an unweighted audit)."""
        return np.where(self.n > 0, self.n_eff / np.maximum(self.n, 1), 1.0)

    def centre(self, prior: str = PRIOR) -> np.ndarray:
        """(G, 2) posterior mean of theta under the prior of the draws (the centre they are
        shrunk towards for the audit's finite-population correction, which matters where the
        audit is a large part of a predicted class, e.g. 150 of 185 predicted shops)."""
        if self.pooled is not None:
            return shrunk(self.own_x, self.n_eff, self.pooled.centre(prior)[0], self.strength)
        s = self.scale()
        unit = s / self.theta.shape[0] if prior == "shared" else s
        return (self.n_eff * self.theta + JEFFREYS * unit) / (self.n_eff + 2 * JEFFREYS * unit)

    def draws(self, replicates: int, rng: np.random.Generator, prior: str = PRIOR) -> np.ndarray:
        """(B, G, 2) draws of theta; x = n_eff * theta effective positives (Kish).

        ``mod-jeffreys`` (the default): the Jeffreys posterior Beta(x + a, n_eff - x + a), a = s/2,
        with its pseudo-counts on the audit's own scale (s = n_eff / n: half an AUDITED unit on
        each side; with unequal weights a plain +1/2 would weigh 1/s audited units and widen the
        interval at small counts), and Clopper–Pearson tails where a side holds fewer than 2
        audited units: the lower tail from Beta(x, n_eff - x + 2a) when x < 2s, the upper from
        Beta(x + 2a, n_eff - x) when n_eff - x < 2s. Those tails mend the Jeffreys interval's
        coverage dip at one event among many (Brown, Cai & DasGupta 2001, sec. 4.1.2).
        ``shared``: as ``mod-jeffreys`` with the prior's weight shared by the G error groups,
        a = s / (2G), so that splitting a predicted class's audit into G size classes does not
        multiply its prior information by G (the overall objective prior of Berger, Bernardo &
        Sun 2015 / Perks 1947 for many multinomial cells; one pseudo-event for a weighted sum of
        small counts as in Fay & Feuer 1997 and Tiwari, Clegg & Zou 2006). Identical to
        ``mod-jeffreys`` for pooled rates. Measured in issue 16's grid (bench/README.md): it
        brings three audits of 100 split by size class from 97.9–98.3% to 95.1–97.9% but raises
        rare-class stratified audits (P 0.05, audit of 300: 97.3 -> 98.3% calibrated), so it is
        not the default.
        ``jeffreys``: Beta(x + 1/2, n_eff - x + 1/2) everywhere. ``mid-p``: Jeffreys where both
        counts are 2 or more, else an even mixture of the two Clopper–Pearson confidence
        distributions Beta(x, n - x + 1) and Beta(x + 1, n - x). The last two were the earlier
        defaults; issue 16's simulation shows why they were replaced: ``jeffreys`` under-covers
        a rare class audited 50/50 (86-90%), ``mid-p`` over-covers small error counts (above 98%
        with audits of 100)."""
        if self.pooled is not None:
            # Two-stage draws: the pooled rate (one prior per predicted class), then each group
            # given it (twophase_shrink).
            mu = self.pooled.draws(replicates, rng, prior)[:, 0, :]
            return conditional_draws(mu, self.own_x, self.n_eff, self.strength, rng)
        x = self.n_eff * self.theta
        shape = (replicates, *self.theta.shape)
        if prior == "jeffreys":
            return rng.beta(x + JEFFREYS, self.n_eff - x + JEFFREYS, size=shape)
        if prior == "mid-p":
            low = rng.beta(np.maximum(x, TINY), self.n_eff - x + 1, size=shape)
            high = rng.beta(x + 1, np.maximum(self.n_eff - x, TINY), size=shape)
            mixture = np.where(rng.random(shape) < 0.5, low, high)
            jeffreys = rng.beta(x + JEFFREYS, self.n_eff - x + JEFFREYS, size=shape)
            near = (x < 2) | (self.n_eff - x < 2)
            return np.where(near, mixture, jeffreys)
        if prior not in ("shared", "mod-jeffreys"):
            raise InvalidIndicatorInput(f"unknown prior {prior!r} ({', '.join(PRIORS)})")
        s = self.scale()
        # `shared`: one audited unit of pseudo-count per predicted class, split over the groups.
        unit = s / self.theta.shape[0] if prior == "shared" else s
        u = rng.random(shape)

        def quantile(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return betaincinv(np.broadcast_to(np.maximum(a, TINY), shape),
                              np.broadcast_to(np.maximum(b, TINY), shape), u)

        # One uniform per draw through three quantile functions, so that a tail swap keeps
        # the draw's rank (the percentile interval takes its ends from the swapped tails).
        body = quantile(x + JEFFREYS * unit, self.n_eff - x + JEFFREYS * unit)
        lower = np.minimum(quantile(x, self.n_eff - x + unit), body)
        upper = np.maximum(quantile(x + unit, self.n_eff - x), body)
        # The tails' trigger stays a count of audited units (fewer than 2 on a side).
        body = np.where((u < 0.5) & (x < 2 * s), lower, body)
        return np.where((u > 0.5) & (self.n_eff - x < 2 * s), upper, body)


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6)


def error_rates(pred: np.ndarray, unit_weight: np.ndarray, audit: AuditSample,
                group: np.ndarray | None = None, group_names: list[str] | None = None,
                mode: str = "auto", min_per_class: int = MIN_AUDIT_PER_CLASS) -> ErrorRates:
    """Design-weighted theta per (group, predicted class); `mode`: pooled | groups | auto
    (groups when every group holding audited units has at least `min_per_class` of them in each
    predicted class, pooled otherwise) | shrink (every group's rates shrunk towards the pooled
    ones by empirical Bayes, `twophase_shrink`)."""
    if mode not in MODES:
        raise InvalidIndicatorInput(f"unknown error-rate mode {mode!r} ({', '.join(MODES)})")
    n_units = len(pred)
    pooled = _rates(pred, unit_weight, audit, np.zeros(n_units, dtype=np.int64), ["all"])
    if group is None or mode == "pooled":
        return ErrorRates(**pooled, group_of=np.zeros(n_units, dtype=np.int64),
                          rule="pooled" if group is None or mode == "pooled" else "")
    names = group_names or [str(v) for v in range(int(group.max()) + 1)]
    by_group = _rates(pred, unit_weight, audit, group, names)
    if mode == "shrink":
        return _shrunk_rates(pooled, by_group, group)
    audited = by_group["n"].sum(axis=1) > 0
    supported = bool(np.all(by_group["n"][audited] >= min_per_class))
    if mode == "auto" and not supported:
        return ErrorRates(**pooled, group_of=np.zeros(n_units, dtype=np.int64),
                          rule=f"pooled: some group has fewer than {min_per_class} audited units "
                               "in a predicted class")
    # A group without audited units borrows the pooled rates (stated in the rule).
    borrowed = [names[g] for g in np.flatnonzero(~audited)]
    for key in ("theta", "n", "n_eff", "positives"):
        by_group[key][~audited] = pooled[key][0]
    rule = f"by group (each has >= {min_per_class} audited units per predicted class)"
    if mode == "groups":
        rule = "by group (requested)"
    if borrowed:
        rule += f"; pooled rates for unaudited group(s) {', '.join(borrowed)}"
    return ErrorRates(**by_group, group_of=group.astype(np.int64), rule=rule)


def _shrunk_rates(pooled: dict, by_group: dict, group: np.ndarray) -> ErrorRates:
    """Rates by group shrunk towards the pooled ones (empirical Bayes, see twophase_shrink)."""
    x = by_group["n_eff"] * by_group["theta"]
    n_eff = by_group["n_eff"]
    scale = np.where(pooled["n"][0] > 0, pooled["n_eff"][0] / np.maximum(pooled["n"][0], 1), 1.0)
    m = strengths(x, n_eff, scale)
    # mu's draws on the size the groups give it under the model (N_mu <= N; = N when pooled),
    # kept on the audit's scale (n scaled alike) for the prior's pseudo-counts and tails.
    total = n_eff.sum(axis=0)
    ratio = np.where(total > 0, mean_size(n_eff, m) / np.maximum(total, 1e-300), 1.0)
    mu = ErrorRates(names=["all"], group_of=np.zeros(1, dtype=np.int64), theta=pooled["theta"],
                    n=pooled["n"] * ratio, n_eff=pooled["n_eff"] * ratio, positives=pooled["positives"],
                    rule="pooled")
    theta = shrunk(x, n_eff, pooled["theta"][0], m)
    pooled_k = [k for k in (0, 1) if not np.isfinite(m[k])]
    rule = "by group, shrunk towards the pooled rates (empirical Bayes, beta-binomial moments)"
    if pooled_k:
        rule += "; pooled for predicted class(es) " + ", ".join(("no", "yes")[k] for k in pooled_k)
    return ErrorRates(names=by_group["names"], group_of=group.astype(np.int64), theta=theta, n=by_group["n"],
                      n_eff=n_eff, positives=by_group["positives"], rule=rule, strength=m, own_x=x, pooled=mu)


def _rates(pred: np.ndarray, unit_weight: np.ndarray, audit: AuditSample, group: np.ndarray,
           names: list[str]) -> dict:
    G = len(names)
    k = pred[audit.position].astype(np.int64)
    g = group[audit.position].astype(np.int64)
    w = unit_weight[audit.position] * audit.weight
    t = audit.truth.astype(float)
    cell = g * 2 + k
    sw = np.bincount(cell, weights=w, minlength=2 * G).reshape(G, 2)
    swt = np.bincount(cell, weights=w * t, minlength=2 * G).reshape(G, 2)
    sw2 = np.bincount(cell, weights=w * w, minlength=2 * G).reshape(G, 2)
    n = np.bincount(cell, minlength=2 * G).reshape(G, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = np.where(sw > 0, swt / sw, 0.5)  # no audited unit: the prior mean, flagged upstream
        n_eff = np.where(sw2 > 0, sw * sw / sw2, 0.0)
    positives = np.bincount(cell, weights=t, minlength=2 * G).reshape(G, 2).astype(int)
    return {"names": list(names), "theta": theta, "n": n, "n_eff": n_eff, "positives": positives}


@dataclass(frozen=True)
class Phase1:
    """Per unit: the value weight (weight in the estimate; 0 for nonrespondents), design weight
    (for the finite-population correction) and stratum; optional calibration cells/totals or
    the nonresponse reweighting that made `weight` from `design_weight`."""

    weight: np.ndarray
    design_weight: np.ndarray
    strata: np.ndarray
    cells: np.ndarray | None = None
    cell_totals: np.ndarray | None = None
    # Nonresponse reweighting behind `weight` (not with calibration cells, which redo it):
    # the bootstrap redoes it in every replicate from the design weights.
    reweighting: Reweighting | None = None


def phase1_totals(domain: np.ndarray, n_domains: int, group: np.ndarray, n_groups: int,
                  pred: np.ndarray, mask: np.ndarray, phase1: Phase1, replicates: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Weighted totals by (domain, group, pred, mask): the point (D, G, 2, 2) and B bootstrap
    replicates (B, D, G, 2, 2), resampling within strata x domain with FPC rescaling and, with
    calibration cells, recalibrating each cell in every replicate (with a nonresponse
    reweighting, redoing it in every replicate)."""
    C = n_domains * n_groups * 4
    code = ((domain.astype(np.int64) * n_groups + group) * 2 + pred.astype(np.int64)) * 2 + mask.astype(np.int64)
    calibrated = phase1.cells is not None
    reweighted = phase1.reweighting is not None and not calibrated
    base = phase1.cells if calibrated else phase1.strata
    stratum = base.astype(np.int64) * n_domains + domain
    values = phase1.design_weight if calibrated or reweighted else phase1.weight
    if calibrated:
        values = np.where(phase1.weight > 0, values, 0.0)  # nonrespondents calibrate to nothing
    value_keys, value_class = np.unique(values, return_inverse=True)
    key = (stratum * C + code) * len(value_keys) + value_class
    if reweighted:
        # A type must also be one role in one cell of every level for the reweighting.
        parts = [phase1.reweighting.role, *[codes for _, codes in phase1.reweighting.levels]]
        _, extra = np.unique(np.stack([np.asarray(v, dtype=np.int64) for v in parts]), axis=1, return_inverse=True)
        key = key * (int(extra.max()) + 1) + extra.ravel()
    types, first, counts = np.unique(key, return_index=True, return_counts=True)
    type_stratum = stratum[first]
    type_code = code[first]
    type_value = values[first]
    type_fpc = np.sqrt(np.clip(1 - 1 / np.maximum(phase1.design_weight[first], 1.0), 0.0, 1.0))
    bounds = np.flatnonzero(np.r_[True, type_stratum[1:] != type_stratum[:-1], True])
    blocks = list(zip(bounds[:-1], bounds[1:]))
    draws_list = []
    for start, stop in blocks:
        c = counts[start:stop].astype(float)
        n_h = int(c.sum())
        if stop - start == 1 or n_h < 2:
            drawn = np.broadcast_to(c, (replicates, len(c)))
        else:
            drawn = rng.multinomial(n_h, c / n_h, size=replicates).astype(float)
            fpc = float(type_fpc[start:stop].mean())
            drawn = c + fpc * (drawn - c)  # Rao-Wu style rescaling: a census has no variance
        draws_list.append(drawn)
    point_factor = np.ones(len(types))
    rep_factor = np.ones((replicates, len(types)))
    if calibrated:
        point_factor, rep_factor = _calibration_factors(phase1, type_stratum // n_domains, counts, type_value,
                                                        blocks, draws_list, replicates)
    elif reweighted:
        amounts = np.concatenate(draws_list, axis=1) * type_value
        point_factor = phase1.reweighting.factors((counts * type_value)[None, :], first)[0][0]
        rep_factor = phase1.reweighting.factors(amounts, first)[0]
    point = np.bincount(type_code, weights=counts * type_value * point_factor, minlength=C)
    reps = np.zeros((replicates, C))
    for (start, stop), drawn in zip(blocks, draws_list):
        contrib = drawn * (type_value[start:stop] * rep_factor[:, start:stop])
        for j, column in enumerate(type_code[start:stop].tolist()):
            reps[:, column] += contrib[:, j]
    shape = (n_domains, n_groups, 2, 2)
    return point.reshape(shape), reps.reshape((replicates, *shape))


def _calibration_factors(phase1: Phase1, cell_of_type: np.ndarray, counts: np.ndarray, type_value: np.ndarray,
                         blocks: list, draws_list: list, replicates: int) -> tuple[np.ndarray, np.ndarray]:
    """Post-stratification factors per type: of the sample (T,) and of every replicate (B, T)."""
    n_cells = len(phase1.cell_totals)
    point_sum = np.bincount(cell_of_type, weights=counts * type_value, minlength=n_cells)
    rep_sum = np.zeros((replicates, n_cells))
    for (start, stop), drawn in zip(blocks, draws_list):
        rep_sum[:, cell_of_type[start]] += drawn @ type_value[start:stop]
    with np.errstate(invalid="ignore", divide="ignore"):
        point_cell = np.where(point_sum > 0, phase1.cell_totals / point_sum, 0.0)
        rep_cell = np.where(rep_sum > 0, phase1.cell_totals / rep_sum, 0.0)
    return point_cell[cell_of_type], rep_cell[:, cell_of_type]


def corrected_shares(totals: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares per domain from totals (..., D, G, 2, 2) and theta (..., G, 2): (share, observed,
    clipped) with leading replicate axes broadcast. Domains without weight come back NaN."""
    masked = totals[..., 1]  # (..., D, G, 2) units in the audited population
    all_d = totals.sum(axis=(-1, -2, -3))  # (..., D)
    pred_yes = totals[..., 1, :].sum(axis=-1).sum(axis=-1)  # (..., D)
    in_g = masked.sum(axis=-1)  # (..., D, G)
    pi = masked[..., 1].sum(axis=-2) / np.maximum(in_g.sum(axis=-2), 1e-300)  # (..., G)
    th = theta[..., None, :, :]  # (..., 1, G, 2): the same rates in every domain
    t0, t1 = theta[..., 0], theta[..., 1]  # (..., G)
    p_g = pi * t1 + (1 - pi) * t0
    with np.errstate(invalid="ignore", divide="ignore"):
        sens = pi * t1 / p_g
        spec = (1 - pi) * (1 - t0) / (1 - p_g)
        youden = sens + spec - 1
        q = masked[..., 1] / in_g  # (..., D, G)
        rg = (q + spec[..., None, :] - 1) / youden[..., None, :]
        two_phase = (masked[..., 0] * th[..., 0] + masked[..., 1] * th[..., 1]) / in_g
    usable = (t1 > t0)[..., None, :] & np.isfinite(rg)
    raw = np.where(usable, rg, two_phase)
    clipped = np.any((in_g > 0) & ((raw < -1e-12) | (raw > 1 + 1e-12)), axis=-1)
    value = np.where(in_g > 0, np.clip(raw, 0.0, 1.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (in_g * value).sum(axis=-1) / all_d
        observed = pred_yes / all_d
    return share, observed, clipped
