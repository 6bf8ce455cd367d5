"""Drift between waves (issue 17 item 3): the population stability index, its verdicts, the
per-wave profiles and the stored comparison, on SQLite and PostgreSQL; `ecomstat waves drift`."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from drift_kit import WaveSpec, setup_register, sites, write_wave
from ecomstat.classifiers.drift import (DriftRule, compare_profiles, compute_drift, psi,
                                        read_drift, summarize)
from ecomstat.classifiers.drift_profile import (BINS, ProfileCell, WaveData, build_profile,
                                                read_profile, record_profile, score_bins)
from ecomstat.cli import app
from ecomstat.errors import BadInput
from ecomstat.settings import Settings
from ecomstat.store.models import WaveDrift, WaveProfile

RULE = DriftRule(0.1, 0.25, 100)


# --- the statistic ------------------------------------------------------------------------


def test_psi_matches_a_hand_computed_value() -> None:
    # p = (.5, .3, .2), q = (.3, .3, .4): -.2 ln(.6) + 0 + .2 ln(2)
    assert psi([50, 30, 20], [30, 30, 40]) == pytest.approx(
        0.2 * math.log(1 / 0.6) + 0.2 * math.log(2), abs=1e-12)
    assert psi([50, 30, 20], [30, 30, 40]) == pytest.approx(0.240794, abs=1e-6)
    # an empty bin is floored at epsilon = 1e-4: p = (1, 1e-4), q = (.99, .01)
    assert psi([100, 0], [99, 1]) == pytest.approx(
        -0.01 * math.log(0.99) + (0.01 - 1e-4) * math.log(0.01 / 1e-4), abs=1e-12)


def test_identical_distributions_give_zero_and_no_flag() -> None:
    counts = [5, 10, 20, 30, 20, 10, 3, 1, 1, 0]
    assert psi(counts, counts) == 0.0
    assert psi(counts, [2 * c for c in counts]) == pytest.approx(0.0, abs=1e-15)  # shares
    assert RULE.judge(0.0, 100, 100) == "stable"


def test_thresholds_and_small_groups() -> None:
    assert RULE.judge(0.0999, 500, 500) == "stable"
    assert RULE.judge(0.1, 500, 500) == "moderate"
    assert RULE.judge(0.25, 500, 500) == "moderate"
    assert RULE.judge(0.2501, 500, 500) == "major"
    assert RULE.judge(3.0, 99, 500) == "too-small"  # a large index on few units: not judged
    assert RULE.judge(3.0, 500, 0) == "too-small"


def test_psi_refuses_broken_counts() -> None:
    for expected, actual in (([1, 2], [1, 2, 3]), ([1, float("nan")], [1, 1]),
                             ([0, 0], [1, 1]), ([-1, 2], [1, 1])):
        with pytest.raises(BadInput):
            psi(expected, actual)


def test_rule_from_settings() -> None:
    rule = DriftRule.from_settings(Settings({}, {}))
    assert (rule.warn, rule.alert, rule.min_group) == (0.1, 0.25, 100)
    from ecomstat.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        DriftRule.from_settings(Settings({"ECOMSTAT_DRIFT_PSI_WARN": "0.3"}, {}))


def test_non_finite_and_out_of_range_scores_are_counted_not_binned() -> None:
    values = np.array([0.0, 0.05, 0.1, 0.999, 1.0, np.nan, np.inf, -np.inf, -0.1, 1.5])
    index, valid = score_bins(values)
    assert valid.tolist() == [True] * 5 + [False] * 5
    assert index[valid].tolist() == [0, 0, 1, 9, 9]
    data = WaveData(groups={"all": ["all"] * 2, "language": ["en", "de"],
                            "platform": ["none", "none"]},
                    rates={}, scores={"page_score": (np.array([0] * 5 + [1] * 5), values)})
    cells = {(c.dimension, c.group, c.metric): c for c in build_profile(data)}
    overall = cells[("all", "all", "page_score")]
    assert (overall.n, overall.invalid, sum(overall.counts)) == (5, 5, 5)
    german = cells[("language", "de", "page_score")]
    assert (german.n, german.invalid) == (0, 5)  # every score of the group broken


def test_a_known_shift_is_flagged_and_the_same_sample_is_not() -> None:
    rng = np.random.default_rng(7)

    def profile(a: float, b: float) -> dict:
        scores = rng.beta(a, b, size=2000)
        data = WaveData(groups={"all": ["all"] * 2000, "language": ["en"] * 2000,
                                "platform": ["none"] * 2000},
                        rates={"web_sales": scores > 0.5},
                        scores={"site_score": (np.arange(2000), scores)})
        return {(c.dimension, c.group, c.metric): c for c in build_profile(data)}

    before, same, shifted = profile(2, 5), profile(2, 5), profile(3, 3)
    steady = {r.metric: r for r in compare_profiles("w1", "w2", before, same, RULE)
              if r.dimension == "all"}
    assert steady["site_score"].status == "stable" and steady["site_score"].psi < 0.05
    moved = {r.metric: r for r in compare_profiles("w1", "w2", before, shifted, RULE)
             if r.dimension == "all"}
    assert moved["site_score"].status in ("moderate", "major") and moved["site_score"].flagged
    assert moved["web_sales"].flagged  # the share of shops rose from ~11% to ~50%


def test_a_group_in_one_wave_only_is_too_small() -> None:
    cell = ProfileCell("platform", "Wix", "site_score", "score", 500, [50] * BINS, 0, 0.5)
    rows = compare_profiles("w1", "w2", {}, {("platform", "Wix", "site_score"): cell}, RULE)
    assert [(r.n_from, r.n_to, r.psi, r.status) for r in rows] == [(0, 500, None, "too-small")]


# --- the store ----------------------------------------------------------------------------


def _two_waves(engine: Engine, second: WaveSpec) -> None:
    first = WaveSpec()
    setup_register(engine, max(sites(first), sites(second)))
    assert write_wave(engine, "2026Q3", first)[0] == "2026Q3"
    write_wave(engine, "2026Q4", second)


def test_identical_waves_store_zero_drift(engine: Engine) -> None:
    _two_waves(engine, WaveSpec())
    rows = compute_drift(engine, rule=RULE)
    assert {(r.from_wave, r.to_wave) for r in rows} == {("2026Q3", "2026Q4")}
    assert all(r.psi == pytest.approx(0.0, abs=1e-12) for r in rows)
    assert not any(r.flagged for r in rows)
    judged = {(r.dimension, r.group, r.metric) for r in rows if r.status == "stable"}
    assert ("all", "all", "site_score") in judged and ("language", "en", "page_score") in judged
    # 30 German sites, 45 on Shopify: below the minimum group of 100, not judged
    assert {r.status for r in rows if r.group in ("de", "Shopify")} == {"too-small"}


def test_a_shift_is_flagged_stored_and_replaced_on_rerun(engine: Engine) -> None:
    _two_waves(engine, WaveSpec(a=5, b=2, seed=1))
    rows = compute_drift(engine, "2026Q3", "2026Q4", rule=RULE)
    by_key = {(r.dimension, r.group, r.metric): r for r in rows}
    for key in (("all", "all", "site_score"), ("all", "all", "page_score"),
                ("all", "all", "web_sales"), ("all", "all", "cart"), ("language", "en", "prices")):
        assert by_key[key].status == "major", key
    assert by_key[("all", "all", "match_probability")].status == "stable"  # links unchanged
    assert rows[0].flagged and rows[-1].status in ("stable", "too-small")  # flagged first
    assert by_key[("language", "de", "site_score")].status == "too-small"
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(WaveDrift))
    assert stored == len(rows)
    again = compute_drift(engine, rule=RULE)  # same pair by default: replaced, not duplicated
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(WaveDrift)) == len(again)
    assert {r.row()[2:] == s.row()[2:] for r, s in zip(sorted(rows, key=str),
                                                      sorted(read_drift(engine), key=str))} == {True}
    summary = summarize(again)
    assert summary is not None and summary.flagged > 0 and "largest PSI" in summary.line()


def test_profiles_count_broken_scores_and_older_waves_are_kept(engine: Engine) -> None:
    setup_register(engine, 180)
    write_wave(engine, "2026Q3", WaveSpec(bad_scores=7))
    cell = read_profile(engine, "2026Q3")[("all", "all", "page_score")]
    assert (cell.invalid, cell.n) == (7, 2 * 180 - 7)
    assert sum(cell.counts) == cell.n
    write_wave(engine, "2026Q4", WaveSpec())
    # the earlier wave is no longer the store's: its profile stays as taken, and is not retaken
    with pytest.raises(BadInput, match="no longer be taken"):
        record_profile(engine, "2026Q3")
    assert read_profile(engine, "2026Q3")[("all", "all", "page_score")].invalid == 7
    with engine.connect() as connection:
        waves = connection.execute(select(WaveProfile.wave, func.count())
                                   .group_by(WaveProfile.wave)).all()
    assert {wave for wave, _ in waves} == {"2026Q3", "2026Q4"}


def test_unknown_or_unprofiled_waves_are_refused(engine: Engine) -> None:
    setup_register(engine, 180)
    write_wave(engine, "2026Q3", WaveSpec())
    with pytest.raises(BadInput, match="no profiled wave before"):
        compute_drift(engine, rule=RULE)
    with pytest.raises(BadInput, match="has no profile"):
        compute_drift(engine, "2025Q1", "2026Q3", rule=RULE)


# --- the command --------------------------------------------------------------------------


def test_cli_drift_in_three_formats(sqlite_engine: Engine) -> None:
    _two_waves(sqlite_engine, WaveSpec(a=5, b=2, seed=1))
    db = sqlite_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    as_json = runner.invoke(app, ["--db", db, "waves", "drift", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.stdout.splitlines() if line.strip()]
    assert rows[0]["status"] == "major" and rows[0]["from_wave"] == "2026Q3"
    assert {row["dimension"] for row in rows} == {"all", "language", "platform"}
    as_csv = runner.invoke(app, ["--db", db, "waves", "drift", "--from", "2026Q3", "--to",
                                 "2026Q4", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(table) == len(rows) and table[0]["psi"] == str(rows[0]["psi"])
    as_table = runner.invoke(app, ["--db", db, "waves", "drift"])
    assert as_table.exit_code == 0 and "site_score" in as_table.stdout
    assert "judged (group, metric) rows shifted" in as_table.stderr
    bad = runner.invoke(app, ["--db", db, "waves", "drift", "--from", "nope!"])
    assert bad.exit_code == 2
    recorded = runner.invoke(app, ["--db", db, "waves", "record"])  # the profile taken again
    assert recorded.exit_code == 0, recorded.output
    assert "profiled wave 2026Q4" in recorded.stderr


def test_profile_queries_bind_no_long_key_lists(engine: Engine) -> None:
    """The labels' key lists are written into the statements: bound as 1,000 parameters,
    psycopg prepared the statement after five runs and PostgreSQL's generic plan for it left
    the index (5.7 s a query against 0.16 s at 100,000 enterprises, bench/README.md)."""
    from sqlalchemy import event

    setup_register(engine, 600)
    largest: list[int] = [0]

    def count(_conn, _cursor, _statement, parameters, _context, many) -> None:
        # one statement's parameters (an executemany's list holds one set per row)
        size = 0 if many or not isinstance(parameters, (dict, list, tuple)) else len(parameters)
        largest[0] = max(largest[0], size)

    event.listen(engine, "before_cursor_execute", count)
    try:
        write_wave(engine, "2026Q3", WaveSpec(languages=(("en", 600),)))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    cell = read_profile(engine, "2026Q3")[("all", "all", "page_score")]
    assert cell.n == 2 * 600  # every page's label was read: more than one list of 1,000 keys
    assert largest[0] < 1000, largest[0]
