"""The demo's simulated survey: in-scope units only, and standard errors that are right."""

from __future__ import annotations

import csv
from pathlib import Path

from ecomstat.demo_survey import SAMPLE_FRACTION, _in_scope_answers, write_survey
from ecomstat.sampleweb import generate, write_population


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_survey_cells_and_their_sampling_error_cover_the_truth(tmp_path: Path) -> None:
    sample_dir = tmp_path / "sampleweb"
    write_population(generate(n=300, seed=5), sample_dir)
    answers = _in_scope_answers(sample_dir)
    truth = 100 * sum(a["web_sales"] for _, a in answers.values()) / len(answers)
    covered = replications = 0
    for seed in range(200):
        out = tmp_path / "survey.csv"
        assert write_survey(sample_dir, out, seed) > 0
        rows = {(r["indicator"], r["breakdown"]): r for r in _rows(out)}
        total = rows["ECOM_WEB_SALES", "total"]
        assert int(total["n"]) == round(SAMPLE_FRACTION * len(answers))
        estimate, se = float(total["estimate"]), float(total["se"])
        covered += abs(estimate - truth) <= 1.96 * se
        replications += 1
        sizes = [r for key, r in rows.items() if key[0] == "ECOM_WEB_SALES" and key[1] != "total"]
        assert sum(int(r["n"]) for r in sizes) <= int(total["n"])
    # With the finite population correction the 95% interval covers the population share in
    # about 95% of samples; without it (half the population sampled) in about 99%.
    assert 0.90 <= covered / replications <= 0.985, covered


def test_only_the_indicators_default_scope_is_surveyed(tmp_path: Path) -> None:
    sample_dir = tmp_path / "sampleweb"
    write_population(generate(n=120, seed=2), sample_dir)
    register = _rows(sample_dir / "register.csv")
    surveyed = set(_in_scope_answers(sample_dir))
    small = {r["id"] for r in register if r["employees"] and int(r["employees"]) < 10}
    assert surveyed and not surveyed & small
    assert len(surveyed) < len(register)
