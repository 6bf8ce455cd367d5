"""End to end: synthetic store -> `ecomstat audit import` -> `indicators build` -> `indicators show`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.adoption_synthetic import SyntheticTruth, synthetic_store
from ecomstat.indicators.estimators import Confusion
from ecomstat.store.engine import transaction
from ecomstat.store.models import AuditLabel, IndicatorValue

runner = CliRunner()
N = 1500


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _cli(engine: Engine, *args: str):
    return runner.invoke(app, ["--db", _url(engine), *args], catch_exceptions=True)


def _audit_csv(path: Path, truth: SyntheticTruth, size: int = 400, seed: int = 0) -> np.ndarray:
    picked = np.random.default_rng(seed).choice(np.flatnonzero(truth.in_scope), size, replace=False)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["enterprise_id", "web_sales"])
        for i in picked:
            writer.writerow([truth.enterprise_id[i], "yes" if truth.truth["web_sales"][i] else "no"])
    return picked


def _show(engine: Engine, *args: str) -> list[dict]:
    result = _cli(engine, "indicators", "show", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture
def populated(engine: Engine, tmp_path: Path) -> tuple[Engine, SyntheticTruth, Path, np.ndarray]:
    truth = synthetic_store(engine, N, random_state=11)
    audit_path = tmp_path / "audit.csv"
    picked = _audit_csv(audit_path, truth)
    return engine, truth, audit_path, picked


def test_build_corrected_and_show_end_to_end(populated) -> None:
    engine, truth, audit_path, picked = populated
    result = _cli(engine, "audit", "import", str(audit_path), "--name", "audit-2025", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["enterprises"] == len(picked)

    build = ["indicators", "build", "--method", "corrected", "--period", "2025", "--replicates", "200",
             "--error-rates", "pooled"]
    result = _cli(engine, *build)
    assert result.exit_code == 0, result.output
    rows = _show(engine, "--period", "2025")
    scope = truth.in_scope
    totals = {r["indicator"]: r for r in rows if r["breakdown_key"] == "total"}
    assert set(totals) == {"ECOM_WEBSITE", "ECOM_WEB_SALES", "ECOM_MARKETPLACE",
                           "ECOM_SOCIAL_MEDIA", "ECOM_SITE_UNREACHABLE"}
    web_sales = totals["ECOM_WEB_SALES"]
    assert web_sales["n"] == int(scope.sum())  # out-of-scope units (0-9, K, S, A) are excluded
    # what the classifier said, exactly, and the Rogan-Gladen correction from the audit counts
    observed = truth.predicted["web_sales"][scope].mean()
    assert web_sales["provenance"]["observed_pct"] == pytest.approx(100 * observed)
    confusion = Confusion.from_labels(truth.truth["web_sales"][picked], truth.predicted["web_sales"][picked])
    rg = web_sales["provenance"]["correction"]["two_phase"]
    assert (rg["tp"], rg["fn"], rg["fp"], rg["tn"]) == (confusion.tp, confusion.fn, confusion.fp, confusion.tn)
    # two-phase: classified share x P(true | predicted yes) + rest x P(true | predicted no)
    ppv, false_omission = confusion.tp / (confusion.tp + confusion.fp), confusion.fn / (confusion.fn + confusion.tn)
    expected = observed * ppv + (1 - observed) * false_omission
    assert web_sales["estimate"] == pytest.approx(100 * expected)
    assert web_sales["provenance"]["interval"].startswith("two-phase")
    true_share = 100 * truth.truth["web_sales"][scope].mean()
    assert web_sales["ci_low"] <= true_share <= web_sales["ci_high"]
    # no audit labels for marketplace: kept uncorrected, and flagged so
    assert "uncorrected" in totals["ECOM_MARKETPLACE"]["flags"]
    # website found vs unreachable, reported apart
    assert totals["ECOM_WEBSITE"]["estimate"] == pytest.approx(100 * truth.reachable[scope].mean())
    unreachable = truth.has_website & ~truth.reachable
    assert totals["ECOM_SITE_UNREACHABLE"]["estimate"] == pytest.approx(100 * unreachable[scope].mean())
    # provenance: runs, model version, register snapshot, audit set
    provenance = web_sales["provenance"]
    assert provenance["crawl_runs"] == [1] and provenance["register_snapshots"] == [1]
    assert "web_sales:ecommerce-synthetic:1.0" in provenance["models"]  # model name:version
    assert provenance["audit_set"] == "audit-2025"
    assert provenance["audit_imported_at"][:4].isdigit()  # which import of that set
    # breakdowns: size classes, sections, regions, and small cells flagged
    keys = Counter(r["breakdown_key"].split("=")[0] for r in rows if r["indicator"] == "ECOM_WEB_SALES")
    assert keys["size_class"] == 3 and keys["region"] == 4 and keys["nace_section"] >= 8
    for r in rows:
        assert ("low-n" in r["flags"]) == (r["n"] < 20)
        assert ("suppressed" in r["flags"]) == (r["estimate"] is None) == (r["n"] < 20)

    # idempotent: building again replaces the cells instead of adding rows
    with transaction(engine) as session:
        before = session.scalar(select(func.count()).select_from(IndicatorValue))
    assert _cli(engine, *build).exit_code == 0
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(IndicatorValue)) == before
    # a naive build adds its own cells next to the corrected ones
    assert _cli(engine, "indicators", "build", "--period", "2025", "--replicates", "50").exit_code == 0
    naive = _show(engine, "--indicator", "ECOM_WEB_SALES", "--method", "naive")
    naive_total = [r for r in naive if r["breakdown_key"] == "total"][0]
    assert naive_total["provenance"]["interval"].startswith("sampling interval")
    # unreachable sites are nonresponse (reweighted within size x NACE), no longer certain "no"
    assert naive_total["estimate"] > 100 * observed
    assert "nonresponse" in naive_total["provenance"]["units_treatment"]["unreachable"]
    negative = ["indicators", "build", "--period", "neg", "--replicates", "50", "--nonresponse", "negative"]
    assert _cli(engine, *negative).exit_code == 0
    counted_no = [r for r in _show(engine, "--indicator", "ECOM_WEB_SALES", "--period", "neg")
                  if r["breakdown_key"] == "total"][0]
    assert counted_no["estimate"] == pytest.approx(100 * observed)


def test_audit_import_refuses_bad_rows_and_writes_nothing(populated, tmp_path: Path) -> None:
    engine, truth, audit_path, _ = populated
    bad = tmp_path / "bad.csv"
    bad.write_text(audit_path.read_text() + "NOPE-1,yes\n" + f"{truth.enterprise_id[0]},maybe\n")
    result = _cli(engine, "audit", "import", str(bad))
    assert result.exit_code == 2
    assert "NOPE-1" in result.output and "maybe" in result.output
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditLabel)) == 0
    # corrected without any audit sample is refused, nothing written
    result = _cli(engine, "indicators", "build", "--method", "corrected", "--replicates", "20")
    assert result.exit_code == 2 and "audit" in result.output
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(IndicatorValue)) == 0


def test_scope_options_and_calibration(populated, tmp_path: Path) -> None:
    engine, truth, _, _ = populated
    result = _cli(engine, "indicators", "build", "--period", "all", "--nace-scope", "all",
                  "--min-employees", "0", "--replicates", "20")
    assert result.exit_code == 0, result.output
    everyone = [r for r in _show(engine, "--period", "all", "--indicator", "ECOM_WEBSITE")
                if r["breakdown_key"] == "total"][0]
    assert everyone["n"] == N

    # calibration to register totals: each size x section cell scaled to its known count
    result = _cli(engine, "indicators", "build", "--period", "cal", "--replicates", "20")
    by_cell: Counter = Counter()
    from ecomstat.indicators.units import load_units

    units = load_units(engine)
    for size, section in zip(units.size_class, units.nace_section):
        by_cell[(size, section)] += 1
    totals = tmp_path / "totals.csv"
    with totals.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["size_class", "nace_section", "enterprises"])
        for (size, section), count in by_cell.items():
            writer.writerow([size, section, count * (3 if size == "10-49" else 1)])
    result = _cli(engine, "indicators", "build", "--method", "calibrated", "--period", "cal",
                  "--totals", str(totals), "--replicates", "20", "--nonresponse", "negative")
    assert result.exit_code == 0, result.output
    cal = [r for r in _show(engine, "--period", "cal", "--method", "calibrated", "--indicator", "ECOM_WEB_SALES")
           if r["breakdown_key"] == "total"][0]
    expected_weight = sum(c * (3 if s == "10-49" else 1) for (s, _), c in by_cell.items())
    assert cal["provenance"]["weighted_n"] == pytest.approx(expected_weight)
    assert cal["provenance"]["weights"]["kind"] == "calibrated"
    y, small = units.labels["web_sales"], units.size_class == "10-49"
    weighted = (3 * y[small].sum() + y[~small].sum()) / (3 * small.sum() + (~small).sum())
    assert cal["estimate"] == pytest.approx(100 * weighted)
    # a totals file missing a cell is refused
    lines = totals.read_text().splitlines()
    totals.write_text("\n".join(lines[:-1]) + "\n")
    result = _cli(engine, "indicators", "build", "--method", "calibrated", "--totals", str(totals), "--replicates", "20")
    assert result.exit_code == 2 and "no register total" in result.output


def test_command_line_exit_code_two_on_bad_audit(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    db.touch()  # commands refuse a missing store
    bad = tmp_path / "audit.csv"
    bad.write_text("enterprise_id,web_sales\nX1,yes\n")
    done = subprocess.run([sys.executable, "-m", "ecomstat", "--db", str(db), "audit", "import", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "unknown enterprise_id 'X1'" in done.stderr and len(done.stderr.strip().splitlines()) <= 2


def test_audit_among_found_websites_corrects_within_them(populated, tmp_path: Path) -> None:
    """The sample web's audit is drawn among enterprises with a live site: the correction then
    applies among found websites only (the others are certain "no")."""
    engine, truth, _, _ = populated
    live = np.flatnonzero(truth.in_scope & truth.reachable)
    picked = np.random.default_rng(2).choice(live, 300, replace=False)
    path = tmp_path / "live.csv"
    path.write_text("enterprise_id,web_sales\n" + "".join(
        f"{truth.enterprise_id[i]},{'yes' if truth.truth['web_sales'][i] else 'no'}\n" for i in picked))
    assert _cli(engine, "audit", "import", str(path)).exit_code == 0
    result = _cli(engine, "indicators", "build", "--method", "corrected", "--audit", "live",
                  "--period", "live", "--replicates", "100", "--error-rates", "pooled",
                  "--nonresponse", "negative")
    assert result.exit_code == 0, result.output
    total = [r for r in _show(engine, "--period", "live", "--indicator", "ECOM_WEB_SALES")
             if r["breakdown_key"] == "total"][0]
    rg = total["provenance"]["correction"]["two_phase"]
    assert rg["audit_population"] == "enterprises with a found website"
    found = truth.in_scope & truth.reachable
    fraction = found.sum() / truth.in_scope.sum()
    p_found = truth.predicted["web_sales"][found].mean()
    ppv, false_omission = rg["tp"] / (rg["tp"] + rg["fp"]), rg["fn"] / (rg["fn"] + rg["tn"])
    expected = fraction * (p_found * ppv + (1 - p_found) * false_omission)
    assert total["estimate"] == pytest.approx(100 * expected)


@pytest.mark.parametrize("period", [" ", ""])
def test_blank_period_is_refused_and_nothing_is_written(sqlite_engine: Engine, period: str) -> None:
    synthetic_store(sqlite_engine, 200, random_state=3)
    result = _cli(sqlite_engine, "indicators", "build", "--period", period, "--replicates", "20")
    assert result.exit_code == 2 and "needs a --period" in result.output, result.output
    with transaction(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(IndicatorValue)) == 0


def test_build_with_error_rates_shrunk_by_size_class(populated) -> None:
    """--error-rates shrink runs end to end and records its mode in each cell's provenance."""
    engine, _truth, audit_path, _picked = populated
    assert _cli(engine, "audit", "import", str(audit_path), "--name", "a").exit_code == 0
    result = _cli(engine, "indicators", "build", "--method", "corrected", "--period", "2025",
                  "--replicates", "100", "--error-rates", "shrink")
    assert result.exit_code == 0, result.output
    rows = _show(engine, "--period", "2025")
    web_sales = next(r for r in rows if r["indicator"] == "ECOM_WEB_SALES"
                     and r["breakdown_key"] == "total")
    assert 0 <= web_sales["estimate"] <= 100, web_sales
    assert "shrunk towards the pooled rates" in json.dumps(web_sales["provenance"])
