"""What the economists' pages read (issue 18 item 3): indicator values by period, method and
breakdown (cross-tabulations included), changes between waves, SDG 9.c.1 and 17.8.1 values,
model cards and the documented views.

Every page's table is a `Table` (columns + rows, plain values), so the page, its chart and its
CSV/XLSX/Parquet downloads show the same numbers. Reads go through the library where it has the
read (`indicators.results.read_values`, `classifiers.catalog`); the few reads the library does
not have yet (distinct filter values, the stored wave comparisons) are small selects here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, select

from ecomstat.errors import BadInput
from ecomstat.indicators.results import IndicatorRecord, read_values
from ecomstat.store.engine import transaction
from ecomstat.store.models import IndicatorChange, IndicatorValue, WaveChange

COVERAGE = "SDG_9_c_1"  # indicators/coverage.py INDICATOR
INTERNET_USE = "SDG_17_8_1"  # indicators/internet_use.py INDICATOR
MOBILE = (COVERAGE, INTERNET_USE)
LEVELS = ("2G", "3G", "4G", "5G")
TOTAL = "total"
INDICATOR_COLUMNS = ["estimate", "ci_low", "ci_high", "se", "cv", "n", "flags"]


@dataclass
class Table:
    """One table a page shows and offers for download."""

    name: str  # file name stem of the downloads
    columns: list[str]
    rows: list[list[Any]]
    # for charts: the category columns (1 or 2) and the value columns
    categories: list[str] = field(default_factory=list)
    unit: str = "%"


def split_key(key: str) -> dict[str, str]:
    """`nace_section=C;size_class=10-49` -> {"nace_section": "C", "size_class": "10-49"};
    `total` -> {} (indicators.results.breakdown_key, read back)."""
    if not key or key == TOTAL:
        return {}
    return dict(part.split("=", 1) for part in key.split(";") if "=" in part)


def dims_of(key: str) -> tuple[str, ...]:
    return tuple(sorted(split_key(key)))


def natural(value: Any) -> tuple[Any, ...]:
    """Sort key putting `10-49` before `50-249` before `250+` (and total first)."""
    text = str(value).rsplit("=", 1)[-1]  # `size_class=10-49` sorts by `10-49`
    if text == TOTAL:
        return (0, 0.0, "")
    match = re.match(r"(\d+(?:\.\d+)?)", text)
    return (1, float(match.group(1)), text) if match else (2, 0.0, text)


def dims_label(dims: Sequence[str]) -> str:
    return " × ".join(dims) if dims else TOTAL


def parse_dims(text: str | None) -> tuple[str, ...]:
    """The breakdown a page asks for: `total`, `size_class` or `nace_section,size_class`."""
    if not text or text.strip() == TOTAL:
        return ()
    names = tuple(sorted(part.strip() for part in text.split(",") if part.strip()))
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9_]{1,40}", name):
            raise BadInput(f"unknown breakdown {text!r}")
    return names


@dataclass
class Choices:
    """The filter values a page offers, from what is stored."""

    indicators: list[str]
    periods: list[str]
    methods: list[str]
    breakdowns: list[tuple[str, ...]]


def indicator_choices(engine: Engine, indicator: str | None = None, period: str | None = None,
                      method: str | None = None, *, mobile: bool = False) -> Choices:
    """Distinct indicators, periods, methods and breakdowns in `indicator_value` (periods,
    methods and breakdowns of the chosen indicator/period/method only)."""
    table = IndicatorValue
    with transaction(engine) as session:
        indicators = sorted(session.scalars(select(table.indicator).distinct()))
        if not mobile:
            indicators = [code for code in indicators if code not in MOBILE]
        query = select(table.period, table.method, table.breakdown_key).distinct()
        if indicator:
            query = query.where(table.indicator == indicator)
        rows = session.execute(query).all()
    periods = sorted({r.period for r in rows}, reverse=True)
    in_period = [r for r in rows if not period or r.period == period]
    methods = sorted({r.method for r in in_period})
    chosen = [r for r in in_period if not method or r.method == method]
    breakdowns = sorted({dims_of(r.breakdown_key) for r in chosen}, key=lambda d: (len(d), d))
    return Choices(indicators, periods, methods, breakdowns)


def _pick(value: str | None, options: Sequence[str], preferred: Sequence[str] = ()) -> str | None:
    if value and value in options:
        return value
    for wanted in preferred:
        if wanted in options:
            return wanted
    return options[0] if options else None


@dataclass
class Selection:
    indicator: str | None
    period: str | None
    method: str | None
    dims: tuple[str, ...]


def select_indicator(engine: Engine, indicator: str | None, period: str | None,
                     method: str | None, breakdown: str | None) -> tuple[Selection, Choices]:
    """What the indicators page shows: the asked values where stored, else the first stored
    (ECOM_WEB_SALES, the newest period, the corrected method when there is one)."""
    dims = parse_dims(breakdown)
    choices = indicator_choices(engine)
    code = _pick(indicator, choices.indicators, ("ECOM_WEB_SALES",))
    choices = indicator_choices(engine, code)
    chosen_period = _pick(period, choices.periods)
    choices = indicator_choices(engine, code, chosen_period)
    chosen_method = _pick(method, choices.methods, ("corrected", "calibrated", "naive"))
    choices = indicator_choices(engine, code, chosen_period, chosen_method)
    if breakdown is None and choices.breakdowns:
        # first view: by size class when stored (a chart of one bar says little), else total
        dims = ("size_class",) if ("size_class",) in choices.breakdowns else choices.breakdowns[0]
    return Selection(code, chosen_period, chosen_method, dims), choices


def _records(engine: Engine, selection: Selection) -> list[IndicatorRecord]:
    if selection.indicator is None:
        return []
    records = read_values(engine, indicator=selection.indicator, period=selection.period,
                          method=selection.method)
    return [r for r in records if dims_of(r.breakdown_key) == selection.dims]


def _value_cells(record: IndicatorRecord) -> list[Any]:
    return [record.estimate, record.ci_low, record.ci_high, record.se, record.cv, record.n,
            ",".join(str(flag) for flag in record.flags)]


def indicator_table(engine: Engine, selection: Selection) -> Table:
    """One row per cell of the chosen breakdown: its categories, then estimate, interval, SE,
    CV, n and flags (the same numbers as `ecomstat indicators show`)."""
    dims = list(selection.dims)
    rows = []
    for record in _records(engine, selection):
        parts = split_key(record.breakdown_key)
        rows.append([record.indicator, record.period, record.method,
                     *[parts.get(d) for d in dims], *_value_cells(record)])
    rows.sort(key=lambda row: [natural(v) for v in row[3:3 + len(dims)]])
    name = "-".join(filter(None, (selection.indicator, selection.period, selection.method,
                                  "x".join(dims) or TOTAL)))
    return Table(name=name, columns=["indicator", "period", "method", *dims, *INDICATOR_COLUMNS],
                 rows=rows, categories=dims or ["indicator"])


@dataclass
class CrossTab:
    """A two-way table: rows by the first dimension, columns by the second."""

    row_dim: str
    col_dim: str
    row_values: list[str]
    col_values: list[str]
    cells: dict[tuple[str, str], dict[str, Any]]


def cross_tab(table: Table) -> CrossTab | None:
    """The matrix view of a two-dimension breakdown (None for other breakdowns)."""
    if len(table.categories) != 2:
        return None
    first, second = table.categories
    i, j = table.columns.index(first), table.columns.index(second)
    cells = {(str(r[i]), str(r[j])): dict(zip(table.columns, r)) for r in table.rows}
    return CrossTab(first, second, sorted({k[0] for k in cells}, key=natural),
                    sorted({k[1] for k in cells}, key=natural), cells)


def chart_data(table: Table, value: str = "estimate") -> dict[str, Any]:
    """The JSON the page's chart reads (economist.js): labels, one series per value of the
    second dimension (a cross-tabulation) or one series, each point with its interval."""
    columns = table.columns
    at = {name: columns.index(name) for name in columns}
    first = table.categories[0] if table.categories else None
    second = table.categories[1] if len(table.categories) > 1 else None
    labels: list[str] = []
    series: dict[str, dict[str, dict[str, Any]]] = {}
    for row in table.rows:
        label = str(row[at[first]]) if first in at else TOTAL
        if label not in labels:
            labels.append(label)
        name = str(row[at[second]]) if second else value
        point = {"y": row[at[value]], "low": row[at["ci_low"]] if "ci_low" in at else None,
                 "high": row[at["ci_high"]] if "ci_high" in at else None,
                 "cv": row[at["cv"]] if "cv" in at else None,
                 "n": row[at["n"]] if "n" in at else None,
                 "flags": row[at["flags"]] if "flags" in at else ""}
        series.setdefault(name, {})[label] = point
    labels.sort(key=natural)
    return {"labels": labels, "unit": table.unit, "value": value,
            "series": [{"name": name, "points": [series[name].get(label) for label in labels]}
                       for name in sorted(series, key=natural)]}


# --- changes between waves (stored by `ecomstat changes`, indicators.changes) ---

CHANGE_COLUMNS = ["enterprise_id", "task", "change", "before", "after", "before_url", "after_url",
                  "before_probability", "after_probability", "before_evidence", "after_evidence"]
INDICATOR_CHANGE_COLUMNS = ["indicator", "breakdown_key", "estimate_from", "estimate_to",
                            "difference", "se", "ci_low", "ci_high", "n", "gained", "lost",
                            "method"]


def wave_pairs(engine: Engine) -> list[tuple[str, str]]:
    """The (from, to) wave pairs `ecomstat changes` stored, newest first."""
    with transaction(engine) as session:
        pairs = set(session.execute(
            select(IndicatorChange.from_wave, IndicatorChange.to_wave).distinct()).tuples())
        pairs |= set(session.execute(
            select(WaveChange.from_wave, WaveChange.to_wave).distinct()).tuples())
    return sorted(pairs, key=lambda p: (p[1], p[0]), reverse=True)


def indicator_change_table(engine: Engine, from_wave: str, to_wave: str) -> Table:
    with transaction(engine) as session:
        rows = session.scalars(select(IndicatorChange).where(
            IndicatorChange.from_wave == from_wave, IndicatorChange.to_wave == to_wave)
            .order_by(IndicatorChange.indicator, IndicatorChange.breakdown_key)).all()
        data = [[getattr(r, c) for c in INDICATOR_CHANGE_COLUMNS] for r in rows]
    return Table(name=f"indicator-changes-{from_wave}-{to_wave}",
                 columns=INDICATOR_CHANGE_COLUMNS, rows=data, categories=["breakdown_key"],
                 unit="pp")


def enterprise_change_table(engine: Engine, from_wave: str, to_wave: str,
                            task: str | None = None) -> Table:
    query = select(WaveChange).where(WaveChange.from_wave == from_wave,
                                     WaveChange.to_wave == to_wave)
    if task:
        query = query.where(WaveChange.task == task)
    with transaction(engine) as session:
        rows = session.scalars(query.order_by(WaveChange.enterprise_id, WaveChange.task,
                                              WaveChange.change)).all()
        data = [[getattr(r, c) for c in CHANGE_COLUMNS] for r in rows]
    return Table(name=f"enterprise-changes-{from_wave}-{to_wave}", columns=CHANGE_COLUMNS,
                 rows=data)


def change_chart(table: Table, indicator: str) -> dict[str, Any]:
    """The differences of one indicator by breakdown with their intervals, in pp."""
    at = {c: i for i, c in enumerate(table.columns)}
    points = sorted((r for r in table.rows if r[at["indicator"]] == indicator),
                    key=lambda r: natural(r[at["breakdown_key"]]))
    return {"labels": [r[at["breakdown_key"]] for r in points], "unit": "pp",
            "value": "difference",
            "series": [{"name": f"{indicator} change", "points": [
                {"y": r[at["difference"]], "low": r[at["ci_low"]], "high": r[at["ci_high"]],
                 "cv": None, "n": r[at["n"]], "flags": ""} for r in points]}]}


# --- SDG 9.c.1 and 17.8.1 ---

def mobile_periods(engine: Engine, indicator: str) -> list[tuple[str, str]]:
    """(period, method) pairs stored for a mobile indicator, newest period first."""
    with transaction(engine) as session:
        pairs = session.execute(select(IndicatorValue.period, IndicatorValue.method).distinct()
                                .where(IndicatorValue.indicator == indicator)).tuples().all()
    return sorted(set(pairs), key=lambda p: p, reverse=True)


def coverage_table(engine: Engine, period: str, method: str) -> Table:
    """9.c.1 by area (and urban/rural class) and technology: covered share of the population
    at least at that level."""
    rows = []
    for record in read_values(engine, indicator=COVERAGE, period=period, method=method):
        parts = record.breakdown
        area = parts.get("area") or f"{TOTAL} ({parts.get('degurba')})"
        provenance = record.provenance or {}
        rows.append([area, parts.get("level"), record.estimate,
                     provenance.get("covered_population"), provenance.get("population"),
                     record.n, ",".join(map(str, record.flags))])
    rows.sort(key=lambda r: (r[0] != TOTAL, str(r[0]), str(r[1])))
    return Table(name=f"coverage-{period}-{method}",
                 columns=["area", "level", "covered_pct", "covered_population", "population",
                          "grid_cells", "flags"], rows=rows, categories=["area", "level"])


def coverage_matrix(table: Table) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Areas (total first) and, per area, the covered % per level."""
    areas: list[str] = []
    matrix: dict[str, dict[str, Any]] = {}
    for area, level, pct, *_ in table.rows:
        if area not in matrix:
            areas.append(area)
            matrix[area] = {}
        matrix[area][level] = pct
    return areas, matrix


