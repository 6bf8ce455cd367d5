"""E-commerce adoption indicators (Eurostat ICT-usage definitions) from the store.

Shares of in-scope enterprises (percent) with a website, with web sales, with sales through
marketplaces, with social media presence, and with a site found unreachable; breakdowns total,
size class, NACE section, region. `build_adoption` reads the units, estimates every cell with
`indicators.estimators.estimate_share` and upserts `indicator_value` rows with full provenance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from ecomstat.numbers import Bounds
from indicators.adoption_calibration import calibration_design, read_totals
from indicators.audit import (
    audit_confusions, audit_imported_at, latest_audit_set, website_prediction,
)
from indicators.bootstrap import audit_replicates
from indicators.errors import IndicatorError, InvalidIndicatorInput
from indicators.estimators import Confusion, Method, estimate_share
from indicators.results import IndicatorRecord, require_period, write_values
from indicators.units import STATE_FOUND, STATE_UNREACHABLE, Scope, Units, load_units


@dataclass(frozen=True)
class IndicatorDefinition:
    code: str
    task: str | None  # the audit task that corrects it (None: observed directly)
    definition: str


INDICATORS: tuple[IndicatorDefinition, ...] = (
    IndicatorDefinition("ECOM_WEBSITE", "website",
                        "enterprises with a website (found, linked to the enterprise, crawled)"),
    IndicatorDefinition("ECOM_WEB_SALES", "web_sales",
                        "enterprises whose website lets customers order goods or services"),
    IndicatorDefinition("ECOM_MARKETPLACE", "marketplace",
                        "enterprises selling through e-commerce marketplaces (links to their store)"),
    IndicatorDefinition("ECOM_SOCIAL_MEDIA", "social_media",
                        "enterprises with a social media profile linked from their website"),
    IndicatorDefinition("ECOM_SITE_UNREACHABLE", None,
                        "enterprises whose only known website is dead or unreachable"),
)
BREAKDOWNS = ("total", "size_class", "nace_section", "region")
# Plausible options: more than 100,000 bootstrap replicates add nothing but hours; seeds are
# non-negative 32-bit integers; a cell's minimum n and maximum coefficient of variation
# (publication thresholds) are counts and ratios, never NaN or infinite.
REPLICATES = Bounds(2, 100_000, integer=True)
RANDOM_STATE = Bounds(0, 2**32 - 1, integer=True)
MIN_CELL_N = Bounds(0, 1_000_000_000, integer=True)
MAX_CELL_CV = Bounds(0, 100)


@dataclass
class BuildOptions:
    method: Method = Method.naive
    period: str = field(default_factory=lambda: str(dt.date.today().year))
    audit_set: str | None = None
    replicates: int = 1000
    random_state: int | None = 0
    alpha: float = 0.05
    scope: Scope = field(default_factory=Scope)
    totals: Path | None = None
    min_n: int = 20
    max_cv: float = 0.35


@dataclass
class BuildResult:
    records: list[IndicatorRecord]
    units: int
    audit: dict[str, Any] | None
    provenance: dict[str, Any]


def unit_labels(units: Units) -> dict[str, np.ndarray]:
    """0/1 label per unit for each indicator (no found website => 0)."""
    return {
        "ECOM_WEBSITE": website_prediction(units),
        "ECOM_WEB_SALES": units.labels["web_sales"],
        "ECOM_MARKETPLACE": units.labels["marketplace"],
        "ECOM_SOCIAL_MEDIA": units.labels["social_media"],
        "ECOM_SITE_UNREACHABLE": (units.state == STATE_UNREACHABLE).astype(np.int8),
    }


def _domains(units: Units, breakdown: str) -> np.ndarray | None:
    return None if breakdown == "total" else units.domains[breakdown]


def check_options(options: BuildOptions) -> None:
    """Refuse implausible numbers (NaN, inf, negative seeds, ...) naming the option."""
    REPLICATES.check(options.replicates, "--replicates", InvalidIndicatorInput)
    if options.random_state is not None:
        RANDOM_STATE.check(options.random_state, "--random-state", InvalidIndicatorInput)
    MIN_CELL_N.check(options.min_n, "ECOMSTAT_MIN_CELL_N", InvalidIndicatorInput)
    MAX_CELL_CV.check(options.max_cv, "ECOMSTAT_MAX_CELL_CV", InvalidIndicatorInput)
    Bounds(0, 0.5, low_open=True).check(options.alpha, "alpha", InvalidIndicatorInput)


def build_adoption(engine: Engine, options: BuildOptions | None = None) -> BuildResult:
    """Estimate every adoption indicator x breakdown with `options.method` and store them.

    All cells are computed first and written in one transaction: a failure writes nothing."""
    options = options or BuildOptions()
    method = Method(options.method)
    check_options(options)
    period = require_period(options.period, "e-commerce adoption")  # a blank period is refused
    units = load_units(engine, options.scope)
    if len(units) == 0:
        raise IndicatorError("no enterprises in scope: import a register first (`ecomstat register import`)")
    labels = unit_labels(units)

    confusions: dict[str, Confusion] = {}
    audit_masks: dict[str, np.ndarray | None] = {}
    audit_skipped: dict[str, str] = {}
    audit_set = None
    if method is not Method.naive:
        audit_set = options.audit_set or latest_audit_set(engine)
        if audit_set is None and method is Method.corrected:
            raise InvalidIndicatorInput(
                "method corrected needs an audit sample: run `ecomstat audit import FILE.csv` first"
            )
        if audit_set is not None:
            predictions = {d.task: labels[d.code] for d in INDICATORS if d.task}
            found = units.state == STATE_FOUND
            for task, (confusion, audited) in audit_confusions(engine, audit_set, units, predictions).items():
                try:
                    confusion.check()
                except InvalidIndicatorInput as exc:
                    if task == "web_sales":
                        raise
                    audit_skipped[task] = str(exc)  # that indicator stays uncorrected, flagged
                    continue
                confusions[task] = confusion
                # An audit drawn only among enterprises with a found website measures the
                # error there; the others are certain "no", so correct within found sites.
                within_found = task != "website" and bool(found[audited].all())
                audit_masks[task] = found if within_found else None
            if method is Method.corrected and "web_sales" not in confusions:
                raise InvalidIndicatorInput(
                    f"audit set {audit_set!r} has no in-scope web_sales labels to correct with"
                )

    weights = units.weight
    calibration = None
    weights_note: dict[str, Any] = {"kind": "design", "column": "enterprise.weight (1 when empty)"}
    if method is Method.calibrated:
        if options.totals is None:
            raise InvalidIndicatorInput("method calibrated needs --totals FILE.csv (size_class,nace_section,enterprises)")
        totals = read_totals(options.totals)
        calibration = calibration_design(units.weight, units.domains["size_class"],
                                         units.categories["size_class"], units.domains["nace_section"],
                                         units.categories["nace_section"], totals)
        weights = calibration.weights()
        weights_note = {"kind": "calibrated", "method": "post-stratification (Deville & Särndal 1992)",
                        "cells": "size_class x nace_section", "totals": totals.source,
                        "totals_sha256": totals.sha256}

    rng = np.random.default_rng(options.random_state)
    common = dict(units.provenance)
    common.update({
        "method": method.value,
        "weights": weights_note,
        "bootstrap": {"replicates": options.replicates, "random_state": options.random_state,
                      "ci": f"percentile {100 * (1 - options.alpha):g}%",
                      "resampled": ("units within each calibration cell, weights recalibrated per replicate"
                                    if calibration is not None else "units within each cell")
                      + (" and the audit sample" if confusions else "")},
        "audit_set": audit_set,
        "audit_imported_at": audit_imported_at(engine, audit_set) if confusions else None,
        "audit_skipped": audit_skipped or None,
        "unit": "percent of enterprises in scope",
    })
    records: list[IndicatorRecord] = []
    unreachable = (units.state == STATE_UNREACHABLE).astype(float)
    for definition in INDICATORS:
        confusion = confusions.get(definition.task) if definition.task else None
        draws = (audit_replicates(confusion.tp, confusion.fn, confusion.fp, confusion.tn,
                                  options.replicates, rng) if confusion else None)
        # A correcting method without audit labels for this task keeps the classified share
        # and says so (flag), rather than pretending to be corrected.
        uncorrected = method is not Method.naive and definition.task is not None and not confusion
        audit_note = ({"set": audit_set, "task": definition.task, **confusion.as_dict(),
                       "audit_population": ("enterprises with a found website"
                                            if audit_masks.get(definition.task) is not None
                                            else "all enterprises in scope")}
                      if confusion else None)
        for breakdown in BREAKDOWNS:
            domain = _domains(units, breakdown)
            estimates = estimate_share(
                labels[definition.code], weights=weights, domain=domain,
                method=method if confusion else Method.naive,
                audit=confusion, audit_draws=draws, replicates=options.replicates,
                audit_population=audit_masks.get(definition.task) if confusion else None,
                alpha=options.alpha, random_state=rng, min_n=options.min_n, max_cv=options.max_cv,
                calibration=calibration,
            )
            cell_unreachable = _cell_counts(domain, unreachable)
            for key, est in estimates.items():
                records.append(IndicatorRecord(
                    indicator=definition.code,
                    period=period,
                    breakdown={} if breakdown == "total" else {breakdown: units.categories[breakdown][key]},
                    method=method.value,
                    estimate=100 * est.estimate, se=100 * est.se,
                    ci_low=100 * est.ci_low, ci_high=100 * est.ci_high, cv=est.cv, n=est.n,
                    flags=est.flags + (["uncorrected"] if uncorrected else []),
                    provenance={
                        **common,
                        "definition": definition.definition,
                        "correction": ({"rogan_gladen": audit_note} if confusion else None),
                        "observed_pct": 100 * est.observed,
                        "weighted_n": est.weighted_n,
                        "unreachable_n": int(cell_unreachable.get(key, 0)),
                    },
                ))
    write_values(engine, records)
    return BuildResult(
        records=records, units=len(units),
        audit={task: c.as_dict() for task, c in confusions.items()} or None,
        provenance=common,
    )


def _cell_counts(domain: np.ndarray | None, values: np.ndarray) -> dict[Any, float]:
    if domain is None:
        return {None: float(values.sum())}
    keys, inverse = np.unique(domain, return_inverse=True)
    return dict(zip(keys.tolist(), np.bincount(inverse, weights=values).tolist()))
