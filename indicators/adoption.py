"""E-commerce adoption indicators (Eurostat ICT-usage definitions) from the store.

Shares of in-scope enterprises (percent) with a website, with web sales, with sales through
marketplaces, with social media presence, and with a site found unreachable; breakdowns total,
size class, NACE section, region, and cross-tabulations of these (`breakdowns`).
`build_adoption` reads the units, estimates every cell (naive: `indicators.adoption_cells`;
corrected/calibrated with an audit: the two-phase estimator of `indicators.twophase`) and
upserts `indicator_value` rows with full provenance. Methods: docs/methodology/adoption.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from ecomstat.numbers import Bounds
from ecomstat.indicators.adoption_calibration import calibration_design, read_totals
from ecomstat.indicators.adoption_cells import corrected_cells, domain_codes, naive_cells, nonresponse_weights
from ecomstat.indicators.audit import TaskAudit, audit_imported_at, audit_samples, latest_audit_set, website_prediction
from ecomstat.indicators.errors import IndicatorError, InvalidIndicatorInput
from ecomstat.indicators.estimators import Method, ShareEstimate
from ecomstat.indicators.results import IndicatorRecord, require_period, write_values
from ecomstat.indicators.twophase import MODES as ERROR_RATE_MODES
from ecomstat.indicators.twophase import Phase1, error_rates
from ecomstat.store.waves import require_recorded
from ecomstat.indicators.units import (
    STATE_FOUND, STATE_NOT_CRAWLED, STATE_UNREACHABLE, TASKS, Scope, Units, load_units,
)


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
# Units whose site was not crawled or is unreachable: reweighted as nonresponse, or counted "no".
NONRESPONSE = ("reweight", "negative")


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
    breakdowns: list[tuple[str, ...]] = field(default_factory=list)  # cross-tabulations
    nonresponse: str = "reweight"
    error_rates: str = "auto"  # auto | pooled | groups (size classes)
    # The wave's recorded units (store/waves.py); its name is then the period, so waves never
    # overwrite each other's values and `v_enterprise_wave` agrees with them (docs/waves.md)
    wave: str | None = None


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


def check_options(options: BuildOptions) -> None:
    """Refuse implausible numbers (NaN, inf, negative seeds, ...) naming the option."""
    REPLICATES.check(options.replicates, "--replicates", InvalidIndicatorInput)
    if options.random_state is not None:
        RANDOM_STATE.check(options.random_state, "--random-state", InvalidIndicatorInput)
    MIN_CELL_N.check(options.min_n, "ECOMSTAT_MIN_CELL_N", InvalidIndicatorInput)
    MAX_CELL_CV.check(options.max_cv, "ECOMSTAT_MAX_CELL_CV", InvalidIndicatorInput)
    Bounds(0, 0.5, low_open=True).check(options.alpha, "alpha", InvalidIndicatorInput)


def check_breakdowns(crosses: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Cross-tabulations asked for (`--breakdown nace_section,size_class`): known variables,
    at least two, none repeated."""
    known = [b for b in BREAKDOWNS if b != "total"]
    result = []
    for cross in crosses:
        names = tuple(name.strip() for name in cross if name.strip())
        if len(names) < 2 or len(set(names)) != len(names) or not set(names) <= set(known):
            raise InvalidIndicatorInput(f"breakdown {','.join(names)!r}: give two or more distinct "
                                        f"of {', '.join(known)}")
        if names not in result:
            result.append(names)
    return result


def _phase1_strata(units: Units) -> np.ndarray:
    """Phase-1 strata: size class x design-weight class (a size-stratified register sample has
    one weight per stratum); continuous weights fall back to size classes."""
    keys, weight_class = np.unique(units.weight, return_inverse=True)
    size = units.domains["size_class"].astype(np.int64)
    return size * len(keys) + weight_class if len(keys) <= 50 else size