def internet_use_table(engine: Engine, period: str, method: str) -> Table:
    """17.8.1 by area: share of individuals using the Internet with its interval."""
    rows = []
    for record in read_values(engine, indicator=INTERNET_USE, period=period, method=method):
        provenance = record.provenance or {}
        rows.append([record.breakdown.get("area"), record.breakdown.get("age"), record.estimate,
                     record.ci_low, record.ci_high, record.se, record.cv,
                     provenance.get("users"), provenance.get("population"), record.n,
                     ",".join(map(str, record.flags))])
    rows.sort(key=lambda r: (r[0] != TOTAL, str(r[0])))
    return Table(name=f"internet-use-{period}-{method}",
                 columns=["area", "age", "estimate", "ci_low", "ci_high", "se", "cv", "users",
                          "population", "n", "flags"], rows=rows, categories=["area"])


# --- model cards ---

def model_list(data_dir: Path | None, engine: Engine | None) -> Table:
    """The models `ecomstat model list` lists."""
    from ecomstat.classifiers.catalog import list_models

    columns = ["kind", "name", "version", "source", "metrics"]
    rows = [[m[c] for c in columns] for m in list_models(data_dir, engine)]
    return Table(name="models", columns=columns, rows=rows)


@functools.lru_cache(maxsize=16)
def _card(name: str, kind: str, data_dir: str | None, stamp: float) -> dict[str, Any]:
    from ecomstat.classifiers.catalog import show_model

    return show_model(name, Path(data_dir) if data_dir else None, kind)


