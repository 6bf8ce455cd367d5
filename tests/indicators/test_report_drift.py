"""The report's "Drift between waves" section (issue 17 item 3): the newest compared pair of
waves from `wave_drift`, flagged rows first with what the office should do."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert

from ecomstat.indicators.report import render_report
from ecomstat.store import transaction
from ecomstat.store.models import WaveDrift


def _row(from_wave: str, to_wave: str, group: str, metric: str, psi: float | None, status: str,
         at: dt.datetime) -> dict:
    dimension = "all" if group == "all" else "platform"
    return {"from_wave": from_wave, "to_wave": to_wave, "dimension": dimension,
            "group_value": group, "metric": metric, "kind": "score", "n_from": 500, "n_to": 480,
            "mean_from": 0.31, "mean_to": 0.52, "psi": psi, "status": status, "computed_at": at}


def test_report_shows_the_newest_drift_flagged_first(engine: Engine) -> None:
    assert "No drift computed" in render_report(engine)
    old = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)
    new = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    with transaction(engine) as session:
        session.execute(insert(WaveDrift), [
            _row("2026Q1", "2026Q2", "all", "site_score", 0.9, "major", old),
            _row("2026Q3", "2026Q4", "all", "page_score", 0.02, "stable", new),
            _row("2026Q3", "2026Q4", "Shopify", "site_score", 0.17, "moderate", new),
            _row("2026Q3", "2026Q4", "all", "site_score", 0.41, "major", new),
            _row("2026Q3", "2026Q4", "Wix", "cart", 1.3, "too-small", new)])
    html = render_report(engine)
    section = html[html.index('<h2 id="drift">'):html.index('<h2 id="crawls">')]
    assert "Drift between waves" in section and "2026Q4" in section
    assert "2026Q2" not in section  # the newest comparison only
    flagged = section[section.index('id="drift-flagged"'):section.index('id="drift-all"')]
    assert flagged.index("0.410") < flagged.index("0.170")  # major before moderate
    assert "retrain" in flagged and "audit" in flagged
    assert "1.300" not in flagged and "1.300" in section  # too small: listed, not flagged
    assert "1 major, 1 moderate, 1 stable" in " ".join(section.split())