def _weights(units: Units, method: Method, totals: Any, drop: np.ndarray | None,
             found: np.ndarray) -> tuple[Phase1, dict[str, Any] | None]:
    """Phase-1 weights without the units in `drop` (nonrespondents), reweighted within size x
    NACE cells (calibrated: calibrated to the register totals, which is the same reweighting)."""
    strata = _phase1_strata(units)
    size, section = units.domains["size_class"], units.domains["nace_section"]
    if method is Method.calibrated:
        design = units.weight if drop is None else np.where(drop, 0.0, units.weight)
        calibration = calibration_design(design, size, units.categories["size_class"], section,
                                         units.categories["nace_section"], totals)
        return Phase1(calibration.weights(), units.weight, strata, calibration.cells,
                      calibration.totals), None
    if drop is None:
        return Phase1(units.weight, units.weight, strata), None
    cells = size.astype(np.int64) * len(units.categories["nace_section"]) + section
    adjusted = nonresponse_weights(units.weight, found, drop, [
        ("size_class x nace_section", cells), ("size_class", size.astype(np.int64)),
        ("total", np.zeros(len(units), dtype=np.int64))])
    return Phase1(adjusted.weights, units.weight, strata, reweighting=adjusted.reweighting), adjusted.info


def build_adoption(engine: Engine, options: BuildOptions | None = None) -> BuildResult:
    """Estimate every adoption indicator x breakdown with `options.method` and store them.

    All cells are computed first and written in one transaction; a cell whose estimation fails
    is stored flagged `failed` (no value) instead of aborting the others."""
    options = options or BuildOptions()
    method = Method(options.method)
    _check_build_options(options)
    period = require_period(options.wave or options.period, "e-commerce adoption")  # blank: refused
    crosses = check_breakdowns(options.breakdowns)
    units = _units_in_scope(engine, options)
    labels = unit_labels(units)
    found = units.state == STATE_FOUND
    not_observed = np.isin(units.state, (STATE_NOT_CRAWLED, STATE_UNREACHABLE))
    audit_set, audits = _audits(engine, method, options, units, labels)
    variants, weights_note = _weight_variants(units, method, options, found, not_observed)

    rng = np.random.default_rng(options.random_state)
    common = dict(units.provenance)
    common.update({
        "method": method.value,
        "weights": weights_note,
        "bootstrap": {"replicates": options.replicates, "random_state": options.random_state,
                      "ci": f"percentile {100 * (1 - options.alpha):g}%",
                      "resampled": "units within size class x design-weight strata (calibration cells "
                                   "x domain, recalibrated, when calibrated; the nonresponse reweighting redone "
                                   "in each replicate), rescaled by sqrt(1 - 1/weight); error rates by Beta "
                                   "draws (Jeffreys, pseudo-counts on the audit's scale, Clopper-Pearson tails "
                                   "below 2 events)"},
        "audit_set": audit_set,
        "audit_imported_at": audit_imported_at(engine, audit_set) if audits else None,
        "breakdowns": ["total", *BREAKDOWNS[1:], *[",".join(c) for c in crosses]],
        "unit": "percent of enterprises in scope",
    })
    cells = _CellBuilder(units, labels, found, variants, options, method, period, crosses, common, rng)
    records = [record for definition in INDICATORS
               for record in cells.records(definition, audits.get(definition.task) if definition.task else None,
                                           audit_set)]
    write_values(engine, records)
    return BuildResult(
        records=records, units=len(units),
        audit={task: a.confusion.as_dict() for task, a in audits.items()} or None,
        provenance=common,
    )


def _check_build_options(options: BuildOptions) -> None:
    check_options(options)
    if options.nonresponse not in NONRESPONSE:
        raise InvalidIndicatorInput(f"--nonresponse: {options.nonresponse!r} is not one of {', '.join(NONRESPONSE)}")
    if options.error_rates not in ERROR_RATE_MODES:
        raise InvalidIndicatorInput(f"--error-rates: {options.error_rates!r} is not one of "
                                    f"{', '.join(ERROR_RATE_MODES)}")


def _units_in_scope(engine: Engine, options: BuildOptions) -> Units:
    """The units in scope (of the wave, when one is given); an error when there are none."""
    units = load_units(engine, options.scope, wave=options.wave)
    if len(units) == 0 and options.wave is not None:
        require_recorded(engine, options.wave)  # BadInput naming the recorded waves if none
        raise IndicatorError(f"no enterprises in scope were recorded for wave {options.wave}")
    if len(units) == 0:
        raise IndicatorError("no enterprises in scope: import a register first (`ecomstat register import`)")
    return units


