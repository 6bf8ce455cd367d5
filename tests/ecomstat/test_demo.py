"""`ecomstat demo` end to end on a small sample web: every step runs, the outputs exist, and the
pipeline's scores against the ground truth are computed from what it stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.slow
def test_demo_runs_every_step_and_scores_the_pipeline(demo_run: Any, chromium_path: str) -> None:
    out = demo_run.out  # `ecomstat demo --n DEMO_N`, run once per session (tests/conftest.py)
    assert demo_run.returncode == 0, demo_run.stderr[-3000:]
    summary = json.loads(demo_run.stdout.strip().splitlines()[-1])
    assert summary["failed_steps"] == []
    scores = summary["scores"]
    assert scores["enterprises"] == 60  # DEMO_N
    # the pipeline found most websites and the web-sales labels mostly agree with the truth
    assert scores["url_finding"]["f1"] >= 0.7, scores["url_finding"]
    assert scores["web_sales"]["accuracy"] >= 0.7, scores["web_sales"]
    assert (out / "report" / "index.html").exists()
    # the simulated survey was compared with the web values and stored next to them
    assert sum(scores["survey_comparison"].values()) >= 1, scores.get("survey_comparison")
    assert scores["web_sales_indicator"]["method"] == "corrected"  # a web value, not the survey
    assert "survey" in (out / "report" / "index.html").read_text(encoding="utf-8").lower()
    assert (out / "register-worklist.html").exists()
    assert json.loads((out / "scores.json").read_text()) == json.loads(json.dumps(scores))
    # two waves: the second on the changed sample web, its gained/lost web sales scored
    changes = scores["wave_changes"]
    assert (changes["from"], changes["to"]) == ("2026Q3", "2026Q4")
    assert changes["true"] >= 1 and changes["recall"] >= 0.5 and changes["precision"] >= 0.5, changes
    assert (out / "sampleweb-wave2" / "truth.csv").exists()
    # the cross-tabulation economists open first (NACE section x size class) is stored per wave,
    # its small cells suppressed rather than shown as 0.0 (0.0-0.0)
    import sqlite3

    with sqlite3.connect(out / "demo.db") as db:
        cross = db.execute("SELECT period, estimate, flags FROM indicator_value WHERE breakdown "
                           "LIKE '%nace_section%size_class%'").fetchall()
    assert {period for period, _, _ in cross} == {"2026Q3", "2026Q4"}, cross
    assert all(estimate is not None or "suppressed" in (flags or "") for _, estimate, flags in cross)
    # the classifier drift between the waves was measured and stored (ecomstat waves drift)
    assert scores.get("drift"), scores.keys()
    with sqlite3.connect(out / "demo.db") as db:
        assert db.execute("SELECT count(*) FROM wave_drift").fetchone()[0] > 0


def test_demo_refuses_a_folder_with_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_text("precious")
    proc = subprocess.run(
        [sys.executable, "-m", "ecomstat", "demo", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2
    assert "holds files the demo did not make" in proc.stderr
    assert (tmp_path / "thesis.docx").read_text() == "precious"
