"""URL candidates: is an enterprise's official registered domain among `register candidates`'
output, and how early?

    python bench/bench_url_candidates.py [--data PATH] [--sample-n 200] [--sample-seed 0]

Data: the development half of the Wikipedia companies (../shared/data/register/
wikipedia_companies_dev/companies_dev.csv: name, country as Wikipedia writes it, official
website; CC BY 3.0, read here, never shipped), split in two by a hash of the name: rules were
designed on the `design` half only; the `held-out` half was not looked at while designing,
so its figures estimate unseen companies. For comparison, the sample web's register
(ecomstat.sampleweb, seeded): candidates from name, country, e-mail and city against the
truth's website, for the enterprises whose site is discoverable without a register URL.

Prints recall@1/5/10/20, the average number of candidates, and the discovery probe cost: in
`register discover` every candidate domain is probed (register/discover.py probe_variants: up
to 4 URL variants, https/http x bare/www, stopping at the first that answers).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from collections import Counter
from pathlib import Path


from ecomstat.urls import registered_domain  # noqa: E402
from ecomstat.register.candidates import CandidateGenerator  # noqa: E402
from ecomstat.register.country_domains import lookup_country  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared/data/register/wikipedia_companies_dev/companies_dev.csv"
KS = (1, 5, 10, 20)
VARIANTS = 4  # URL variants probed per candidate domain at most (probe_variants)
# Before issue 19 (the measurement on 706 companies of the same source).
BASELINE = "before: 68.0 % within 20 (706 companies, issue 19), 6.0 candidates on average"


def half(name: str) -> str:
    """design or held-out, by a hash of the name: stable, independent of row order."""
    return "design" if hashlib.sha1(name.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"


def score(cases: list[tuple[str, list[str]]]) -> dict[str, float]:
    """recall@k, mean candidates and mean rank of the found ones for (gold, candidates) cases."""
    n = len(cases)
    ranks = [cands.index(gold) + 1 for gold, cands in cases if gold in cands]
    out = {f"r@{k}": sum(r <= k for r in ranks) / n for k in KS}
    out["n"] = n
    out["candidates"] = sum(len(c) for _, c in cases) / n
    out["mean_rank"] = sum(ranks) / len(ranks) if ranks else 0.0
    return out


def line(label: str, s: dict[str, float]) -> str:
    recalls = "  ".join(f"@{k} {s[f'r@{k}']:.3f}" for k in KS)
    return (f"{label:<26} n={int(s['n']):>4}  recall {recalls}  candidates {s['candidates']:.1f} "
            f"(probes <= {s['candidates'] * VARIANTS:.0f} requests/enterprise)  mean rank found {s['mean_rank']:.1f}")


def companies(path: Path, generator: CandidateGenerator) -> dict[str, list[tuple[str, list[str]]]]:
    groups: dict[str, list[tuple[str, list[str]]]] = {"design": [], "held-out": []}
    unknown: Counter[str] = Counter()
    patterns: Counter[str] = Counter()
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            gold = registered_domain(row["web"].strip()).lower()
            if lookup_country(row["country"]) is None:
                unknown[row["country"]] += 1
            found = generator.generate(row["name"], row["country"])
            cands = [c.domain for c in found]
            part = half(row["name"])
            groups[part].append((gold, cands))
            if part == "design":  # which rule found it, on the design half only
                patterns.update(c.pattern or c.source for c in found if c.domain == gold)
    if unknown:
        print(f"  unknown countries (no country suffixes): {dict(unknown)}")
    print("  design half, rule that produced the official domain: "
          + ", ".join(f"{p} {n}" for p, n in patterns.most_common()))
    return groups


def sample_web(n: int, seed: int) -> list[tuple[str, list[str]]]:
    from ecomstat.sampleweb import generate

    population = generate(n=n, seed=seed)
    generator = CandidateGenerator(suffix=".test")
    cases = []
    for row, truth in zip(population.register, population.truth):
        if truth.has_website and truth.discoverable:
            gold = registered_domain(truth.true_url)
            cases.append((gold, [c.domain for c in generator.generate(row.name, row.country, row.email, row.city)]))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEV)
    parser.add_argument("--sample-n", type=int, default=200)
    parser.add_argument("--sample-seed", type=int, default=0)
    parser.add_argument("--design-only", action="store_true",
                        help="Print the design half only (while changing rules: keep the held-out half unseen).")
    args = parser.parse_args()
    generator = CandidateGenerator(suffix="")
    print(f"URL candidates ({BASELINE})")
    if args.data.exists():
        groups = companies(args.data, generator)
        for part in ("design",) if args.design_only else ("design", "held-out"):
            print(line(f"wikipedia dev, {part}", score(groups[part])))
        if not args.design_only:
            print(line("wikipedia dev, all", score(groups["design"] + groups["held-out"])))
    else:
        print(f"  {args.data} not found: Wikipedia figures skipped")
    print(line(f"sample web n={args.sample_n} s={args.sample_seed}", score(sample_web(args.sample_n, args.sample_seed))))


if __name__ == "__main__":
    main()