def model_card(name: str, kind: str, data_dir: Path | None) -> dict[str, Any]:
    """The card `ecomstat model show NAME --kind KIND` prints (cached per file change: the
    product model's file is large)."""
    folder = Path(data_dir) / "models" if data_dir else None
    stamp = folder.stat().st_mtime if folder is not None and folder.is_dir() else 0.0
    return _card(name, kind, str(data_dir) if data_dir else None, stamp)


def card_sections(card: dict[str, Any]) -> dict[str, Any]:
    """The parts a card page shows: metrics flattened to (group, name, value) rows, the
    training data with its hash, the parameters."""
    metrics: list[tuple[str, str, Any]] = []
    for key, value in (card.get("metrics") or {}).items():
        if isinstance(value, dict):
            metrics += [(key, k, v) for k, v in value.items() if not isinstance(v, (dict, list))]
        elif not isinstance(value, list):
            metrics.append(("", key, value))
    training = dict(card.get("training_data") or {})
    sha = card.get("training_data_sha256") or training.get("sha256")
    return {"metrics": metrics, "training": training, "sha256": sha,
            "params": card.get("params") or {}, "sources": card.get("sources") or {}}


# --- views for the SQL console ---

@dataclass
class ViewInfo:
    name: str
    description: str
    columns: list[str]


def _view_descriptions() -> dict[str, str]:
    """The bullet list of `ecomstat.store.views`' docstring: the views' documentation that
    ships with the package (docs/database.md says the same)."""
    from ecomstat.store import views

    found: dict[str, str] = {}
    current: str | None = None
    for line in (views.__doc__ or "").splitlines():
        match = re.match(r"- `(v_\w+)`: (.*)", line.strip())
        if match:
            current = match.group(1)
            found[current] = match.group(2)
        elif current and line.startswith("  ") and line.strip():
            found[current] += " " + line.strip()
        else:
            current = None
    return found


def documented_views(engine: Engine) -> list[ViewInfo]:
    from ecomstat.store.views import CURRENT_VIEWS

    inspector = inspect(engine)
    present = set(inspector.get_view_names())
    descriptions = _view_descriptions()
    return [ViewInfo(name, descriptions.get(name, ""),
                     [c["name"] for c in inspector.get_columns(name)])
            for name in sorted(CURRENT_VIEWS) if name in present]
