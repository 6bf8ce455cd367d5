"""The economist area of the web application (issue 18 item 3): indicators by period, method and
breakdown (tables with intervals, CV and flags, and charts with intervals), changes between
waves, SDG 9.c.1 with its grid map, SDG 17.8.1 by area, model cards, downloads of every table
(CSV, XLSX, Parquet) and the SQL console.

Every page reads; nothing here writes to the store. The SQL console goes through the same door
as `ecomstat query` (`ecomstat.store.query.readonly_rows`: parser check, read-only transaction,
ECOMSTAT_QUERY_TIMEOUT). Each table's download rebuilds the table with the same function the
page used, from the same query parameters.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.background import BackgroundTask

from ecomstat.errors import BadInput, EcomstatError
from ecomstat.settings import Settings
from ecomstat.web import economist_data as data
from ecomstat.web.deps import Role, User, get_engine, get_settings, require_role
from ecomstat.web.downloads import MEDIA_TYPES, DownloadFormat, parse_format, write_table
from ecomstat.web.render import render

router = APIRouter(prefix="/economist")

Economist = Annotated[User, Depends(require_role(Role.economist))]
Store = Annotated[Engine, Depends(get_engine)]
Config = Annotated[Settings, Depends(get_settings)]
FORMATS = [f.value for f in DownloadFormat]


def _query(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value.strip() if value and value.strip() else None


def _query_pair(request: Request, combined: str, first: str, second: str
                ) -> tuple[str | None, str | None]:
    """Two values a page's select sends as one (`A|B`), or as two parameters (links)."""
    both = _query(request, combined)
    if both and "|" in both:
        a, b = both.split("|", 1)
        return a.strip() or None, b.strip() or None
    return _query(request, first), _query(request, second)


def _data_dir(settings: Settings) -> Path:
    return settings.getpath("ECOMSTAT_DATA_DIR")


@router.get("")
@router.get("/")
def home(user: Economist) -> RedirectResponse:
    return RedirectResponse("/economist/indicators", status_code=303)


# --- indicators ---

def _indicators(request: Request, engine: Engine) -> tuple[data.Selection, data.Choices, data.Table]:
    selection, choices = data.select_indicator(
        engine, _query(request, "indicator"), _query(request, "period"),
        _query(request, "method"), _query(request, "breakdown"))
    return selection, choices, data.indicator_table(engine, selection)


@router.get("/indicators")
def indicators(request: Request, user: Economist, engine: Store) -> Response:
    selection, choices, table = _indicators(request, engine)
    return render(request, "economist/indicators.html", {
        "selection": selection, "choices": choices, "table": table,
        "crosstab": data.cross_tab(table), "chart": data.chart_data(table),
        "dims_label": data.dims_label, "query": request.url.query,
        "download": "indicators"})


# --- changes between waves ---

def _wave_pair(request: Request, engine: Engine) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    pairs = data.wave_pairs(engine)
    asked = _query_pair(request, "pair", "from", "to")
    if asked in pairs:
        return pairs, asked  # type: ignore[return-value]
    if asked != (None, None):
        raise BadInput(f"no stored comparison of {asked[0]} with {asked[1]}; "
                       "compare them with `ecomstat changes --from W1 --to W2`")
    return pairs, pairs[0] if pairs else None


@router.get("/changes")
def changes(request: Request, user: Economist, engine: Store) -> Response:
    pairs, pair = _wave_pair(request, engine)
    context: dict[str, Any] = {"pairs": pairs, "pair": pair, "query": request.url.query}
    if pair is not None:
        moved = data.indicator_change_table(engine, *pair)
        codes = sorted({row[0] for row in moved.rows})
        code = _query(request, "indicator")
        code = code if code in codes else ("ECOM_WEB_SALES" if "ECOM_WEB_SALES" in codes
                                           else (codes[0] if codes else None))
        context.update(
            indicators=moved, codes=codes, code=code,
            chart=data.change_chart(moved, code) if code else None,
            enterprises=data.enterprise_change_table(engine, *pair, task=_query(request, "task")),
            task=_query(request, "task"))
    return render(request, "economist/changes.html", context)