def _audits(engine: Engine, method: Method, options: BuildOptions, units: Units,
            labels: dict[str, np.ndarray]) -> tuple[str | None, dict[str, TaskAudit]]:
    """The audit set the corrected/calibrated methods use (none for naive) and its samples per
    task; refused when `corrected` has no audit of web sales to correct with."""
    audits: dict[str, TaskAudit] = {}
    audit_set = None
    if method is not Method.naive:
        audit_set = options.audit_set or latest_audit_set(engine)
        if audit_set is None and method is Method.corrected:
            raise InvalidIndicatorInput(
                "method corrected needs an audit sample: run `ecomstat audit import FILE.csv` first"
            )
        if audit_set is not None:
            predictions = {d.task: labels[d.code] for d in INDICATORS if d.task}
            audits = audit_samples(engine, audit_set, units, predictions)
            if method is Method.corrected and "web_sales" not in audits:
                raise InvalidIndicatorInput(
                    f"audit set {audit_set!r} has no in-scope web_sales labels to correct with"
                )
    return audit_set, audits


_Variant = tuple[Phase1, "dict[str, Any] | None"]


def _weight_variants(units: Units, method: Method, options: BuildOptions, found: np.ndarray,
                     not_observed: np.ndarray) -> tuple[dict[str, _Variant], dict[str, Any]]:
    """Phase-1 weights: `plain`, and `nonresponse` (units not observed reweighted) when asked for
    and needed; with the weights' note for the provenance."""
    totals = None
    weights_note: dict[str, Any] = {"kind": "design", "column": units.provenance.get("design_weights")}
    if method is Method.calibrated:
        if options.totals is None:
            raise InvalidIndicatorInput("method calibrated needs --totals FILE.csv (size_class,nace_section,enterprises)")
        totals = read_totals(options.totals)
        weights_note = {"kind": "calibrated", "method": "post-stratification (Deville & Särndal 1992)",
                        "cells": "size_class x nace_section", "totals": totals.source,
                        "totals_sha256": totals.sha256}
    variants = {"plain": _weights(units, method, totals, None, found)}
    if options.nonresponse == "reweight" and not_observed.any():
        variants["nonresponse"] = _weights(units, method, totals, not_observed, found)
    return variants, weights_note


@dataclass
class _CellBuilder:
    """The records of one indicator, every breakdown, from what build_adoption prepared (the
    random generator is shared: indicators draw from it in INDICATORS' order)."""

    units: Units
    labels: dict[str, np.ndarray]
    found: np.ndarray
    variants: dict[str, _Variant]
    options: BuildOptions
    method: Method
    period: str
    crosses: list[tuple[str, ...]]
    common: dict[str, Any]
    rng: np.random.Generator
    unreachable: np.ndarray = field(init=False)
    missing_weight: bool = field(init=False)

    def __post_init__(self) -> None:
        self.unreachable = (self.units.state == STATE_UNREACHABLE).astype(float)
        self.missing_weight = bool(self.units.provenance.get("weights_missing"))

    def records(self, definition: IndicatorDefinition, task_audit: TaskAudit | None,
                audit_set: str | None) -> list[IndicatorRecord]:
        units, options, found = self.units, self.options, self.found
        within_found = bool(task_audit and definition.task != "website"
                            and found[task_audit.sample.position].all())
        use_nr = ("nonresponse" in self.variants and definition.task in TASKS
                  and (task_audit is None or within_found))
        phase1, nr_info = self.variants["nonresponse" if use_nr else "plain"]
        treatment = _treatment(units, definition, use_nr, task_audit is not None, nr_info)
        rates = theta_draws = None
        note = None
        if task_audit is not None:
            rates = error_rates(self.labels[definition.code], phase1.weight, task_audit.sample,
                                units.domains["size_class"], units.categories["size_class"],
                                mode=options.error_rates)
            theta_draws = rates.draws(options.replicates, self.rng)
            note = {"set": audit_set, "task": definition.task, "design": task_audit.sample.design,
                    "audit_strata": task_audit.strata or None, **task_audit.confusion.as_dict(),
                    "error_rates": rates.as_dict(),
                    "audit_population": ("enterprises with a found website" if within_found
                                         else "all enterprises in scope")}
        mask = found if within_found else np.ones(len(units), dtype=bool)
        uncorrected = self.method is not Method.naive and definition.task is not None and task_audit is None
        provenance = {
            **self.common, "definition": definition.definition,
            "interval": ("two-phase bootstrap percentile interval (sampling and audit)"
                         if rates is not None else
                         "sampling interval (Wilson, Kish effective n): ignores misclassification"),
            "correction": {"two_phase": note} if note else None,
            "units_treatment": treatment,
        }
        result: list[IndicatorRecord] = []
        for names in [(), *[(b,) for b in BREAKDOWNS[1:]], *self.crosses]:
            result += self._breakdown(definition, names, mask, phase1, rates, theta_draws,
                                      uncorrected, provenance)
        return result

    def _breakdown(self, definition: IndicatorDefinition, names: tuple[str, ...], mask: np.ndarray,
                   phase1: Phase1, rates: Any, theta_draws: Any, uncorrected: bool,
                   provenance: dict[str, Any]) -> list[IndicatorRecord]:
        """The cells of one breakdown (`names`: its variables; none = the total)."""
        units, options, method = self.units, self.options, self.method
        domain, keys = (domain_codes([units.domains[v] for v in names],
                                     [units.categories[v] for v in names])
                        if names else (np.zeros(len(units), dtype=np.int64), [()]))
        try:
            if rates is not None:
                cells = corrected_cells(self.labels[definition.code], domain, len(keys), mask, phase1,
                                        rates, theta_draws, options.alpha, self.rng, method.value)
            else:
                cells = naive_cells(self.labels[definition.code], phase1.weight, domain, len(keys),
                                    options.alpha)
            error = None
        # Options and files are checked above; what fails here is one breakdown's data, and
        # one cell never aborts the build (issue 16 item 3): stored as `failed`.
        except (IndicatorError, InvalidIndicatorInput, ArithmeticError, ValueError) as exc:
            cells, error = [None] * len(keys), f"{type(exc).__name__}: {exc}"
        counts = np.bincount(domain, weights=self.unreachable, minlength=len(keys))
        return [_record(definition, self.period, method, dict(zip(names, key)), cells[position],
                        error, options, uncorrected, self.missing_weight,
                        {**provenance, "unreachable_n": int(counts[position])})
                for position, key in enumerate(keys)]


