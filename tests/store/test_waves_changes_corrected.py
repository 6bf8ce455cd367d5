"""`ecomstat changes --indicators --audit-from A1 --audit-to A2`: the audited indicators' changes are corrected for
classifier error (Rogan-Gladen per wave, paired bootstrap over units and audit), the others stay
paired-linearised, and the output says what an uncorrected interval covers (issue 17 item 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.indicators.changes import compare_waves
from ecomstat.store.engine import transaction
from ecomstat.store.models import AuditLabel

runner = CliRunner()
# each wave's audit truth: the classifier missed E10 and E11 in wave 1, E10-E12 in wave 2
TRULY_SELLING = {"A1": set(range(12)), "A2": {5, 6, 7, 8, 9, 10, 11, 12, 20, 21}}


def _audit(engine: Engine, scenario: Any) -> None:
    with transaction(engine) as session:
        for name, selling in TRULY_SELLING.items():
            for k in range(scenario.n):
                session.add(AuditLabel(audit_set=name, enterprise_id=scenario.eid(k),
                                       task="web_sales", value=k in selling))


def _rogan_gladen(p: float, sens: float, spec: float) -> float:
    return min(1.0, max(0.0, (p + spec - 1) / (sens + spec - 1)))


def test_audited_changes_are_corrected_for_classifier_error(
        engine: Engine, two_waves: Callable[[Engine], Any]) -> None:
    s = two_waves(engine)
    _audit(engine, s)
    result = compare_waves(engine, "2026Q3", "2026Q4", audit_from="A1", audit_to="A2",
                           replicates=200, random_state=3)
    cells = {(c.indicator, c.breakdown_key): c for c in result.indicators}
    sales = cells[("ECOM_WEB_SALES", "total")]
    assert sales.method == "paired-corrected"
    # wave 1 labels E00-E09 yes: tp 10, fn 2 (10, 11), fp 0; wave 2 labels 5-9, 20, 21 yes:
    # tp 7, fn 3 (10-12), fp 0. Corrected 50% -> 41.7%, where the labels say 41.7% -> 29.2%
    expected = _rogan_gladen(7 / s.n, 7 / 10, 1.0) - _rogan_gladen(10 / s.n, 10 / 12, 1.0)
    assert sales.difference == pytest.approx(100 * expected) and expected == pytest.approx(-1 / 12)
    assert sales.ci_low < sales.difference < sales.ci_high
    assert sales.provenance["observed_difference"] == pytest.approx(100 * (7 - 10) / s.n)
    assert sales.provenance["audit"]["tasks"] == ["web_sales"]
    assert cells[("ECOM_SITE_UNREACHABLE", "total")].method == "paired-linearised"  # no audit task
    again = compare_waves(engine, "2026Q3", "2026Q4", audit_from="A1", audit_to="A2",
                          replicates=200, random_state=3)
    assert next(c for c in again.indicators if c.indicator == "ECOM_WEB_SALES").ci_low == sales.ci_low


def test_the_command_corrects_with_audit_and_says_what_an_uncorrected_interval_covers(
        engine: Engine, db_url: str, two_waves: Callable[[Engine], Any]) -> None:
    s = two_waves(engine)
    _audit(engine, s)
    base = ["--db", db_url, "changes", "--from", "2026Q3", "--to", "2026Q4", "--indicators"]
    plain = runner.invoke(app, [*base, "--format", "json"])
    assert plain.exit_code == 0, plain.output
    assert "sampling error only, not classifier error" in plain.stderr
    corrected = runner.invoke(app, [*base, "--audit-from", "A1", "--audit-to", "A2", "--replicates", "100",
                                    "--random-state", "1", "--format", "json"])
    assert corrected.exit_code == 0, corrected.output
    rows = [json.loads(line) for line in corrected.stdout.splitlines()]
    assert {r["method"] for r in rows if r["indicator"] == "ECOM_WEB_SALES"} == {"paired-corrected"}
    assert "sampling error only" not in corrected.stderr
    refused = runner.invoke(app, [*base, "--audit-from", "A1"])
    assert refused.exit_code == 2 and "both waves" in refused.stderr, refused.output
