"""A simulated ICT-usage survey of the demo's sample web, for `ecomstat indicators compare`.

An office checks its web-based estimates against its ICT-usage survey. The sample web has no
survey, so the demo draws one from its ground truth: a simple random sample without
replacement (seeded) of half the enterprises in the indicators' default scope, each answering
truthfully. Each cell's estimate is the sample proportion with its standard error under simple
random sampling, with the finite population correction (Cochran 1977, eq. 3.11):
se = sqrt((1 - n/N) * p(1 - p) / (n - 1)). A web estimate that measures the same thing then
differs from it by sampling and classification error only, which is what the comparison tests.
"""

from __future__ import annotations

import csv
import math
import random
from collections import defaultdict
from pathlib import Path

from ecomstat.indicators.units import SIZE_CLASSES, Scope, nace_section, size_class

# indicator code -> the truth.csv column an enterprise with a website answers "yes" to
SURVEY_QUESTIONS = {"ECOM_WEB_SALES": "web_sales", "ECOM_MARKETPLACE": "marketplace",
                    "ECOM_SOCIAL_MEDIA": "social_media"}
SAMPLE_FRACTION = 0.5
MIN_RESPONDENTS = 5  # cells with fewer respondents are not published


def write_survey(sample_dir: Path, out: Path, seed: int = 0) -> int:
    """Write the survey estimates (indicator,breakdown,estimate,se,n) to `out`; returns the
    number of cells. Reads the sample web's register.csv and truth.csv."""
    answers = _in_scope_answers(sample_dir)
    rng = random.Random(f"ecomstat-demo-survey:{seed}")
    sample = rng.sample(sorted(answers), k=round(SAMPLE_FRACTION * len(answers)))
    population: dict[str, int] = defaultdict(int)
    for size, _ in answers.values():
        population["total"] += 1
        population[f"size_class={size}"] += 1
    rows = []
    for indicator, question in SURVEY_QUESTIONS.items():
        cells: dict[str, list[bool]] = defaultdict(list)
        for enterprise in sample:
            size, truth = answers[enterprise]
            cells["total"].append(truth[question])
            cells[f"size_class={size}"].append(truth[question])
        for breakdown in ["total"] + [f"size_class={s}" for s in SIZE_CLASSES]:
            said = cells.get(breakdown, [])
            if len(said) >= MIN_RESPONDENTS:
                share, se = _proportion(said, population[breakdown])
                rows.append((indicator, breakdown, round(100 * share, 3), round(100 * se, 3),
                             len(said)))
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("indicator", "breakdown", "estimate", "se", "n"))
        writer.writerows(rows)
    return len(rows)


def _proportion(answers: list[bool], population: int) -> tuple[float, float]:
    n = len(answers)
    share = sum(answers) / n
    correction = 1 - n / population if population else 1.0
    return share, math.sqrt(max(correction, 0.0) * share * (1 - share) / (n - 1))


def _in_scope_answers(sample_dir: Path) -> dict[str, tuple[str, dict[str, bool]]]:
    """enterprise id -> (size class, the survey answers), for the indicators' default scope."""
    with (sample_dir / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {row["id"]: row for row in csv.DictReader(handle)}
    scope = Scope()
    answers = {}
    with (sample_dir / "register.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            employees = int(row["employees"]) if row["employees"].strip() else None
            size = size_class(employees, row["size_class"])
            if not scope.admits(employees, size, row["nace"], nace_section(row["nace"])):
                continue
            facts = truth[row["id"]]
            online = facts["has_website"] == "true"
            answers[row["id"]] = (size or "", {
                question: online and facts[question] == "true"
                for question in SURVEY_QUESTIONS.values()})
    return answers
