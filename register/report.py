"""The register-staff worklist: validation findings as CSV or HTML, most certain first.

Actionable verdicts (contradicted, missing, dead, parked, candidate, none-found) come before
confirmations; within a verdict, the most certain link first (the match probability the
finding rests on).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from jinja2 import Environment
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ecomstat.errors import BadInput
from ecomstat.store.formats import spreadsheet_safe  # the one CSV guard (web values are hostile text)
from ecomstat.store.models import Enterprise, ValidationFinding

COLUMNS = ("enterprise_id", "name", "field", "verdict", "register_value", "web_value",
           "confidence", "evidence_url")
VERDICT_ORDER = {"contradicted": 0, "missing": 1, "dead": 2, "parked": 3, "candidate": 4,
                 "none-found": 5, "confirmed": 6}

_HTML = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register validation worklist</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;font-size:90%;vertical-align:top}
.contradicted{background:#fde2e1}.missing{background:#fff4d6}.dead,.parked{background:#eee}
.confirmed{color:#256029}</style></head><body>
<h1>Register validation worklist</h1>
<p>{{ rows|length }} findings for {{ enterprises }} enterprises, most certain first.
{% for verdict, n in counts %}{{ verdict }}: {{ n }}{% if not loop.last %} · {% endif %}{% endfor %}</p>
<table><thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr class="{{ r.verdict }}">{% for c in columns %}<td>
{%- if c == 'evidence_url' and r[c] %}<a href="{{ r[c] }}">{{ r[c] }}</a>
{%- elif c == 'confidence' and r[c] is not none %}{{ '%.3f'|format(r[c]) }}
{%- else %}{{ r[c] if r[c] is not none else '' }}{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></body></html>
""")


def worklist(engine: Engine, verdicts: list[str] | None = None) -> list[dict[str, Any]]:
    with Session(engine) as session:
        query = select(ValidationFinding, Enterprise.name).join(
            Enterprise, Enterprise.id == ValidationFinding.enterprise_id)
        if verdicts:
            query = query.where(ValidationFinding.verdict.in_(verdicts))
        rows = [
            {"enterprise_id": f.enterprise_id, "name": name, "field": f.field, "verdict": f.verdict,
             "register_value": f.register_value, "web_value": f.web_value,
             "confidence": f.confidence, "evidence_url": f.evidence_url}
            for f, name in session.execute(query)
        ]
    rows.sort(key=lambda r: (VERDICT_ORDER.get(r["verdict"], 9), -(r["confidence"] or 0.0),
                             r["enterprise_id"], r["field"]))
    return rows


def write_report(engine: Engine, out: Path, verdicts: list[str] | None = None) -> int:
    """Write the worklist to `out` (.csv or .html); returns the number of rows."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".html", ".htm"):
        raise BadInput(f"--out must end in .csv or .html, got {out.name!r}")
    unknown = sorted(set(verdicts or []) - set(VERDICT_ORDER))
    if unknown:
        raise BadInput(f"unknown verdict(s) {', '.join(unknown)}; use {', '.join(VERDICT_ORDER)}")
    rows = worklist(engine, verdicts)
    if not out.parent.exists():
        raise BadInput(f"directory {out.parent} does not exist")
    tmp = out.with_name(out.name + ".tmp")
    if suffix == ".csv":
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    else:
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
        tmp.write_text(_HTML.render(rows=rows, columns=COLUMNS, counts=sorted(counts.items()),
                                    enterprises=len({r["enterprise_id"] for r in rows})), "utf-8")
    tmp.replace(out)  # never a half-written worklist
    return len(rows)
