"""The worklist as one HTML page: a block per enterprise, register and web values side by side.

Rendered as a stream (jinja's `generate`) over the rows the database returns in order, so a
large worklist never sits in memory as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Any

from jinja2 import Environment

_HTML = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register validation worklist</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:4px 8px;font-size:90%;vertical-align:top;text-align:left}
tr.enterprise th{background:#f0f4f8;font-size:100%}.contradicted td.verdict{background:#fde2e1}
.missing td.verdict{background:#fff4d6}.dead td.verdict,.parked td.verdict{background:#eee}
.confirmed td.verdict{color:#256029}.decided{opacity:.6}.reopened td.status{color:#b00020}
code{font-size:85%}</style></head><body>
<h1>Register validation worklist</h1>
<p>{% if summary.wave %}Wave {{ summary.wave }}: {% endif %}{{ summary.rows }} findings for {{ summary.enterprises }} enterprises
({{ 'all findings' if flt.include_all else 'open findings, confirmations hidden' }};
sorted by {{ flt.sort }}).
{% for verdict, n in summary.verdicts %}{{ verdict }}: {{ n }}{% if not loop.last %} · {% endif %}{% endfor %}
{% if summary.hidden_decided %}<br>{{ summary.hidden_decided }} decided findings hidden (<code>--all</code> shows them).{% endif %}</p>
<p>Confidence: how sure the finding is (the link, the sources on the site that agree, exact or
fuzzy mismatch), not the link probability alone. Decide with
<code>ecomstat register decide FINDING_ID --accept|--reject|--done [--note TEXT]</code>.</p>
<table><thead><tr><th>finding</th><th>field</th><th>verdict</th><th>register says</th>
<th>web says</th><th>confidence</th><th>source page</th><th>status</th></tr></thead><tbody>
{% for head, items in groups %}
<tr class="enterprise"><th colspan="8">{{ head.enterprise_id }} · {{ head.name }}
<small>NACE {{ head.nace or '' }} · size {{ head.size_class or '' }}</small></th></tr>
{% for r in items %}<tr class="{{ r.verdict }} {{ r.status }}">
<td>{{ r.finding_id }}</td><td>{{ r.field }}</td><td class="verdict">{{ r.verdict }}</td>
<td>{{ r.register_value or '' }}</td><td>{{ r.web_value or '' }}</td>
<td>{% if r.confidence is not none %}{{ '%.3f'|format(r.confidence) }}{% endif %}
{% if r.basis %}<br><small>{{ r.basis }}</small>{% endif %}</td>
<td>{% if r.evidence_url %}<a href="{{ r.evidence_url }}" rel="noopener noreferrer">{{ r.evidence_url }}</a>{% endif %}</td>
<td class="status">{{ r.status }}{% if r.decision %}: {{ r.decision }} by {{ r.decided_by }} {{ r.decided_at }}
{% if r.note %}<br><small>{{ r.note }}</small>{% endif %}{% endif %}</td></tr>
{% endfor %}{% endfor %}</tbody></table></body></html>
""")


def _groups(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    for _, items in groupby(rows, key=lambda r: r["enterprise_id"]):
        block = list(items)
        yield block[0], block


def render_html(rows: Iterable[dict[str, Any]], summary: Any, flt: Any) -> Iterator[str]:
    """The page in chunks; `rows` come grouped by enterprise (report.rows orders them so)."""
    return _HTML.generate(groups=_groups(rows), summary=summary, flt=flt)
