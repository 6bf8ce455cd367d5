"""Empirical-Bayes (beta-binomial) shrinkage of the error groups' rates towards the pooled rate.

The hard `auto` switch uses error rates by size class when every class holds at least 10
audited units per predicted class, and pooled rates otherwise. Both ends have a cost: pooled
rates are biased for a domain whose classifier differs, and rates by size class carry one
prior per class (their pseudo-counts and small-count tails add up over the G classes, which made
audits of 100 split by size class cover 98%, bench/README.md). Here, within predicted class k,
the groups' rates theta_(g,k) are modelled as draws from Beta(m_k mu_k, m_k (1 - mu_k)) around
the pooled rate mu_k, with the prior strength m_k (in audited units) estimated from the
between-group dispersion by the method of moments of the beta-binomial (Kleinman 1973, "Proportions
with extraneous variance: single and independent samples", JASA 68:46–54): with p_g = x_g / n_g,
N = sum n_g and p the pooled rate,

    S = sum_g n_g (p_g - p)^2,   E[S] = p (1 - p) [(G - 1) + rho (N - sum_g n_g^2 / N)],
    rho = 1 / (m + 1)  ->  rho_hat = (S / (p (1 - p)) - (G - 1)) / (N - sum_g n_g^2 / N),

rho_hat <= 0 (no more dispersion than binomial noise), no event in the class, or fewer than 2
audited groups give m = infinity: every group takes the pooled rate, exactly the pooled
estimator. m is floored at 10 audited units (the old `auto` rule's threshold: a group's own rate
weighs at least as much as the pool's once it holds 10 audited units of the predicted class).
With a floor of 1 unit, audits of 30 (about 5 audited units per group and class), whose
spurious dispersion is large, covered 91.8-92.6% at P 0.5, 0.75/0.9 (bench/README.md); with
10 they stay above 92%. A group's point estimate is its posterior mean
(x_g + m mu) / (n_g + m): a group with many audited units keeps its own rate, a group with few
borrows the pool's (Efron & Morris 1975; the usual small-area compromise, Rao & Molina 2015,
"Small Area Estimation", ch. 9.6).

Draws (phase 2 of the bootstrap) follow the two-stage posterior: mu^(b) from the pooled
rate's own draws (`mod-jeffreys`: one half audited unit of prior and the Clopper–Pearson tails
per predicted class, not per group) on the effective size the groups give mu under the model,
N_mu = sum_g n_g (m + 1) / (n_g + m + 1) (the precision of the mean of G beta-binomial groups;
N_mu = N when m is infinite), then theta_(g,k)^(b) ~ Beta(x_g + m mu^(b), n_g - x_g + m (1 - mu^(b))).
Counts are Kish effective sizes, as in the rest of the two-phase estimator.
"""

from __future__ import annotations

import numpy as np

MIN_STRENGTH = 10.0  # audited units of prior weight at the least: the old rule's 10 per class


def strength(x: np.ndarray, n: np.ndarray, scale: float = 1.0) -> float:
    """Method-of-moments prior strength m (effective units; inf = pool) of one predicted class
    from its groups' effective positives `x` and sizes `n` (Kleinman 1973); `scale` = effective
    units per audited unit, for the floor of one audited unit."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    audited = n > 0
    x, n = x[audited], n[audited]
    total = float(n.sum())
    if len(n) < 2 or total <= 0:
        return float("inf")
    p = float(x.sum()) / total
    if p <= 0.0 or p >= 1.0:
        return float("inf")  # no event (or no non-event) in any group: nothing to tell them apart
    spread = float(np.sum(n * (x / n - p) ** 2)) / (p * (1 - p))
    denominator = total - float(np.sum(n * n)) / total
    if denominator <= 0:
        return float("inf")
    rho = (spread - (len(n) - 1)) / denominator
    if rho <= 0:
        return float("inf")
    return max(1.0 / min(rho, 1.0) - 1.0, MIN_STRENGTH * scale)


def strengths(x: np.ndarray, n_eff: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(2,) prior strengths, one per predicted class, from (G, 2) effective counts."""
    return np.array([strength(x[:, k], n_eff[:, k], float(scale[k])) for k in range(x.shape[1])])


def shrunk(x: np.ndarray, n_eff: np.ndarray, mu: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(G, 2) posterior means (x + m mu) / (n + m); the pooled mu where m is infinite."""
    finite = np.isfinite(m)
    m_f = np.where(finite, m, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        own = (x + m_f * mu) / (n_eff + m_f)
    return np.where(finite, own, np.broadcast_to(mu, x.shape))


def mean_size(n_eff: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(2,) effective sizes of the pooled rate under the model, N_mu = sum n (m+1)/(n+m+1)."""
    finite = np.isfinite(m)
    m_f = np.where(finite, m, 1.0)
    shrunk_n = np.sum(n_eff * (m_f + 1) / (n_eff + m_f + 1), axis=0)
    return np.where(finite, shrunk_n, n_eff.sum(axis=0))


def conditional_draws(mu_draws: np.ndarray, x: np.ndarray, n_eff: np.ndarray, m: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """(B, G, 2) group draws given (B, 2) draws of the pooled rate: Beta(x + m mu, n - x +
    m (1 - mu)), or mu itself where m is infinite."""
    replicates, groups = mu_draws.shape[0], x.shape[0]
    mu = np.clip(mu_draws[:, None, :], 1e-12, 1 - 1e-12)
    mu = np.broadcast_to(mu, (replicates, groups, 2))
    finite = np.isfinite(m)
    m_f = np.where(finite, m, 1.0)
    a = np.maximum(x + m_f * mu, 1e-12)
    b = np.maximum(n_eff - x + m_f * (1 - mu), 1e-12)
    own = rng.beta(a, b)
    return np.where(finite, own, mu)
