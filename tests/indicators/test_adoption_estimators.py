"""The share estimators: Rogan–Gladen, count bootstrap, flags, and coverage by simulation."""

from __future__ import annotations

import numpy as np
import pytest

from ecomstat.indicators.bootstrap import audit_replicates, share_replicates
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.estimators import Confusion, Method, estimate_share, rogan_gladen


def test_rogan_gladen_matches_the_formula_and_clips() -> None:
    # (0.3 + 0.9 - 1) / (0.8 + 0.9 - 1) = 0.2 / 0.7
    assert rogan_gladen(0.3, 0.8, 0.9) == pytest.approx(0.2 / 0.7)
    assert rogan_gladen(0.05, 0.8, 0.9) == 0.0  # below the false-positive floor
    assert rogan_gladen(0.95, 0.8, 0.9) == 1.0
    assert np.isnan(rogan_gladen(0.3, 0.5, 0.5))  # chance classifier: undefined


def test_corrected_point_estimate_uses_audit_sensitivity_and_specificity() -> None:
    y = np.r_[np.ones(300), np.zeros(700)]
    audit = Confusion(tp=80, fn=20, fp=30, tn=270)  # sens 0.8, spec 0.9
    result = estimate_share(y, method="corrected", audit=audit, replicates=200, random_state=1)[None]
    assert result.estimate == pytest.approx(0.2 / 0.7)
    assert result.observed == pytest.approx(0.3)
    assert result.ci_low < result.estimate < result.ci_high
    assert result.method == "corrected" and result.n == 1000


def test_count_bootstrap_matches_index_bootstrap_in_distribution() -> None:
    """Multinomial draws of (weight, y) type counts == resampling unit indices."""
    rng = np.random.default_rng(3)
    y = (rng.random(400) < 0.3).astype(float)
    w = rng.choice([1.0, 2.5, 7.0], size=400)
    by_counts = share_replicates(y, w, 4000, np.random.default_rng(4))
    idx = np.random.default_rng(5).integers(0, 400, size=(4000, 400))
    by_index = (w[idx] * y[idx]).sum(axis=1) / w[idx].sum(axis=1)
    assert by_counts.mean() == pytest.approx(by_index.mean(), abs=0.003)
    assert by_counts.std() == pytest.approx(by_index.std(), rel=0.06)


def test_audit_replicates_vary_around_the_audit_rates() -> None:
    sens, spec = audit_replicates(80, 20, 30, 270, 3000, np.random.default_rng(0))
    assert sens.mean() == pytest.approx(0.8, abs=0.01)
    assert spec.mean() == pytest.approx(0.9, abs=0.01)
    assert 0.02 < sens.std() < 0.06  # sqrt(0.8*0.2/100) = 0.04


def test_domains_weights_and_flags() -> None:
    y = np.array([1, 0, 0, 1, 1, 0, 1, 0, 0, 0] * 3, dtype=float)
    domain = np.array(["a"] * 20 + ["b"] * 10)
    weights = np.where(domain == "a", 1.0, 3.0)
    results = estimate_share(y, weights=weights, domain=domain, replicates=300, random_state=0)
    assert set(results) == {"a", "b"}
    b = results["b"]
    assert b.estimate == pytest.approx(y[20:].mean())  # equal weights within b: ratio = mean
    assert "low-n" in b.flags and "low-n" not in results["a"].flags
    tiny = estimate_share(np.r_[np.ones(2), np.zeros(98)], replicates=300, random_state=0)[None]
    assert "high-cv" in tiny.flags  # 2% of 100 units: CV about 0.7