# --- SDG 9.c.1 and 17.8.1 ---

def _mobile_choice(request: Request, engine: Engine, indicator: str) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    stored = data.mobile_periods(engine, indicator)
    asked = _query_pair(request, "choice", "period", "method")
    if asked in stored:
        return stored, asked  # type: ignore[return-value]
    return stored, stored[0] if stored else None


def _coverage_map(settings: Settings, engine: Engine, period: str, method: str,
                  level: str) -> Any:
    from ecomstat.indicators.results import read_values
    from ecomstat.web.economist_map import coverage_map

    total = [r for r in read_values(engine, indicator=data.COVERAGE, period=period, method=method)
             if r.breakdown.get("area") == data.TOTAL and r.breakdown.get("level") == level]
    provenance = dict(total[0].provenance) if total else {}
    folder_text = str(settings["ECOMSTAT_MOBILE_DATA_DIR"] or "").strip()
    folder = Path(folder_text).expanduser() if folder_text else None
    return coverage_map(folder, provenance, method, level,
                        settings.getint("ECOMSTAT_WEB_MAP_MAX_CELLS"),
                        operator=provenance.get("operator"))


@router.get("/coverage")
def coverage(request: Request, user: Economist, engine: Store, settings: Config) -> Response:
    from ecomstat.web.economist_map import BINS, LEVELS

    stored, choice = _mobile_choice(request, engine, data.COVERAGE)
    level = _query(request, "level") or "4G"
    if level not in LEVELS:
        raise BadInput(f"unknown technology {level!r}: choose one of {', '.join(LEVELS)}")
    context: dict[str, Any] = {"stored": stored, "choice": choice, "level": level,
                               "levels": LEVELS, "bins": BINS, "query": request.url.query}
    if choice is not None:
        table = data.coverage_table(engine, *choice)
        areas, matrix = data.coverage_matrix(table)
        context.update(table=table, areas=areas, matrix=matrix,
                       map=_coverage_map(settings, engine, *choice, level))
    return render(request, "economist/coverage.html", context)


@router.get("/internet-use")
def internet_use(request: Request, user: Economist, engine: Store) -> Response:
    stored, choice = _mobile_choice(request, engine, data.INTERNET_USE)
    context: dict[str, Any] = {"stored": stored, "choice": choice, "query": request.url.query}
    if choice is not None:
        table = data.internet_use_table(engine, *choice)
        context.update(table=table, chart=data.chart_data(table))
    return render(request, "economist/internet_use.html", context)


# --- model cards ---

@router.get("/models")
def models(request: Request, user: Economist, engine: Store, settings: Config) -> Response:
    table = data.model_list(_data_dir(settings), engine)
    return render(request, "economist/models.html", {"table": table, "query": ""})


@router.get("/models/{kind}/{name}")
def model_card(request: Request, kind: str, name: str, user: Economist,
               settings: Config) -> Response:
    if kind not in ("ecommerce", "products"):
        raise BadInput(f"unknown model kind {kind!r}: ecommerce or products")
    card = data.model_card(name, kind, _data_dir(settings))
    return render(request, "economist/model_card.html", {
        "card": card, "sections": data.card_sections(card), "kind": kind, "name": name})


# --- downloads of the tables above ---

def _table_for(name: str, request: Request, engine: Engine, settings: Settings) -> data.Table:
    builders: dict[str, Callable[[], data.Table]] = {
        "indicators": lambda: _indicators(request, engine)[2],
        "indicator-changes": lambda: data.indicator_change_table(engine, *_pair_or_fail(request, engine)),
        "enterprise-changes": lambda: data.enterprise_change_table(
            engine, *_pair_or_fail(request, engine), task=_query(request, "task")),
        "coverage": lambda: data.coverage_table(engine, *_mobile_or_fail(request, engine, data.COVERAGE)),
        "internet-use": lambda: data.internet_use_table(
            engine, *_mobile_or_fail(request, engine, data.INTERNET_USE)),
        "models": lambda: data.model_list(_data_dir(settings), engine),
    }
    if name not in builders:
        raise BadInput(f"no table named {name!r} to download")
    return builders[name]()


