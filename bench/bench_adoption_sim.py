"""Simulation of the adoption estimators (issue 16): coverage and bias of the corrected and
calibrated estimators, with the library's own estimators (`indicators.twophase`,
`indicators.adoption_cells`), on the issue's grid.

    python bench/bench_adoption_sim.py [--replications 200] [--bootstrap 200] [--quick] [--markdown]
        [--prior shared|mod-jeffreys|jeffreys|mid-p] [--error-rates auto|shrink|pooled|groups]
        [--fixed-reweighting] [--only 0,5,60]

Population: 20,000 enterprises, 3 size classes (14,000 / 4,400 / 1,600) x 4 NACE sections, a
fixed true web-sales status with share P (0.05, 0.2, 0.5). Each replication draws a
size-stratified sample (design weights 20 / 8 / 2: 700 + 550 + 800 units), classifies every
sampled unit with the scenario's sensitivity/specificity, draws an audit among the sampled
(crawled) units — simple random, or stratified 50/50 by predicted label with the strata's sizes
as weights — and estimates the population share with a 95% interval. Scenario "nc15": 15% of the
sampled units not crawled (nonresponse, at random within size x NACE), audit among the crawled.
Reported per scenario: coverage of the 95% interval and bias (percentage points) of the
corrected (design weights) and calibrated (post-stratified to the population's size x NACE
counts) estimators, and of the naive classified share for reference.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np


from ecomstat.indicators.adoption_cells import corrected_cells, naive_cells, nonresponse_weights  # noqa: E402
from ecomstat.indicators.twophase import PRIOR as DEFAULT_PRIOR  # noqa: E402
from ecomstat.indicators.twophase import MODES, PRIORS, AuditSample, Phase1, error_rates  # noqa: E402

SIZES = (14_000, 4_400, 1_600)
DESIGN_WEIGHTS = (20, 8, 2)
SECTIONS = 4
SHARES = (0.05, 0.2, 0.5)
RATES = ((0.75, 0.90), (0.85, 0.95), (0.95, 0.99))
AUDITS = (30, 100, 300)
DESIGNS = ("srs", "strat")
PRIOR = DEFAULT_PRIOR
MODE = "auto"  # --error-rates
REDO_REWEIGHTING = True  # --fixed-reweighting: keep the sample's nonresponse factors in every replicate


def population(share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    size = np.repeat(np.arange(3), SIZES)
    section = rng.integers(0, SECTIONS, len(size))
    truth = np.zeros(len(size), dtype=np.int8)
    truth[rng.choice(len(size), int(round(share * len(size))), replace=False)] = 1
    return size, section, truth


def replication(pop: tuple[np.ndarray, np.ndarray, np.ndarray], sens: float, spec: float, audit_n: int,
                design: str, not_crawled: float, bootstrap: int, rng: np.random.Generator
                ) -> dict[str, tuple[float, float, float]]:
    size, section, truth = pop
    picked = np.concatenate([rng.choice(np.flatnonzero(size == h), SIZES[h] // DESIGN_WEIGHTS[h], replace=False)
                             for h in range(3)])
    s_size, s_section, s_truth = size[picked], section[picked], truth[picked]
    d = np.array(DESIGN_WEIGHTS, dtype=float)[s_size]
    u = rng.random(len(picked))
    pred = np.where(s_truth == 1, u < sens, u >= spec).astype(np.int8)
    crawled = rng.random(len(picked)) >= not_crawled
    pred = np.where(crawled, pred, 0).astype(np.int8)
    cells = s_size * SECTIONS + s_section
    weight, reweighting = d, None
    if not_crawled > 0:
        adjusted = nonresponse_weights(d, crawled, ~crawled, [("cell", cells), ("size", s_size),
                                                              ("total", np.zeros(len(d), dtype=np.int64))])
        weight, reweighting = adjusted.weights, (adjusted.reweighting if REDO_REWEIGHTING else None)
    frame = np.flatnonzero(crawled)
    if design == "srs":
        audited = rng.choice(frame, audit_n, replace=False)
        a = np.ones(len(audited))
    else:
        parts, a_parts = [], []
        for k in (1, 0):
            stratum = frame[pred[frame] == k]
            take = min(len(stratum), audit_n // 2)
            parts.append(rng.choice(stratum, take, replace=False))
            a_parts.append(np.full(take, len(stratum) / max(take, 1)))
        audited, a = np.concatenate(parts), np.concatenate(a_parts)
    sample = AuditSample(audited, s_truth[audited], a, design)
    strata = s_size.astype(np.int64)
    domain = np.zeros(len(d), dtype=np.int64)
    out = {}
    naive = naive_cells(pred, weight, domain, 1, 0.05)[0]
    out["naive"] = (naive.estimate, naive.ci_low, naive.ci_high)
    rates = error_rates(pred, weight, sample, s_size.astype(np.int64), ["10-49", "50-249", "250+"], mode=MODE)
    theta = rates.draws(bootstrap, rng, PRIOR)
    est = corrected_cells(pred, domain, 1, crawled, Phase1(weight, d, strata, reweighting=reweighting), rates,
                          theta, 0.05, rng, "corrected", PRIOR)[0]
    out["corrected"] = (est.estimate, est.ci_low, est.ci_high)
    # Calibrated: post-stratified to the population's size x NACE counts (nonrespondents get 0).
    totals = np.bincount(size * SECTIONS + section, minlength=3 * SECTIONS).astype(float)
    design_c = np.where(crawled, d, 0.0)
    sums = np.bincount(cells, weights=design_c, minlength=len(totals))
    calibrated = design_c * np.where(sums > 0, totals / np.maximum(sums, 1e-300), 0.0)[cells]
    phase1 = Phase1(calibrated, d, strata, cells.astype(np.int64), totals)
    rates_c = error_rates(pred, calibrated, sample, s_size.astype(np.int64), ["10-49", "50-249", "250+"],
                          mode=MODE)
    est = corrected_cells(pred, domain, 1, crawled, phase1, rates_c, rates_c.draws(bootstrap, rng, PRIOR), 0.05,
                          rng, "calibrated", PRIOR)[0]
    out["calibrated"] = (est.estimate, est.ci_low, est.ci_high)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=200, help="bootstrap replicates per estimate")
    parser.add_argument("--quick", action="store_true", help="20 replications, 100 bootstrap replicates")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--prior", choices=list(PRIORS), default=DEFAULT_PRIOR,
                        help="draws of the error rates (see indicators.twophase.ErrorRates.draws)")
    parser.add_argument("--error-rates", choices=list(MODES), default="auto",
                        help="error rates by size class: auto switch, shrink (empirical Bayes), pooled, groups")
    parser.add_argument("--fixed-reweighting", action="store_true",
                        help="keep the sample's nonresponse factors in every replicate (the old variance)")
    parser.add_argument("--only", default="", help="run only these scenario numbers (0-based, comma-separated)")
    args = parser.parse_args()
    global PRIOR, REDO_REWEIGHTING, MODE
    PRIOR, REDO_REWEIGHTING, MODE = args.prior, not args.fixed_reweighting, args.error_rates
    if args.quick:
        args.replications, args.bootstrap = 20, 100
    scenarios = [(p, r, m, dsg, 0.0) for p, r, m, dsg in itertools.product(SHARES, RATES, AUDITS, DESIGNS)]
    scenarios += [(p, (0.85, 0.95), m, dsg, 0.15) for p in SHARES for m in (100, 300) for dsg in DESIGNS]
    header = ["P", "sens/spec", "audit", "design", "not crawled", "corr cover", "corr bias pp",
              "cal cover", "cal bias pp", "naive cover", "naive bias pp"]
    print(("| " + " | ".join(header) + " |\n|" + "---|" * len(header)) if args.markdown else "\t".join(header))
    started = time.perf_counter()
    worst = {"corrected": [1.0, 0.0], "calibrated": [1.0, 0.0]}
    only = {int(v) for v in args.only.split(",") if v.strip()}
    for number, (share, (sens, spec), audit_n, design, nc) in enumerate(scenarios):
        if only and number not in only:
            continue
        rng = np.random.default_rng([args.seed, number])
        pop = population(share, rng)
        true = pop[2].mean()
        results: dict[str, list[tuple[float, float, float]]] = {"naive": [], "corrected": [], "calibrated": []}
        for _ in range(args.replications):
            for name, value in replication(pop, sens, spec, audit_n, design, nc, args.bootstrap, rng).items():
                results[name].append(value)
        row = [f"{share:g}", f"{sens:g}/{spec:g}", str(audit_n), design, f"{nc:.0%}"]
        for name in ("corrected", "calibrated", "naive"):
            values = np.array(results[name])
            cover = float(np.mean((values[:, 1] <= true) & (true <= values[:, 2])))
            bias = 100 * float(np.mean(values[:, 0]) - true)
            row += [f"{100 * cover:.1f}%", f"{bias:+.2f}"]
            if name in worst:
                worst[name][0] = min(worst[name][0], cover)
                worst[name][1] = max(worst[name][1], abs(bias))
        print(("| " + " | ".join(row) + " |") if args.markdown else "\t".join(row), flush=True)
    print(f"\n{len(only) if only else len(scenarios)} scenarios x {args.replications} replications, {args.bootstrap} bootstrap "
          f"replicates, prior {PRIOR}, error rates {MODE}, {time.perf_counter() - started:.0f} s; worst coverage / |bias| pp: "
          + "; ".join(f"{k} {100 * v[0]:.1f}% / {v[1]:.2f}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