def test_random_state_makes_results_reproducible() -> None:
    y = (np.random.default_rng(0).random(500) < 0.4).astype(float)
    audit = Confusion(50, 10, 20, 120)
    a = estimate_share(y, method=Method.corrected, audit=audit, replicates=300, random_state=7)[None]
    b = estimate_share(y, method=Method.corrected, audit=audit, replicates=300, random_state=7)[None]
    c = estimate_share(y, method=Method.corrected, audit=audit, replicates=300, random_state=8)[None]
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"y": [0, 1, 2]}, "0/1 or probabilities"),
        ({"y": [0, 1], "weights": [1, -1]}, "positive"),
        ({"y": [0, 1], "method": "corrected"}, "needs an audit"),
        ({"y": [0, 1], "method": "corrected", "audit": Confusion(10, 10, 10, 10)}, "no better than chance"),
        ({"y": [0, 1], "method": "corrected", "audit": Confusion(0, 0, 3, 10)}, "true positives"),
        ({"y": [0, 1], "replicates": 1}, "at least 2"),
        ({"y": [0, 1], "method": "bogus"}, None),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(kwargs: dict, message: str | None) -> None:
    y = kwargs.pop("y")
    with pytest.raises((InvalidIndicatorInput, ValueError)) as info:
        estimate_share(y, **kwargs)
    if message:
        assert isinstance(info.value, InvalidIndicatorInput)
        assert message in str(info.value)


def test_corrected_ci_covers_the_truth_and_naive_does_not() -> None:
    """200 replications: synthetic population (known true share) classified with known error
    rates; a random audit sample measures them. The corrected 95% CI must cover the true share
    in 92-98% of replications; the naive CI, centred on a biased share, must not."""
    rng = np.random.default_rng(20260401)
    population, audit_size, true_share = 20_000, 400, 0.3
    sensitivity, specificity = 0.85, 0.90
    covered = {"corrected": 0, "naive": 0}
    for _ in range(200):
        truth = rng.random(population) < true_share
        noise = rng.random(population)
        predicted = np.where(truth, noise < sensitivity, noise >= specificity)
        audited = rng.choice(population, audit_size, replace=False)
        audit = Confusion.from_labels(truth[audited], predicted[audited])
        share = truth.mean()
        for method in covered:
            result = estimate_share(
                predicted, method=method, audit=audit if method == "corrected" else None,
                replicates=400, random_state=rng,
            )[None]
            covered[method] += result.ci_low <= share <= result.ci_high
    corrected, naive = covered["corrected"] / 200, covered["naive"] / 200
    assert 0.92 <= corrected <= 0.98, corrected
    assert naive < 0.5, naive


def test_correction_within_the_audited_population() -> None:
    """An audit drawn among units with a found website corrects within them: units outside are
    certain negatives, so p = f * RG(p_obs | found)."""
    found = np.r_[np.ones(800, dtype=bool), np.zeros(200, dtype=bool)]
    y = np.r_[np.ones(210), np.zeros(590), np.zeros(200)]  # 26.25% observed among found
    audit = Confusion(tp=90, fn=10, fp=15, tn=285)  # sens 0.9, spec 0.95
    result = estimate_share(y, method="corrected", audit=audit, audit_population=found,
                            replicates=300, random_state=0)[None]
    assert result.estimate == pytest.approx(0.8 * (0.2625 + 0.95 - 1) / (0.9 + 0.95 - 1))
    whole = estimate_share(y, method="corrected", audit=audit, replicates=300, random_state=0)[None]
    assert whole.estimate < result.estimate  # the population-wide formula over-corrects here
    assert result.ci_low < result.estimate < result.ci_high


def test_masked_coverage_by_simulation() -> None:
    """Audit among found sites only: the masked correction covers the truth; applying the
    found-only error rates to the whole population does not (it is biased)."""
    rng = np.random.default_rng(7)
    covered = {"masked": 0, "whole": 0}
    for _ in range(100):
        found = rng.random(20_000) < 0.7
        truth = found & (rng.random(20_000) < 0.35)
        noise = rng.random(20_000)
        predicted = found & np.where(truth, noise < 0.85, noise >= 0.9)
        audited = rng.choice(np.flatnonzero(found), 1000, replace=False)
        audit = Confusion.from_labels(truth[audited], predicted[audited])
        for name, mask in (("masked", found), ("whole", None)):
            r = estimate_share(predicted, method="corrected", audit=audit, audit_population=mask,
                               replicates=300, random_state=rng)[None]
            covered[name] += r.ci_low <= truth.mean() <= r.ci_high
    assert covered["masked"] >= 90 and covered["whole"] < 50, covered
