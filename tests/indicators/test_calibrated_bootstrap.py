"""The calibrated bootstrap: resample within calibration cells, recalibrate every replicate."""

from __future__ import annotations

import numpy as np
import pytest

from ecomstat.indicators.calibrated_bootstrap import Calibration, calibrated_replicates
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.estimators import Method, estimate_share

CELL_TOTALS = np.array([6000.0, 3000.0, 1000.0])
CELL_SAMPLE = np.array([300, 200, 100])
CELL_RATE = np.array([0.1, 0.3, 0.6])


def _sample(rng: np.random.Generator) -> tuple[np.ndarray, Calibration]:
    """A stratified sample: n_h units of cell h, design weight N_h / n_h."""
    cells = np.repeat(np.arange(3), CELL_SAMPLE)
    y = (rng.random(len(cells)) < CELL_RATE[cells]).astype(float)
    return y, Calibration((CELL_TOTALS / CELL_SAMPLE)[cells], cells, CELL_TOTALS)


def test_se_matches_the_post_stratified_variance_formula() -> None:
    y, calibration = _sample(np.random.default_rng(1))
    p_h = np.array([y[calibration.cells == h].mean() for h in range(3)])
    share = CELL_TOTALS / CELL_TOTALS.sum()
    # Var of the post-stratified mean under with-replacement sampling within cells
    expected_se = float(np.sqrt(np.sum(share**2 * p_h * (1 - p_h) / CELL_SAMPLE)))
    fit = estimate_share(y, weights=calibration.weights(), replicates=4000, random_state=2,
                         calibration=calibration)[None]
    assert fit.estimate == pytest.approx(float(np.sum(share * p_h)))
    assert fit.se == pytest.approx(expected_se, rel=0.05)
    # holding the calibrated weights fixed lets the cells' sample shares vary: too wide
    fixed = estimate_share(y, weights=calibration.weights(), replicates=4000, random_state=2)[None]
    assert fixed.se > 1.04 * fit.se


def test_domain_across_cells_matches_an_index_bootstrap() -> None:
    """A domain (e.g. a region) that cuts across cells: counts equal drawing indices."""
    rng = np.random.default_rng(5)
    cells = np.repeat(np.arange(3), [40, 30, 20])
    design = np.where(rng.random(90) < 0.5, 1.0, 2.5)
    y = (rng.random(90) < 0.4).astype(float)
    region = rng.random(90) < 0.5
    calibration = Calibration(design, cells, np.array([400.0, 300.0, 100.0]))
    fast = calibrated_replicates(y, region, calibration, 6000, np.random.default_rng(6))
    fast_share = fast.y / fast.total

    draw = np.random.default_rng(7)
    slow_share = np.empty(6000)
    for b in range(6000):
        picked = np.concatenate([draw.choice(np.flatnonzero(cells == h), np.sum(cells == h))
                                 for h in range(3)])
        weights = Calibration(design[picked], cells[picked], calibration.totals).weights()
        inside = region[picked]
        slow_share[b] = np.sum(weights * y[picked] * inside) / np.sum(weights * inside)
    assert fast_share.mean() == pytest.approx(slow_share.mean(), abs=0.005)
    assert fast_share.std() == pytest.approx(slow_share.std(), rel=0.06)


def test_calibrated_ci_covers_the_truth_by_simulation() -> None:
    truth = float(np.sum(CELL_TOTALS * CELL_RATE) / CELL_TOTALS.sum())
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(200):
        y, calibration = _sample(rng)
        fit = estimate_share(y, weights=calibration.weights(), replicates=400, random_state=rng,
                             method=Method.calibrated, calibration=calibration)[None]
        covered += fit.ci_low <= truth <= fit.ci_high
    assert 0.92 <= covered / 200 <= 0.98


def test_masked_correction_with_calibration_keeps_its_point_estimate() -> None:
    from ecomstat.indicators.estimators import Confusion

    y, calibration = _sample(np.random.default_rng(3))
    found = np.random.default_rng(4).random(len(y)) < 0.8
    y = y * found
    audit = Confusion(tp=80, fn=10, fp=5, tn=105)
    kwargs = dict(weights=calibration.weights(), method=Method.calibrated, audit=audit,
                  audit_population=found, replicates=500, random_state=0)
    with_design = estimate_share(y, calibration=calibration, **kwargs)[None]
    without = estimate_share(y, **kwargs)[None]
    assert with_design.estimate == pytest.approx(without.estimate)
    assert with_design.ci_low <= with_design.estimate <= with_design.ci_high
    assert with_design.se < without.se


def test_bad_calibration_is_refused() -> None:
    with pytest.raises(InvalidIndicatorInput, match="one design weight and one cell per unit"):
        Calibration(np.ones(3), np.zeros(2, dtype=int), np.ones(1))
    with pytest.raises(InvalidIndicatorInput, match="cell code has no register total"):
        Calibration(np.ones(2), np.array([0, 3]), np.ones(2))
    with pytest.raises(InvalidIndicatorInput, match="calibration must describe every unit"):
        estimate_share(np.ones(3), calibration=Calibration(np.ones(2), np.zeros(2, dtype=int),
                                                           np.ones(1)))
