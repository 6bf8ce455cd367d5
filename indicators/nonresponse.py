"""Nonresponse reweighting within cells, as one function of the weighted amounts, so that the
bootstrap can redo it in every replicate (issue 16 item 2).

Each unit has a role: a RESPONDENT (classified; its weight grows), a NONRESPONDENT (website found
but not crawled, timed out or unreachable; its weight goes to the respondents of its cell) or
OTHER (no website: its "no" is observed; its weight stays). Cells come in levels, finest first
(size x NACE, size, total): a nonrespondent is treated in the first level whose cell holds a
respondent. Within a cell, w_i' = w_i * (R + M) / R for respondents, with R and M the respondents'
and the untreated nonrespondents' weight. The factors depend on which units a sample holds, so a
bootstrap that keeps the full sample's factors measures the variance of another estimator (one
with fixed expansion factors); `twophase.phase1_totals` recomputes them per replicate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESPONDENT, NONRESPONDENT, OTHER = 0, 1, 2


@dataclass(frozen=True)
class Reweighting:
    """Per unit: role and the cell codes of each level (name, codes), finest first."""

    role: np.ndarray
    levels: tuple[tuple[str, np.ndarray], ...]

    def factors(self, amount: np.ndarray, index: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Weight factors (B, T) for B rows of weighted amounts (B, T) of the units (or unit
        types) `index` (all units when None): 0 for nonrespondents, the product of the cell
        factors for respondents, 1 for the others; and (B, T) the level at which each
        nonrespondent was treated (-1: no level had a respondent, its weight is dropped)."""
        role = self.role if index is None else self.role[index]
        rows, T = amount.shape
        respondent = role == RESPONDENT
        todo = np.broadcast_to(role == NONRESPONDENT, amount.shape).copy()
        factor = np.where(todo, 0.0, 1.0)
        level_of = np.full(amount.shape, -1, dtype=np.int64)
        offset = np.arange(rows)[:, None]
        for number, (_, all_codes) in enumerate(self.levels):
            if not todo.any():
                break
            codes = (all_codes if index is None else all_codes[index]).astype(np.int64)
            n_cells = int(codes.max()) + 1 if T else 1
            flat = (offset * n_cells + codes[None, :]).ravel()
            lost = np.bincount(flat, weights=(amount * todo).ravel(), minlength=rows * n_cells)
            base = np.bincount(flat, weights=(amount * respondent).ravel(), minlength=rows * n_cells)
            lost, base = lost.reshape(rows, n_cells), base.reshape(rows, n_cells)
            ok = (lost > 0) & (base > 0)
            cell_factor = np.where(ok, (base + lost) / np.where(ok, base, 1.0), 1.0)
            factor = np.where(respondent, factor * np.take_along_axis(cell_factor, np.broadcast_to(codes, amount.shape),
                                                                      axis=1), factor)
            done = todo & np.take_along_axis(ok, np.broadcast_to(codes, amount.shape), axis=1)
            level_of[done] = number
            todo &= ~done
        return factor, level_of
