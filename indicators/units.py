"""The statistical units of the e-commerce indicators, read from the store as column arrays.

One unit per register enterprise in scope, with its domains (size class, NACE section,
region), design weight, website state and the latest site-level labels. The semantics follow
`store/views.py` `v_enterprise_web` (best website: linked first, then highest match score;
latest label = the highest classification id per website and task), made explicit:

- website state ``found``: the best website has status linked/verified/candidate AND at least
  one page fetched with outcome 'ok';
- ``unreachable``: no found website, but a website with status dead/unreachable;
- ``not-crawled``: a linked/verified/candidate website without any fetched page yet;
- ``none``: no website (also parked and rejected domains: they are not the firm's site).
Units that are not ``found`` count as "no" for every website-based indicator; the unreachable
and not-crawled counts are reported apart (provenance and ECOM_SITE_UNREACHABLE).

Scope (Eurostat, "Community survey on ICT usage in enterprises", Statistics Explained glossary,
and the ESMS metadata of `isoc_e`): enterprises with 10 or more persons employed in NACE Rev. 2
sections C to N excluding K — C, D, E, F, G, H, I, J, L, M (divisions 69–74 only: 75,
veterinary activities, is out), N — plus group 95.1 (repair of computers and communication
equipment). The optional financial classes (64.19, 64.92, 65.1, ...) are left out.

Each table is read once, column-wise, on the raw DB-API cursor (one index probe per website for
its pages; labels pivoted to one row per website in SQL); the rest is vectorised numpy.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine

from ecomstat.numbers import EMPLOYEES
from ecomstat.indicators.errors import IndicatorError, InvalidIndicatorInput
from ecomstat.store.waves import check_wave

TASKS = ("web_sales", "marketplace", "social_media")
SIZE_CLASSES = ("10-49", "50-249", "250+")
_SIZE_LOWER_BOUND = {"0-9": 0, "10-49": 10, "50-249": 50, "250+": 250}
EUROSTAT_SECTIONS = frozenset("CDEFGHIJLMN")
EUROSTAT_EXTRA_GROUPS = ("95.1",)  # repair of computers and communication equipment
EUROSTAT_EXCLUDED_DIVISIONS = ("75",)  # veterinary activities (section M is 69-74 only)
FOUND_STATUSES = ("linked", "verified", "candidate")
UNREACHABLE_STATUSES = ("dead", "unreachable")

FETCH_ROWS = 50_000  # rows per fetch: the transfer stays bounded, the columns grow alone
_MODEL_SLOTS = 2**21  # model ids packed below the classification id (see _latest_labels)

STATE_NONE, STATE_FOUND, STATE_UNREACHABLE, STATE_NOT_CRAWLED = 0, 1, 2, 3
STATE_NAMES = {STATE_NONE: "none", STATE_FOUND: "found", STATE_UNREACHABLE: "unreachable",
               STATE_NOT_CRAWLED: "not-crawled"}

# NACE Rev. 2 division (2 digits) -> section letter.
_SECTION_RANGES = [
    ("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43),
    ("G", 45, 47), ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68),
    ("M", 69, 75), ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93),
    ("S", 94, 96), ("T", 97, 98), ("U", 99, 99),
]
_DIVISION_SECTION = {d: s for s, lo, hi in _SECTION_RANGES for d in range(lo, hi + 1)}


def nace_section(nace: str | None, stored_section: str | None = None) -> str | None:
    """Section letter of a NACE Rev. 2 code at any level ('C', '47', '47.9', '4791')."""
    if stored_section:
        return stored_section.strip().upper()
    code = (nace or "").strip().upper()
    if not code:
        return None
    if code[0].isalpha():
        return code[0]
    digits = code.replace(".", "")
    return _DIVISION_SECTION.get(int(digits[:2])) if digits[:2].isdigit() else None


def size_class(employees: int | None, stored: str | None) -> str | None:
    """Size class by persons employed (0-9, 10-49, 50-249, 250+); the number wins if present."""
    if employees is not None:
        return "0-9" if employees < 10 else "10-49" if employees < 50 else "50-249" if employees < 250 else "250+"
    return (stored or "").strip() or None


def in_eurostat_scope(nace: str | None, section: str | None) -> bool:
    """NACE sections C–N excluding K and division 75, plus group 95.1 (the latter two need a
    code at division/group level or finer)."""
    digits = (nace or "").replace(".", "").strip()
    if section in EUROSTAT_SECTIONS:
        return not any(digits.startswith(d) for d in EUROSTAT_EXCLUDED_DIVISIONS)
    return any(digits.startswith(group.replace(".", "")) for group in EUROSTAT_EXTRA_GROUPS)


@dataclass(frozen=True)
class Scope:
    """Which register units the indicators describe. Defaults: the Eurostat ICT-usage scope."""

    min_employees: int = 10
    nace: str = "eurostat"  # eurostat | all

    def __post_init__(self) -> None:
        if self.nace not in {"eurostat", "all"}:
            raise InvalidIndicatorInput(f"unknown NACE scope {self.nace!r} (use eurostat or all)")
        EMPLOYEES.check(self.min_employees, "--min-employees", InvalidIndicatorInput)

    def admits(self, employees: int | None, size: str | None, nace: str | None,
               section: str | None) -> bool:
        if self.min_employees > 0:
            # The head count decides when known; otherwise the size class's lower bound.
            lower = employees if employees is not None else _SIZE_LOWER_BOUND.get(size or "")
            if lower is None or lower < self.min_employees:
                return False
        return self.nace == "all" or in_eurostat_scope(nace, section)

    def as_dict(self) -> dict[str, Any]:
        return {"min_employees": self.min_employees, "nace": self.nace}


@dataclass
class Units:
    """Column arrays, one entry per in-scope enterprise. Domains are integer codes into
    `categories[name]` (codes sort fast; strings are looked up once per cell)."""

    enterprise_id: np.ndarray
    domains: dict[str, np.ndarray]  # size_class | nace_section | region -> codes
    categories: dict[str, list[str]]
    weight: np.ndarray
    state: np.ndarray  # STATE_* codes
    labels: dict[str, np.ndarray]  # task -> 1 (yes) / 0 (no or no label)
    labelled: dict[str, np.ndarray]  # task -> True where a found website has a label
    provenance: dict[str, Any] = field(default_factory=dict)
    index: dict[str, int] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.enterprise_id)

    def values(self, name: str) -> np.ndarray:
        """The domain `name` as labels (object array)."""
        return np.array(self.categories[name], dtype=object)[self.domains[name]]

    @property
    def size_class(self) -> np.ndarray:
        return self.values("size_class")

    @property
    def nace_section(self) -> np.ndarray:
        return self.values("nace_section")

    @property
    def region(self) -> np.ndarray:
        return self.values("region")

    def index_of(self) -> dict[str, int]:
        """enterprise id -> position (built once)."""
        if self.index is None:
            self.index = {eid: i for i, eid in enumerate(self.enterprise_id.tolist())}
        return self.index


def _fetch(engine: Engine, sql: str, shared: tuple[int, ...] = ()) -> list[list[Any]]:
    """All rows of `sql` as columns (one list per column).

    Runs on the raw DB-API cursor: SQLAlchemy's Row objects cost more than the query itself at
    a million rows. `sql` takes no parameters (the few values are validated ints, inlined).
    Rows arrive FETCH_ROWS at a time (a server-side cursor on PostgreSQL, whose client would
    otherwise hold the whole result as well), so only the columns grow with the register. In
    the `shared` columns (few distinct values: a NACE code, a region) equal values become one
    object; the driver makes a new string per row."""
    columns: list[list[Any]] = []
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        named = connection.dialect.name == "postgresql"
        cursor = raw.cursor(name="ecomstat_units") if named else raw.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            seen: dict[int, dict[Any, Any]] = {k: {} for k in shared}
            while rows := cursor.fetchmany(FETCH_ROWS):
                columns = columns or [[] for _ in rows[0]]
                # One C-level pass per column (zip(*rows) would unpack the arguments).
                for k, column in enumerate(columns):
                    values = map(operator.itemgetter(k), rows)
                    column.extend(map(seen[k].setdefault, values, map(operator.itemgetter(k), rows))
                                  if k in seen else values)
        finally:
            cursor.close()
    return columns


def _codes(values: list[Any], missing: str = "unknown") -> tuple[np.ndarray, list[str]]:
    """Integer codes for a categorical column (None and '' share the `missing` label)."""
    label_of = {v: missing if v is None or v == "" else str(v) for v in set(values)}
    categories = sorted(set(label_of.values()))
    code_of = {v: categories.index(label) for v, label in label_of.items()}
    codes = np.fromiter(map(code_of.__getitem__, values), dtype=np.int32, count=len(values))
    return codes, categories


def _enterprise_filter(scope: Scope) -> str:
    """A SQL pre-filter (exact check follows in Python): registers are mostly micro firms, so
    dropping them in the database saves most of the transfer."""
    clauses = []
    if scope.min_employees > 0:
        sizes = [s for s, low in _SIZE_LOWER_BOUND.items() if low >= scope.min_employees]
        clauses.append(
            f"(employees >= {int(scope.min_employees)} OR (employees IS NULL AND size_class IN ("
            + (", ".join(f"'{s}'" for s in sizes) or "NULL") + ")))"
        )
    if scope.nace == "eurostat":
        clauses.append(
            "(nace_section IS NULL OR nace_section IN ("
            + ", ".join(f"'{s}'" for s in sorted(EUROSTAT_SECTIONS)) + ") OR nace LIKE '95%')"
        )
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""


def load_units(engine: Engine, scope: Scope | None = None, wave: str | None = None) -> Units:
    """Read the in-scope enterprises, their website state and latest labels from the store; with
    `wave`, the enterprises recorded for that wave with the state and labels recorded then
    (`enterprise_wave`, the rows of `v_enterprise_wave`: docs/waves.md)."""
    scope = scope or Scope()
    where = _enterprise_filter(scope)
    if wave is not None:
        wave = check_wave(wave)  # letters, digits, -_. only: safe inlined
        where += (" AND " if where else " WHERE ") + (
            f"id IN (SELECT enterprise_id FROM enterprise_wave WHERE wave = '{wave}')")
    columns = _fetch(
        engine,
        "SELECT id, nace, nace_section, size_class, employees, region, weight, snapshot_id "
        "FROM enterprise" + where, shared=(1, 2, 3, 5),
    )
    ids, naces, stored_sections, stored_sizes, employees, regions, weights, snapshots = (
        columns or [[] for _ in range(8)]
    )
    # Scope and domains are decided per distinct (code, stored value) pair, then broadcast.
    section_of = {pair: nace_section(*pair) for pair in set(zip(naces, stored_sections))}
    sections = [section_of[pair] for pair in zip(naces, stored_sections)]
    size_of = {pair: size_class(*pair) for pair in set(zip(employees, stored_sizes))}
    sizes = list(map(size_of.__getitem__, zip(employees, stored_sizes)))
    admitted = {key: scope.admits(e, z, n, sec) for key in set(zip(employees, sizes, naces, sections))
                for e, z, n, sec in [key]}
    keep = np.fromiter((admitted[key] for key in zip(employees, sizes, naces, sections)),
                       dtype=bool, count=len(ids))
    pick = np.flatnonzero(keep).tolist()
    ids = [ids[i] for i in pick]
    domains, categories = {}, {}
    for name, values in (("size_class", sizes), ("nace_section", sections), ("region", regions)):
        domains[name], categories[name] = _codes([values[i] for i in pick])
    weight = np.array([1.0 if weights[i] is None else float(weights[i]) for i in pick], dtype=float)
    # No weight at all: the register is the frame (a census, weight 1). Some units without a
    # weight in a weighted sample: they get 1 but the values are flagged (issue 16 item 6).
    missing = sum(weights[i] is None for i in pick)
    weights_missing = missing if 0 < missing < len(pick) else 0
    n = len(ids)
    index = {eid: i for i, eid in enumerate(ids)}

    if wave is not None:
        state, labels, labelled, models = _recorded(engine, index, n, wave)
        runs = sorted(int(r) for r in (_fetch(engine, "SELECT id FROM crawl_run WHERE wave = "
                                              f"'{wave}'") or [[]])[0])
    else:
        state, best_site = _website_state(engine, index, n)
        labels, labelled, models = _latest_labels(engine, state, best_site, n)
        runs = sorted(int(r) for r in (_fetch(engine, "SELECT DISTINCT run_id FROM page WHERE run_id IS NOT NULL") or [[]])[0])
    counts = {name: int(np.sum(state == code)) for code, name in STATE_NAMES.items()}
    provenance = {
        "scope": scope.as_dict(),
        "units": n,
        "website_state": counts,
        "register_snapshots": sorted(int(v) for v in set(snapshots) if v is not None),
        "crawl_runs": runs,
        **({"wave": wave} if wave is not None else {}),
        "models": models,
        "labelled_found_sites": {task: int(labelled[task].sum()) for task in TASKS},
        "design_weights": ("none: the register is the frame (census, weight 1)" if missing == len(pick)
                           else "enterprise.weight"),
        "weights_missing": weights_missing,
    }
    return Units(
        enterprise_id=np.array(ids, dtype=object), domains=domains, categories=categories,
        weight=weight, state=state, labels=labels, labelled=labelled, provenance=provenance,
        index=index,
    )


def _website_state(engine: Engine, index: dict[str, int], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the state of its best website and that website's id (-1 when none)."""
    state = np.zeros(n, dtype=np.int8)
    best_site = np.full(n, -1, dtype=np.int64)
    columns = _fetch(
        engine,
        "SELECT w.enterprise_id, w.id, w.status, COALESCE(w.match_score, -1) AS score, "
        "CASE WHEN EXISTS (SELECT 1 FROM page p WHERE p.website_id = w.id AND p.outcome = 'ok') "
        "THEN 1 ELSE 0 END AS crawled "
        "FROM website w WHERE w.enterprise_id IS NOT NULL AND w.status IN ("
        + ", ".join(f"'{s}'" for s in FOUND_STATUSES + UNREACHABLE_STATUSES) + ")", shared=(2,),
    )
    if not columns:
        return state, best_site
    eids, site_ids, statuses, scores, crawled = columns
    unit = np.array([index.get(e, -1) for e in eids], dtype=np.int64)
    site = np.array(site_ids, dtype=np.int64)
    unreachable = np.isin(np.array(statuses, dtype=object), UNREACHABLE_STATUSES)
    crawled_a = np.array(crawled, dtype=bool)
    candidate = np.where(unreachable, STATE_UNREACHABLE,
                         np.where(crawled_a, STATE_FOUND, STATE_NOT_CRAWLED)).astype(np.int8)
    # A found site beats one not yet crawled, which beats a dead one; among equals, linked
    # first, then the best match score, then the lowest id — the order of v_enterprise_web.
    rank = np.select([candidate == STATE_FOUND, candidate == STATE_NOT_CRAWLED], [3, 2], 1)
    linked = np.array([s == "linked" for s in statuses], dtype=np.int8)
    ok = unit >= 0
    unit, site, candidate = unit[ok], site[ok], candidate[ok]
    order = np.lexsort((site, -np.array(scores, dtype=float)[ok], -linked[ok], -rank[ok], unit))
    first = order[np.r_[True, unit[order][1:] != unit[order][:-1]]] if len(order) else order
    state[unit[first]] = candidate[first]
    best_site[unit[first]] = site[first]
    return state, best_site