def _treatment(units: Units, definition: IndicatorDefinition, use_nr: bool, audited: bool,
               nr_info: dict[str, Any] | None) -> dict[str, Any]:
    """Which units were treated how (issue 16 item 2), for the provenance."""
    state = units.provenance.get("website_state", {})
    if definition.task not in TASKS:
        return {"observed": "website state of every unit"}
    if use_nr:
        return {"found": f"{state.get('found', 0)} classified (reweighted for nonresponse)",
                "not-crawled": f"{state.get('not-crawled', 0)} nonresponse (weight 0)",
                "unreachable": f"{state.get('unreachable', 0)} nonresponse (weight 0)",
                "none": f"{state.get('none', 0)} no website: certain no",
                "reweighting": nr_info}
    return {"found": "classified", "none": "no website: certain no",
            "not-crawled and unreachable": ("predicted no, corrected by the audit" if audited
                                            else "counted as no (--nonresponse negative)")}


def _record(definition: IndicatorDefinition, period: str, method: Method, breakdown: dict[str, str],
            cell: ShareEstimate | None, error: str | None, options: BuildOptions, uncorrected: bool,
            missing_weight: bool, provenance: dict[str, Any]) -> IndicatorRecord:
    """One stored cell: suppressed below the minimum n, failed cells without a value."""
    if cell is None:
        return IndicatorRecord(indicator=definition.code, period=period, breakdown=breakdown,
                               method=method.value, estimate=None, flags=["failed"],
                               provenance={**provenance, "error": error})
    flags = list(cell.flags) + (["uncorrected"] if uncorrected else [])
    flags += ["missing-weight"] if missing_weight else []
    suppressed = cell.n < options.min_n
    if suppressed:
        flags += ["low-n", "suppressed"]
    if cell.cv is not None and cell.cv > options.max_cv:
        flags.append("high-cv")

    def pct(value: float) -> float | None:
        return None if suppressed else 100 * value

    return IndicatorRecord(
        indicator=definition.code, period=period, breakdown=breakdown, method=method.value,
        estimate=pct(cell.estimate), se=pct(cell.se), ci_low=pct(cell.ci_low),
        ci_high=pct(cell.ci_high), cv=None if suppressed else cell.cv, n=cell.n, flags=flags,
        provenance={**provenance, "observed_pct": pct(cell.observed), "weighted_n": cell.weighted_n,
                    **({"suppressed": f"n = {cell.n} < minimum {options.min_n} (ECOMSTAT_MIN_CELL_N)"}
                       if suppressed else {})},
    )
