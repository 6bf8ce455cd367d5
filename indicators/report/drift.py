"""The report's "Drift between waves" section, from the stored comparison (`wave_drift`,
written by `ecomstat waves drift`; docs/waves.md, "Drift"): flagged rows first, each with what
the office should do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from ecomstat.store.models import WaveDrift

STATUS_ORDER = {"major": 0, "moderate": 1, "stable": 2, "too-small": 3}
# What the office does about a flagged row (docs/waves.md, "What to do when drift is flagged")
ACTIONS = {
    "major": ("audit a fresh sample of this group's sites by hand, publish with the "
              "audit-corrected method, and retrain the model with this wave's audited pages "
              "before the next wave"),
    "moderate": ("audit more of this group's sites in this wave (oversample it in the audit "
                 "set) and compare the corrected and naive estimates; retrain if it persists "
                 "into the next wave"),
}


def drift_section(engine: Engine) -> dict[str, Any] | None:
    """The newest compared pair of waves: its rows (flagged first) and counts per status;
    None when no drift was computed."""
    table = WaveDrift.__table__
    with engine.connect() as connection:
        newest = connection.execute(
            select(table.c.from_wave, table.c.to_wave)
            .order_by(table.c.computed_at.desc(), table.c.id.desc()).limit(1)).first()
        if newest is None:
            return None
        rows = [dict(r._mapping) for r in connection.execute(
            select(table).where(table.c.from_wave == newest[0], table.c.to_wave == newest[1]))]
    rows.sort(key=lambda r: (STATUS_ORDER.get(r["status"], 9), -(r["psi"] or 0.0),
                             r["dimension"] != "all", r["dimension"], r["group_value"], r["metric"]))
    for row in rows:
        row["action"] = ACTIONS.get(row["status"], "")
    counts = {status: sum(r["status"] == status for r in rows) for status in STATUS_ORDER}
    return {"from_wave": newest[0], "to_wave": newest[1],
            "flagged": [r for r in rows if r["status"] in ACTIONS],
            "others": [r for r in rows if r["status"] not in ACTIONS], "counts": counts,
            "source": ("SELECT * FROM wave_drift WHERE from_wave = '{0}' AND to_wave = '{1}'"
                       .format(*newest))}