def _latest_labels(engine: Engine, state: np.ndarray, best_site: np.ndarray, n: int
                   ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[str]]:
    """Per unit and task: the latest (highest id) site-level label of its found website."""
    labels = {task: np.zeros(n, dtype=np.int8) for task in TASKS}
    labelled = {task: np.zeros(n, dtype=bool) for task in TASKS}
    found = np.flatnonzero(state == STATE_FOUND)
    if not len(found):
        return labels, labelled, []
    site_to_unit = np.full(int(best_site.max()) + 1, -1, dtype=np.int64)
    site_to_unit[best_site[found]] = found
    # One row per website: for each task, MAX((id * 2^21 + model_id) * 2 + yes) picks the latest
    # row (highest id) and carries its model id and label in the low bits; portable SQL, a
    # third of the rows to transfer, and the exact models behind the labels used.
    yes = "CASE WHEN LOWER(c.label) IN ('yes', 'true', '1') THEN 1 ELSE 0 END"
    packed = f"(CAST(c.id AS BIGINT) * {_MODEL_SLOTS} + COALESCE(c.model_id, 0)) * 2 + {yes}"
    pivots = ", ".join(f"MAX(CASE WHEN c.task = '{t}' THEN {packed} END)" for t in TASKS)
    columns = _fetch(
        engine,
        f"SELECT c.target_id, {pivots} FROM classification c WHERE c.target_type = 'website' "
        "AND c.task IN (" + ", ".join(f"'{t}'" for t in TASKS) + ") GROUP BY c.target_id",
    )
    if not columns:
        return labels, labelled, []
    targets, *latest = columns
    try:
        target = np.array(targets, dtype=object).astype(np.int64)
    except ValueError:  # some other writer used non-numeric target ids: skip those rows
        target = np.array([int(t) if str(t).isdigit() else -1 for t in targets], dtype=np.int64)
    inside = (target >= 0) & (target < len(site_to_unit))
    unit = np.full(len(target), -1, dtype=np.int64)
    unit[inside] = site_to_unit[target[inside]]
    mine = unit >= 0
    used: set[tuple[str, int]] = set()
    for task, values in zip(TASKS, latest):
        coded = np.array([-1 if v is None else v for v in values], dtype=np.int64)
        has = mine & (coded >= 0)
        labels[task][unit[has]] = (coded[has] % 2).astype(np.int8)
        labelled[task][unit[has]] = True
        used.update((task, int(m)) for m in np.unique((coded[has] // 2) % _MODEL_SLOTS).tolist())
    names: dict[int, str] = {}
    model_columns = _fetch(engine, "SELECT id, name, version FROM model")
    if model_columns:
        names = {i: f"{name}:{version}" for i, name, version in zip(*model_columns)}
        if max(names) >= _MODEL_SLOTS:
            raise IndicatorError("more than 2^21 models: widen _MODEL_SLOTS in indicators/units.py")
    models = sorted(f"{task}:{names.get(m, 'no model row')}" for task, m in used)
    return labels, labelled, models


def _recorded(engine: Engine, index: dict[str, int], n: int, wave: str) -> tuple[
        np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray], list[str]]:
    """State and labels per unit as recorded for `wave` (the same reading as above: a label
    counts on a found website only)."""
    state = np.zeros(n, dtype=np.int8)
    labels = {task: np.zeros(n, dtype=np.int8) for task in TASKS}
    labelled = {task: np.zeros(n, dtype=bool) for task in TASKS}
    codes = {name: code for code, name in STATE_NAMES.items()}
    columns = _fetch(engine, "SELECT enterprise_id, website_state, " + ", ".join(TASKS)
                     + f", models FROM enterprise_wave WHERE wave = '{wave}'")
    models: set[str] = set()
    if not columns:
        return state, labels, labelled, []
    eids, states, *task_columns, model_lists = columns
    unit = np.array([index.get(e, -1) for e in eids], dtype=np.int64)
    mine = unit >= 0
    state[unit[mine]] = np.array([codes.get(s, STATE_NONE) for s in states], dtype=np.int8)[mine]
    found = np.zeros(len(eids), dtype=bool)
    found[mine] = state[unit[mine]] == STATE_FOUND
    for task, values in zip(TASKS, task_columns):
        has = found & np.array([v is not None for v in values], dtype=bool)
        yes = np.array([str(v).lower() in ("yes", "true", "1") for v in values], dtype=np.int8)
        labels[task][unit[has]] = yes[has]
        labelled[task][unit[has]] = True
    for value in model_lists:
        if isinstance(value, str):  # JSON text from a driver that does not decode it
            value = json.loads(value)
        models.update(value or [])
    return state, labels, labelled, sorted(models)
