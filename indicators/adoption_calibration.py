"""Calibration of design weights to register totals by size class x NACE section.

Linear calibration (Deville & Särndal 1992, "Calibration estimators in survey sampling",
JASA 87:376–382) with the cross-classified cell indicators as auxiliary variables has a closed
form: post-stratification,  w_i = d_i * N_h / sum_{j in h} d_j  for unit i in cell h, where
N_h is the known population count of the cell. With these auxiliaries every calibration
distance function of Deville & Särndal gives the same weights, so no iteration is needed.

Totals file: CSV with columns `size_class,nace_section,enterprises` (one row per cell).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecomstat.numbers import Bounds, where
from ecomstat.indicators.calibrated_bootstrap import Calibration
from ecomstat.indicators.errors import InvalidIndicatorInput

# Enterprises in one size class x NACE section cell of the register: no country has a
# billion (and the bound keeps sums of calibrated weights finite).
ENTERPRISES = Bounds(0, 1_000_000_000, low_open=True)


@dataclass(frozen=True)
class Totals:
    cells: dict[tuple[str, str], float]
    source: str
    sha256: str


def read_totals(path: str | Path) -> Totals:
    """Read population totals per (size_class, nace_section); errors name the line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidIndicatorInput(f"cannot read {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(raw.decode("utf-8-sig", errors="replace").splitlines())
    needed = {"size_class", "nace_section", "enterprises"}
    if not needed <= set(reader.fieldnames or []):
        raise InvalidIndicatorInput(f"{path}: needs columns size_class,nace_section,enterprises")
    cells: dict[tuple[str, str], float] = {}
    for line, row in enumerate(reader, start=2):
        key = ((row["size_class"] or "").strip(), (row["nace_section"] or "").strip().upper())
        total = ENTERPRISES.read(row["enterprises"] or "", where(path, line, "enterprises"),
                                 InvalidIndicatorInput)
        if key in cells:
            raise InvalidIndicatorInput(f"{path}, line {line}: cell {key} repeats")
        cells[key] = total
    if not cells:
        raise InvalidIndicatorInput(f"{path}: no totals")
    return Totals(cells=cells, source=str(path), sha256=hashlib.sha256(raw).hexdigest())


def calibrate(design_weights: np.ndarray, size_class: np.ndarray, nace_section: np.ndarray,
              totals: Totals) -> np.ndarray:
    """Calibrated weights (post-stratification to `totals`); every cell must meet both sides.

    size_class, nace_section: per-unit labels, or integer codes with `categories` given via
    `calibrate_codes` (the fast path for a million units)."""
    size_keys, size_codes = np.unique(size_class, return_inverse=True)
    section_keys, section_codes = np.unique(nace_section, return_inverse=True)
    return calibrate_codes(design_weights, size_codes, [str(k) for k in size_keys],
                           section_codes, [str(k) for k in section_keys], totals)


def calibrate_codes(design_weights: np.ndarray, size_codes: np.ndarray, size_names: list[str],
                    section_codes: np.ndarray, section_names: list[str], totals: Totals) -> np.ndarray:
    """`calibrate` on integer-coded cells: cell = size code x number of sections + section code."""
    return calibration_design(design_weights, size_codes, size_names, section_codes,
                              section_names, totals).weights()


def calibration_design(design_weights: np.ndarray, size_codes: np.ndarray, size_names: list[str],
                       section_codes: np.ndarray, section_names: list[str],
                       totals: Totals) -> Calibration:
    """The calibration cells of every unit with their register totals, checked both ways: a
    cell with units needs a total, a total needs units (else the weights are undefined)."""
    cell = size_codes.astype(np.int64) * len(section_names) + section_codes
    cell_count = len(size_names) * len(section_names)
    present = {(size_names[c // len(section_names)], section_names[c % len(section_names)]): c
               for c in np.flatnonzero(np.bincount(cell, minlength=cell_count)).tolist()}
    missing = sorted(set(present) - set(totals.cells))
    if missing:
        raise InvalidIndicatorInput(
            f"no register total for cell(s) {', '.join(f'{s} x {n}' for s, n in missing[:10])}"
        )
    empty = sorted(set(totals.cells) - set(present))
    if empty:
        raise InvalidIndicatorInput(
            f"no units to calibrate cell(s) {', '.join(f'{s} x {n}' for s, n in empty[:10])}; "
            "collapse cells in the totals file"
        )
    cell_totals = np.zeros(cell_count)
    for key, c in present.items():
        cell_totals[c] = totals.cells[key]
    return Calibration(design_weights=np.asarray(design_weights, dtype=float), cells=cell,
                       totals=cell_totals)
