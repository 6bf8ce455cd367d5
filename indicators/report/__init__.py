"""The HTML report: one self-contained file (charts inlined as base64 PNG) from the store.

Sections: e-commerce adoption by size class and NACE section with CI bars; mobile coverage by
technology (SDG 9.c.1) and internet use (SDG 17.8.1) when the indicator table holds them;
classifier quality from the `model` table; crawl outcomes from `v_crawl_outcome`. Every figure
names the rows it was drawn from (a query on `v_indicator` or the table) and their provenance.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine, select, text

from ecomstat.indicators.adoption import INDICATORS
from ecomstat.indicators.errors import InvalidIndicatorInput
from ecomstat.indicators.methods import PREFERENCE, SURVEY_METHOD
from ecomstat.indicators.report import charts
from ecomstat.indicators.report.drift import drift_section
from ecomstat.indicators.results import IndicatorRecord, read_values
from ecomstat.indicators.survey import compare, definition_notes, read_survey
from ecomstat.indicators.units import SIZE_CLASSES
from ecomstat.store.engine import transaction
from ecomstat.store.models import Model

ADOPTION_CODES = [d.code for d in INDICATORS]
ADOPTION_LABELS = {"ECOM_WEBSITE": "website", "ECOM_WEB_SALES": "web sales",
                   "ECOM_MARKETPLACE": "marketplace sales", "ECOM_SOCIAL_MEDIA": "social media",
                   "ECOM_SITE_UNREACHABLE": "site unreachable"}
COVERAGE_CODE = "SDG_9_c_1"
INTERNET_USE_CODE = "SDG_17_8_1"
LEVELS = ("2G", "3G", "4G", "5G")


def _pick(records: list[IndicatorRecord], period: str | None, method: str | None) -> tuple[list[IndicatorRecord], str | None, str | None]:
    """The values of one period (default: the latest) and one method (default: the best)."""
    if not records:
        return [], period, method
    period = period or max(r.period for r in records)
    in_period = [r for r in records if r.period == period]
    methods = {r.method for r in in_period}
    method = method or next((m for m in PREFERENCE if m in methods), sorted(methods)[0] if methods else None)
    return [r for r in in_period if r.method == method], period, method


def _provenance_summary(records: list[IndicatorRecord]) -> dict[str, Any]:
    keys = ("crawl_runs", "models", "register_snapshots", "audit_set", "scope", "weights",
            "bootstrap", "website_state", "units")
    first = records[0].provenance if records else {}
    summary = {key: first.get(key) for key in keys if key in first}
    # "two_phase" since issue 16; values stored before it carry "rogan_gladen".
    corrections = {r.indicator: next(iter(r.provenance["correction"].values())) for r in records
                   if r.provenance.get("correction") and not r.breakdown}
    if corrections:
        summary["correction"] = corrections
    return summary


def _adoption_section(records: list[IndicatorRecord], period: str | None, method: str | None) -> dict[str, Any]:
    codes = [c for c in ADOPTION_CODES if c != "ECOM_SITE_UNREACHABLE"]
    by = defaultdict(dict)
    for r in records:
        if len(r.breakdown) > 1:  # cross-tabulations (--breakdown a,b) are not charted
            continue
        dimension = next(iter(r.breakdown), "total")
        by[(r.indicator, dimension)][r.breakdown.get(dimension, "total")] = r
    figures = []
    for dimension, title, categories in (
        ("size_class", "by size class (persons employed)", list(SIZE_CLASSES)),
        ("nace_section", "by NACE Rev. 2 section", sorted({k for (c, d), v in by.items() if d == "nace_section" for k in v})),
    ):
        if not any(by.get((c, dimension)) for c in codes):
            continue
        series = {}
        for code in codes:
            cells = by.get((code, dimension), {})
            values = [cells.get(cat) for cat in categories]
            series[ADOPTION_LABELS[code]] = (
                [v.estimate if v else None for v in values],
                [v.ci_low if v else None for v in values],
                [v.ci_high if v else None for v in values],
            )
        figures.append({
            "id": f"adoption-{dimension}",
            "title": f"E-commerce adoption {title}, {period}, method {method}",
            "png": charts.grouped_bars_with_ci(categories, series, title=f"Share of enterprises {title} (95% CI)", ylabel="% of enterprises"),
            "source": (f"SELECT * FROM v_indicator WHERE indicator LIKE 'ECOM_%' AND period = '{period}' "
                       f"AND method = '{method}' AND breakdown_key LIKE '{dimension}=%'"),
        })
    totals = [r for r in records if not r.breakdown]
    totals.sort(key=lambda r: ADOPTION_CODES.index(r.indicator) if r.indicator in ADOPTION_CODES else 99)
    return {"figures": figures, "totals": totals, "labels": ADOPTION_LABELS,
            "provenance": json.dumps(_provenance_summary(records), indent=1, default=str)}


def _coverage_section(records: list[IndicatorRecord]) -> dict[str, Any] | None:
    if not records:
        return None
    period = max(r.period for r in records)
    records = [r for r in records if r.period == period]
    # One method per chart: the default centroid method when stored, else the first there is.
    methods = sorted({r.method for r in records})
    method = "centroid" if "centroid" in methods else methods[0]
    total = {r.breakdown.get("level"): r for r in records
             if r.breakdown.get("area") == "total" and r.method == method}
    levels = [lvl for lvl in LEVELS if lvl in total] or sorted(k for k in total if k)
    figures = []
    if levels:
        figures.append({
            "id": "coverage-technology",
            "title": f"Population covered by at least each technology (SDG 9.c.1), {period}, method {method}",
            "png": charts.bars(levels, [total[lvl].estimate or 0.0 for lvl in levels],
                               title="Population covered, at least (%)", ylabel="% of population", ylim=(0, 100)),
            "source": f"SELECT * FROM v_indicator WHERE indicator = '{COVERAGE_CODE}' AND period = '{period}' AND method = '{method}'",
        })
    rows = sorted(records, key=lambda r: (str(r.breakdown.get("area")), str(r.breakdown.get("level")), r.method))
    prov = json.dumps(records[0].provenance, indent=1, default=str) if records else "{}"
    return {"figures": figures, "rows": rows, "period": period, "provenance": prov}


def _models(engine: Engine) -> dict[str, Any] | None:
    with transaction(engine) as session:
        models = session.scalars(select(Model).order_by(Model.kind, Model.name, Model.id)).all()
    if not models:
        return None
    metric_names = ["precision", "recall", "f1", "accuracy", "roc_auc", "brier"]
    rows = []
    for m in models:
        base = {"name": m.name, "version": m.version, "kind": m.kind,
                "sha": m.training_data_sha256 or "", "created": m.created_at,
                "evaluation": str((m.metrics or {}).get("evaluation", ""))}
        # Metrics are flat ({"f1": ...}) or grouped by variant ({"combined": {"f1": ...},
        # "keyword_rule": {...}}, the model and its baselines): one row per variant.
        for variant, values in _metric_groups(m.metrics or {}, metric_names):
            rows.append({**base, "variant": variant,
                         "metrics": {k: values.get(k) for k in metric_names}})
    scored = [r for r in rows if isinstance(r["metrics"].get("f1"), (int, float))]
    figures = []
    if scored:
        series = {name: ([100 * r["metrics"][name] if isinstance(r["metrics"].get(name), (int, float)) else None for r in scored],
                         [None] * len(scored), [None] * len(scored))
                  for name in ("precision", "recall", "f1")}
        figures.append({
            "id": "classifier-quality",
            "title": "Classifier quality (held-out metrics stored with each model)",
            "png": charts.grouped_bars_with_ci([f"{r['name']}:{r['version']}" + (f"\n{r['variant']}" if r["variant"] else "")
                                                for r in scored], series,
                                               title="Precision, recall, F1 (%)", ylabel="%"),
            "source": "SELECT name, version, kind, metrics, training_data_sha256 FROM model",
        })
    return {"rows": rows, "metric_names": metric_names, "figures": figures}


def _metric_groups(metrics: dict[str, Any], names: list[str]) -> list[tuple[str, dict[str, Any]]]:
    if any(isinstance(metrics.get(k), (int, float)) for k in names):
        return [("", metrics)]
    return [(key, value) for key, value in metrics.items()
            if isinstance(value, dict) and any(isinstance(value.get(k), (int, float)) for k in names)] or [("", {})]


def _crawls(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT run_id, spider, run_status, outcome, pages FROM v_crawl_outcome ORDER BY run_id, outcome"
        )).all()
    if not rows:
        return None
    runs = sorted({r.run_id for r in rows})
    outcomes = sorted({r.outcome for r in rows})
    counts = {(r.run_id, r.outcome): r.pages for r in rows}
    stacks = {o: [counts.get((run, o), 0) for run in runs] for o in outcomes}
    figure = {
        "id": "crawl-outcomes",
        "title": "Pages fetched per crawl run, by outcome",
        "png": charts.stacked_bars([f"run {run}" for run in runs], stacks, title="Pages by outcome", ylabel="pages"),
        "source": "SELECT * FROM v_crawl_outcome",
    }
    return {"rows": rows, "figures": [figure]}


def build_context(engine: Engine, *, period: str | None = None, method: str | None = None,
                  survey: Path | None = None) -> dict[str, Any]:
    adoption_all = [r for r in read_values(engine, indicator=ADOPTION_CODES)
                    if r.method != SURVEY_METHOD]  # stored survey cells are not web values
    adoption, chosen_period, chosen_method = _pick(adoption_all, period, method)
    if (period or method) and adoption_all and not adoption:
        raise InvalidIndicatorInput(f"no adoption values for period {period!r} and method {method!r}")
    comparisons = None
    if survey is not None:  # the adoption values shown above, cell by cell against the survey
        comparisons = compare(adoption, read_survey(survey, chosen_period))
    return {
        "survey": ({"file": Path(survey).name, "rows": comparisons,
                    "notes": definition_notes(c.indicator for c in comparisons or [])}
                   if survey is not None else None),
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "database": engine.url.render_as_string(hide_password=True),
        "period": chosen_period,
        "method": chosen_method,
        "adoption": _adoption_section(adoption, chosen_period, chosen_method) if adoption else None,
        "coverage": _coverage_section(read_values(engine, indicator=COVERAGE_CODE)),
        "internet_use": read_values(engine, indicator=INTERNET_USE_CODE) or None,
        "models": _models(engine),
        "crawls": _crawls(engine),
        "drift": drift_section(engine),  # drift between waves (report/drift.py)
    }


def render_report(engine: Engine, *, period: str | None = None, method: str | None = None,
                  survey: Path | None = None) -> str:
    env = Environment(loader=PackageLoader("ecomstat.indicators.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["num"] = lambda v, d=1: "" if v is None else f"{v:.{d}f}"
    return env.get_template("report.html.j2").render(
        **build_context(engine, period=period, method=method, survey=survey))


def write_report(engine: Engine, out: str | Path, *, period: str | None = None,
                 method: str | None = None, survey: Path | None = None) -> Path:
    """Write `out/index.html` (created if needed); returns its path. Renders before writing, so
    a failure leaves any previous report in place."""
    html = render_report(engine, period=period, method=method, survey=survey)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InvalidIndicatorInput(f"--out {out} exists and is not a directory")
    path = out / "index.html"
    tmp = path.with_suffix(".html.tmp")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # unwritable or missing place: one line, exit 2
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise InvalidIndicatorInput(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    return path
