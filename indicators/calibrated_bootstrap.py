"""Bootstrap replicates of a calibrated (post-stratified) share, recalibrating every replicate.

With weights calibrated to register totals N_h per cell h (size class x NACE section), the
domain share is

    p_D = sum_h N_h * a_h / S_h  /  sum_h N_h * b_h / S_h,

a_h = sum of d_i*y_i over units of cell h in domain D, b_h = sum of d_i over them, S_h = sum of
d_i over all units of cell h (d: design weights). Holding the calibrated weights fixed and
resampling units across the whole domain lets the cells' shares of the sample vary from replicate
to replicate, which the calibration removes: the interval comes out too wide. The bootstrap
here follows the design instead: units are resampled with replacement within each calibration
cell (n_h fixed) and the weights are recalibrated in every replicate (Rao & Wu 1988, "Resampling
inference with complex survey data", JASA 83:231–241; Canty & Davison 1999 on calibrated
bootstrap weights). As in `indicators.bootstrap`, a within-cell resample is drawn as
multinomial counts of distinct unit types, which is exactly equivalent to drawing indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecomstat.indicators.errors import InvalidIndicatorInput

# Above this many (cell, type) codes the types are found by sorting instead of np.bincount.
_BINCOUNT_LIMIT = 4_000_000


@dataclass(frozen=True)
class Calibration:
    """The design behind calibrated weights: per unit its design weight and calibration cell
    (integer code), and per cell code the register total N_h."""

    design_weights: np.ndarray
    cells: np.ndarray
    totals: np.ndarray

    def __post_init__(self) -> None:
        if self.design_weights.shape != self.cells.shape:
            raise InvalidIndicatorInput("calibration: one design weight and one cell per unit")
        if len(self.cells) and (self.cells.min() < 0 or self.cells.max() >= len(self.totals)):
            raise InvalidIndicatorInput("calibration: a cell code has no register total")

    def weights(self) -> np.ndarray:
        """The calibrated weights d_i * N_h / S_h (the point estimate's weights)."""
        sums = np.bincount(self.cells, weights=self.design_weights, minlength=len(self.totals))
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(sums > 0, self.totals / sums, 0.0)
        return self.design_weights * factor[self.cells]


@dataclass(frozen=True)
class DomainReplicates:
    """Per replicate, calibrated sums over the domain: all units, y, masked units, y among masked."""

    total: np.ndarray
    y: np.ndarray
    masked: np.ndarray
    y_masked: np.ndarray


def calibrated_replicates(
    y: np.ndarray,
    in_domain: np.ndarray,
    calibration: Calibration,
    replicates: int,
    rng: np.random.Generator,
    mask: np.ndarray | None = None,
) -> DomainReplicates:
    """Replicate sums for one domain (`in_domain`: bool per unit of the whole population)."""
    cells = calibration.cells
    touched = np.unique(cells[in_domain])
    if len(touched) == 0:
        empty = np.zeros(replicates)
        return DomainReplicates(empty, empty, empty, empty)
    keep = np.isin(cells, touched)
    m = np.ones(len(y), dtype=bool) if mask is None else mask.astype(bool)
    type_cell, weight, label, inside, masked, count = _cell_types(
        cells[keep], calibration.design_weights[keep], y[keep], in_domain[keep], m[keep]
    )
    sums = [np.zeros(replicates) for _ in range(4)]
    bounds = np.searchsorted(type_cell, np.append(touched, touched[-1] + 1))
    for position, cell in enumerate(touched.tolist()):
        start, stop = bounds[position], bounds[position + 1]
        n_h = int(count[start:stop].sum())
        draws = (np.full((replicates, 1), n_h, dtype=np.int64) if stop - start == 1
                 else rng.multinomial(n_h, count[start:stop] / n_h, size=replicates))
        d = weight[start:stop]
        factor = calibration.totals[cell] / (draws @ d)  # recalibrate this replicate's cell
        in_d = d * inside[start:stop]
        for target, values in zip(sums, (in_d, in_d * label[start:stop],
                                         in_d * masked[start:stop],
                                         in_d * label[start:stop] * masked[start:stop])):
            target += factor * (draws @ values)
    return DomainReplicates(*sums)


def _cell_types(
    cells: np.ndarray, weights: np.ndarray, y: np.ndarray, in_domain: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Distinct (cell, weight, y, in-domain, mask) types sorted by cell, with their counts."""
    if np.all((y == 0) | (y == 1)):
        weight_keys, weight_class = np.unique(weights, return_inverse=True)
        flags = 4 * in_domain.astype(np.int64) + 2 * mask.astype(np.int64) + (y > 0)
        code = (cells.astype(np.int64) * len(weight_keys) + weight_class) * 8 + flags
        if (int(cells.max()) + 1) * len(weight_keys) * 8 <= _BINCOUNT_LIMIT:
            counts = np.bincount(code)
            present = np.flatnonzero(counts)
            counts = counts[present]
        else:
            present, counts = np.unique(code, return_counts=True)
        flags, rest = present % 8, present // 8
        return (rest // len(weight_keys), weight_keys[rest % len(weight_keys)],
                (flags % 2).astype(float), (flags // 4).astype(float),
                ((flags // 2) % 2).astype(float), counts.astype(float))
    rows = np.column_stack([cells, weights, y, in_domain, mask]).astype(float)
    unique, counts = np.unique(rows, axis=0, return_counts=True)  # sorted by cell first
    return (unique[:, 0].astype(np.int64), unique[:, 1], unique[:, 2], unique[:, 3], unique[:, 4],
            counts.astype(float))
