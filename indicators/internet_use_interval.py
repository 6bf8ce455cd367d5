"""The interval of SDG 17.8.1 from operator data: Monte Carlo over the stated uncertainty of
the inputs that scale SIM counts to people (see docs/methodology/sdg-17-8-1.md).

SIM counts are the operator's whole customer base, not a sample, so they carry no sampling
error here; what is uncertain is the scaling: the market share of the operators (from the
regulator or a survey) and the SIMs-per-user factor (from a survey or the operator). Each is
given as a value and a standard error and drawn from a normal distribution truncated to its
plausible range. Errors are taken as fully correlated across areas (one draw per operator's
share and one for the factor in each replicate): a national share or factor that is off is off
everywhere, and independent draws would let the errors cancel in the total, giving a too-narrow
interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ecomstat.numbers import Bounds
from ecomstat.indicators.internet_use_io import MARKET_SHARE, SIMS_PER_PERSON

REPLICATES = Bounds(100, 100_000, integer=True)
SEED = Bounds(0, 2**32 - 1, integer=True)
_CELLS_PER_PASS = 4_000_000  # areas x replicates held at once


@dataclass
class AreaInputs:
    data_sims: float
    population: float
    shares: list[tuple[str, float, float]]  # (operator, market share, its SE)
    sims_per_person: float
    sims_per_person_se: float


@dataclass
class Interval:
    se: float
    ci_low: float
    ci_high: float


def _common_draw(
    rng: np.random.Generator,
    size: int,
    values: Sequence[tuple[float, float]],
    bounds: Bounds,
) -> np.ndarray:
    """One standard-normal draw per replicate shared by every (value, se) pair, truncated so
    that every value + se * z stays within `bounds` (each pair's range holds z = 0)."""
    from scipy.stats import truncnorm

    low, high = -np.inf, np.inf
    for value, se in values:
        if se > 0:
            low = max(low, (float(bounds.low or 0.0) - value) / se)
            high = min(high, (bounds.high - value) / se)
    if low >= high:  # a value at a bound with no room: the input cannot move
        return np.zeros(size)
    return truncnorm.rvs(low, high, size=size, random_state=rng)


def has_uncertainty(areas: Sequence[AreaInputs]) -> bool:
    return any(
        area.sims_per_person_se > 0 or any(se > 0 for _, _, se in area.shares) for area in areas
    )


def monte_carlo(
    areas: Sequence[AreaInputs], replicates: int = 2000, seed: int = 0
) -> tuple[list[Interval], Interval]:
    """Intervals (2.5th and 97.5th percentiles; SE = the replicates' standard deviation) of
    each area's rate, capped at 100% in each replicate, and of the total, computed from the
    uncapped area counts and capped at 100% once."""
    rng = np.random.default_rng(seed)
    operators = sorted({operator for area in areas for operator, _, _ in area.shares})
    z_share = {
        operator: _common_draw(
            rng,
            replicates,
            [(s, se) for area in areas for o, s, se in area.shares if o == operator],
            MARKET_SHARE,
        )
        for operator in operators
    }
    z_factor = _common_draw(
        rng, replicates, [(a.sims_per_person, a.sims_per_person_se) for a in areas], SIMS_PER_PERSON
    )
    n = len(areas)
    data = np.array([a.data_sims for a in areas], dtype=float)
    people = np.array([a.population for a in areas], dtype=float)
    share = np.array([sum(s for _, s, _ in a.shares) for a in areas])
    share_se = np.zeros((n, len(operators)))
    for i, area in enumerate(areas):
        for operator, _, se in area.shares:
            share_se[i, operators.index(operator)] += se
    z = np.vstack([z_share[o] for o in operators]) if operators else np.zeros((0, replicates))
    factor = np.array([a.sims_per_person for a in areas])
    factor_se = np.array([a.sims_per_person_se for a in areas])
    area_pct = np.empty((n, replicates))
    users_sum = np.zeros(replicates)
    step = max(1, _CELLS_PER_PASS // max(n, 1))
    for start in range(0, replicates, step):
        stop = min(start + step, replicates)
        # Several operators' shares may jointly draw above 1: the market is at most whole.
        shares = np.minimum(share[:, None] + share_se @ z[:, start:stop], 1.0)
        factors = factor[:, None] + factor_se[:, None] * z_factor[None, start:stop]
        users = data[:, None] / (shares * factors)
        area_pct[:, start:stop] = np.minimum(100.0, 100.0 * users / people[:, None])
        users_sum[start:stop] = users.sum(axis=0)
    total_pct = np.minimum(100.0, 100.0 * users_sum / people.sum())
    return [_interval(row) for row in area_pct], _interval(total_pct)


def _interval(values: np.ndarray) -> Interval:
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(np.std(values, ddof=1)), float(low), float(high))