def _pair_or_fail(request: Request, engine: Engine) -> tuple[str, str]:
    _, pair = _wave_pair(request, engine)
    if pair is None:
        raise BadInput("no comparison of waves is stored yet (`ecomstat changes`)")
    return pair


def _mobile_or_fail(request: Request, engine: Engine, indicator: str) -> tuple[str, str]:
    _, choice = _mobile_choice(request, engine, indicator)
    if choice is None:
        raise BadInput(f"no {indicator} values are stored yet")
    return choice


def _file_response(stem: str, fmt: DownloadFormat, write: Callable[[Path], int]) -> FileResponse:
    handle, name = tempfile.mkstemp(prefix="ecomstat-download-", suffix=f".{fmt.value}")
    os.close(handle)
    path = Path(name)
    try:
        write(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    safe_stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem) or "table"
    return FileResponse(path, media_type=MEDIA_TYPES[fmt], filename=f"{safe_stem}.{fmt.value}",
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/download/{table}.{fmt}")
def download(request: Request, table: str, fmt: str, user: Economist, engine: Store,
             settings: Config) -> FileResponse:
    chosen = parse_format(fmt)
    built = _table_for(table, request, engine, settings)
    return _file_response(built.name, chosen,
                          lambda path: write_table(path, chosen, built.columns, built.rows))


# --- the SQL console ---

def _database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _console(request: Request, engine: Engine, **context: Any) -> dict[str, Any]:
    return {"views": data.documented_views(engine), "sql": "", "columns": None, "rows": [],
            "error": None, "more": False, "formats": FORMATS, **context}


@router.get("/sql")
def sql_console(request: Request, user: Economist, engine: Store) -> Response:
    example = "SELECT indicator, period, breakdown_key, method, estimate, ci_low, ci_high\n" \
              "FROM v_indicator\nWHERE indicator = 'ECOM_WEB_SALES'\nORDER BY period, breakdown_key"
    return render(request, "economist/sql.html", _console(request, engine, sql=example))


@router.post("/sql")
def sql_run(request: Request, user: Economist, engine: Store, settings: Config,
            sql: Annotated[str, Form()] = "") -> Response:
    """Show the first ECOMSTAT_WEB_SQL_ROWS rows; the whole result is a download."""
    from ecomstat.store.query import query_timeout, readonly_rows

    limit = max(1, settings.getint("ECOMSTAT_WEB_SQL_ROWS"))
    try:
        with readonly_rows(_database_url(engine), sql, timeout=query_timeout(settings)) as (
                columns, rows):
            shown = []
            more = False
            for row in rows:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(list(row))
    except EcomstatError as exc:
        return render(request, "economist/sql.html",
                      _console(request, engine, sql=sql, error=str(exc)), status_code=400)
    return render(request, "economist/sql.html", _console(
        request, engine, sql=sql, columns=columns, rows=shown, more=more, limit=limit))


@router.get("/sql/download.{fmt}")
def sql_download(request: Request, fmt: str, user: Economist, engine: Store,
                 settings: Config) -> Response:
    """The whole result of the query, streamed into the file under the same time limit. A GET
    (reading is safe; the statement is in the link), so the file is one click from the result."""
    from ecomstat.store.query import query_timeout, readonly_rows

    chosen = parse_format(fmt)
    sql = request.query_params.get("sql", "")

    def write(path: Path) -> int:
        with readonly_rows(_database_url(engine), sql, timeout=query_timeout(settings)) as (
                columns, rows):
            return write_table(path, chosen, columns, rows)

    try:
        return _file_response("query", chosen, write)
    except EcomstatError as exc:
        return render(request, "economist/sql.html",
                      _console(request, engine, sql=sql, error=str(exc)), status_code=400)
