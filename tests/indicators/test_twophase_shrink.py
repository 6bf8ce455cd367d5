"""Empirical-Bayes shrinkage of the size classes' error rates towards the pooled ones
(`error_rates(..., mode="shrink")`, indicators/twophase_shrink.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ecomstat.indicators.adoption_cells import corrected_cells
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.twophase import AuditSample, Phase1, error_rates
from ecomstat.indicators.twophase_shrink import MIN_STRENGTH, strength
from tests.indicators.size_classifier import classifier_better_for_large_firms


def _audit(counts: list[tuple[int, int, int, int]]) -> tuple[np.ndarray, np.ndarray, AuditSample]:
    """Units of G groups, all audited: per group (pred-no units, true among them, pred-yes units,
    true among them)."""
    pred, group, truth = [], [], []
    for g, (n0, x0, n1, x1) in enumerate(counts):
        pred += [0] * n0 + [1] * n1
        group += [g] * (n0 + n1)
        truth += [1] * x0 + [0] * (n0 - x0) + [1] * x1 + [0] * (n1 - x1)
    pred_a, group_a, truth_a = np.array(pred, dtype=np.int8), np.array(group), np.array(truth, dtype=np.int8)
    return pred_a, group_a, AuditSample(np.arange(len(pred_a)), truth_a, np.ones(len(pred_a)))


def test_equal_class_rates_give_the_pooled_rates() -> None:
    """Groups with the same observed rates show no extra-binomial dispersion: m is infinite and
    every group takes the pooled rate, draws included (exactly the pooled estimator)."""
    pred, group, sample = _audit([(40, 4, 20, 18)] * 3)
    ones = np.ones(len(pred))
    rates = error_rates(pred, ones, sample, group, ["a", "b", "c"], mode="shrink")
    pooled = error_rates(pred, ones, sample, group, ["a", "b", "c"], mode="pooled")
    assert np.all(np.isinf(rates.strength))
    assert np.allclose(rates.theta, pooled.theta[0])
    draws = rates.draws(200, np.random.default_rng(1))
    assert np.allclose(draws, draws[:, :1, :])  # every group drew the same pooled rate
    assert np.allclose(rates.centre(), pooled.centre()[0])


def test_a_class_with_many_audited_units_keeps_its_own_rate() -> None:
    """Very different classes: a large class's estimate stays near its own rate, a small one is
    pulled towards the pool more than the large one."""
    pred, group, sample = _audit([(400, 4, 400, 396), (400, 120, 400, 200), (10, 3, 10, 5)])
    rates = error_rates(pred, np.ones(len(pred)), sample, group, ["a", "b", "c"], mode="shrink")
    assert np.all(np.isfinite(rates.strength))
    own = np.array([[4 / 400, 396 / 400], [120 / 400, 200 / 400], [0.3, 0.5]])
    assert np.allclose(rates.theta[:2], own[:2], atol=0.01)
    pooled = error_rates(pred, np.ones(len(pred)), sample, group, mode="pooled").theta[0]
    pull = np.abs(rates.theta - own) / np.abs(pooled - own)
    assert np.all(pull[2] > 5 * pull[0])


def test_zero_events_pool_and_draws_stay_finite_and_open() -> None:
    """No error in any group's predicted "no" class: pooled (m infinite), and the draws still
    carry the uncertainty of a zero count (no zero-width interval) and are finite in [0, 1]."""
    pred, group, sample = _audit([(33, 0, 5, 5), (33, 0, 0, 0), (33, 0, 2, 1)])
    rates = error_rates(pred, np.ones(len(pred)), sample, group, ["a", "b", "c"], mode="shrink")
    assert np.isinf(rates.strength[0])
    draws = rates.draws(4_000, np.random.default_rng(2))
    assert np.all(np.isfinite(draws)) and np.all((draws >= 0) & (draws <= 1))
    assert np.all(np.quantile(draws[:, :, 0], 0.975, axis=0) > 0)
    # The group without audited predicted "yes" units borrows the pool's rate.
    assert 0 < rates.theta[1, 1] < 1


def test_strength_by_moments() -> None:
    # Binomial noise only -> infinite; strong dispersion -> small, floored at one audited unit.
    assert np.isinf(strength(np.array([10.0, 10.0]), np.array([50.0, 50.0])))
    assert strength(np.array([0.0, 50.0]), np.array([50.0, 50.0])) == pytest.approx(MIN_STRENGTH)
    middle = strength(np.array([20.0, 30.0, 40.0]), np.array([200.0, 200.0, 200.0]))
    assert MIN_STRENGTH < middle < 200
    # The floor is in audited units: an audit weighted to half its size floors at half as many.
    assert strength(np.array([0.0, 50.0]), np.array([50.0, 50.0]), scale=0.5) == pytest.approx(MIN_STRENGTH / 2)
    assert np.isinf(strength(np.array([3.0]), np.array([10.0])))  # one group: nothing to compare


def test_split_audit_is_no_wider_than_the_pooled_one() -> None:
    """The diagnosis of issue 16's audits of 100 split by size class (rates by group carry one
    prior per group): with shrinkage, 99 audited predicted "no" units without an error split in
    3 classes give the overall rate the pooled audit's upper end, not 1.74x it."""
    pred, group, sample = _audit([(33, 0, 17, 17)] * 3)
    ones = np.ones(len(pred))
    rng = np.random.default_rng(0)
    shrunk = error_rates(pred, ones, sample, group, mode="shrink").draws(20_000, rng)[:, :, 0].mean(axis=1)
    pooled = error_rates(pred, ones, sample, group, mode="pooled").draws(20_000, rng)[:, 0, 0]
    split = error_rates(pred, ones, sample, group, mode="groups").draws(20_000, rng)[:, :, 0].mean(axis=1)
    ratio = np.quantile(shrunk, 0.975) / np.quantile(pooled, 0.975)
    assert 0.9 < ratio < 1.1
    assert np.quantile(split, 0.975) / np.quantile(pooled, 0.975) > 1.5


def test_shrunk_rates_correct_a_domain_whose_classifier_differs_better_than_pooled() -> None:
    """A classifier better for large firms (the case for rates by size class, issue 16 item 5):
    the shrunk rates correct the large firms' cell better than pooled rates, though not as well
    as their own rates when that class is a small part of the audit (the price of shrinkage,
    documented in docs/methodology/adoption.md)."""
    size, truth, pred, sample, ones, rng = classifier_better_for_large_firms()
    n = len(pred)
    error = {}
    for mode in ("shrink", "pooled"):
        rates = error_rates(pred, ones, sample, size, ["s", "m", "l"], mode=mode)
        est = corrected_cells(pred, size, 3, np.ones(n, dtype=bool), Phase1(ones, ones, size), rates,
                              rates.draws(50, rng), 0.05, rng, "corrected")[2]
        assert est.ci_low < est.estimate < est.ci_high
        error[mode] = abs(est.estimate - truth[size == 2].mean())
    assert "shrunk" in error_rates(pred, ones, sample, size, mode="shrink").rule
    assert error["shrink"] < 0.5 * error["pooled"]


def test_unknown_mode_is_refused() -> None:
    pred, group, sample = _audit([(10, 1, 10, 9)])
    with pytest.raises(InvalidIndicatorInput, match="shrink"):
        error_rates(pred, np.ones(len(pred)), sample, group, mode="sometimes")
