"""Waves: named periods of data collection (e.g. `2026Q4`) and what is kept per wave.

A crawl run belongs to a wave (`crawl_run.wave`: `crawl sites --wave W`, else the default rule
below). Pages and classifications keep their latest version only; what an economist compares
between waves is recorded per wave and enterprise in `enterprise_wave`, copied from
`v_enterprise_web` (best website, website state, labels with score and evidence page) when the
wave's sites are classified (`record_wave`). A later wave writes its own rows and never changes
an earlier wave's. `enterprise_changes` lists who changed between two waves. docs/waves.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, text

from ecomstat.errors import BadInput
from ecomstat.store.engine import transaction
from ecomstat.store.models import (
    Classification, CrawlRun, EnterpriseWave, IndicatorChange, SiteVisit, WaveChange, utcnow,
)

# Letters, digits and -_. (safe in file names, URLs and SQL literals), at most 20 characters
# (indicator_value.period: the wave is the indicators' period).
WAVE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
TASKS = ("web_sales", "marketplace", "social_media")
# Runs of the shop spider collect product listings, not the site pages labels come from: they
# never decide which wave the store's labels are (a wave's runs are the enterprise-site crawls)
SHOP_SPIDER = "shop_listing"
YES = ("yes", "true", "1")  # labels read as "yes" (indicators/units.py)
_BATCH = 1000


def check_wave(wave: str) -> str:
    """`wave` stripped, or BadInput naming the rule."""
    label = (wave or "").strip()
    if not WAVE_PATTERN.fullmatch(label):
        raise BadInput(f"wave {wave!r}: use 1-20 letters, digits, '-', '_' or '.', starting with a "
                       "letter or digit (e.g. 2026Q4 or 2026-12)")
    return label


def default_wave(at: dt.datetime | None = None) -> str:
    """The wave of a run started at `at` when none is given: its calendar quarter in UTC
    (2026Q4). An office crawling monthly names its waves (`--wave 2026-12`)."""
    at = at or utcnow()
    if at.tzinfo is not None:
        at = at.astimezone(dt.timezone.utc)
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


def latest_wave(engine: Engine) -> str | None:
    """The wave of the newest crawl run that visited websites (None before the first crawl)."""
    with engine.connect() as connection:
        return connection.scalar(
            select(CrawlRun.wave).where(
                CrawlRun.wave.is_not(None), CrawlRun.spider != SHOP_SPIDER,
                select(SiteVisit.id).where(SiteVisit.run_id == CrawlRun.id).exists())
            .order_by(CrawlRun.id.desc()).limit(1))


def later_waves(engine: Engine, wave: str) -> list[str]:
    """Waves of runs started after the last run of `wave`."""
    with engine.connect() as connection:
        last = connection.scalar(select(func.max(CrawlRun.id)).where(
            CrawlRun.wave == wave, CrawlRun.spider != SHOP_SPIDER))
        if last is None:
            return []
        return sorted(set(connection.scalars(select(CrawlRun.wave).where(
            CrawlRun.id > last, CrawlRun.wave.is_not(None), CrawlRun.wave != wave,
            CrawlRun.spider != SHOP_SPIDER))))


def _evidence_page(evidence: Any) -> str | None:
    """The page named first in a classification's evidence (the one that decided)."""
    for item in evidence or []:
        if isinstance(item, dict) and item.get("page"):
            return str(item["page"])
    return None


def _latest_evidence(connection: Connection, website_ids: Sequence[str]
                     ) -> dict[tuple[str, str], tuple[Any, str | None]]:
    """(website id, task) -> (evidence, model version) of the latest site label of these
    websites: the row the view shows (highest id)."""
    table = Classification.__table__
    latest: dict[tuple[str, str], tuple[int, Any, str | None]] = {}
    if not website_ids:
        return {}
    for row in connection.execute(
            select(table.c.id, table.c.target_id, table.c.task, table.c.evidence,
                   table.c.model_version)
            .where(table.c.task.in_(TASKS), table.c.target_type == "website",
                   table.c.target_id.in_(list(website_ids)))):
        key = (str(row.target_id), row.task)
        if key not in latest or row.id > latest[key][0]:
            latest[key] = (row.id, row.evidence, row.model_version)
    return {key: (evidence, version) for key, (_, evidence, version) in latest.items()}


_VIEW_COLUMNS = ("enterprise_id", "website_id", "website_url", "website_status", "website_state",
                 "web_sales", "web_sales_probability", "marketplace", "marketplace_probability",
                 "social_media", "social_media_probability")


def _record_rows(connection: Connection, wave: str, chunk: Sequence[Any],
                 now: dt.datetime) -> list[dict[str, Any]]:
    """`enterprise_wave` rows for a chunk of `v_enterprise_web` rows, with their evidence."""
    rows = [dict(zip(_VIEW_COLUMNS, values)) for values in chunk]
    evidence = _latest_evidence(connection, sorted({str(row["website_id"]) for row in rows
                                                    if row["website_state"] == "found"}))
    for row in rows:
        row.update(wave=wave, recorded_at=now, evidence={}, models=[])
        for task in TASKS:
            found = evidence.get((str(row["website_id"]), task))
            if row[task] is None or found is None:
                row[f"{task}_evidence"] = None
                continue
            row["evidence"][task] = found[0]
            row[f"{task}_evidence"] = _evidence_page(found[0])
            if found[1] and found[1] not in row["models"]:
                row["models"].append(found[1])
    return rows


def record_wave(engine: Engine, wave: str | None = None) -> tuple[str, int] | None:
    """Record `wave` (default: the newest crawled wave) per enterprise from `v_enterprise_web`,
    replacing that wave's earlier record; returns (wave, rows written), None before any crawl.

    Refused for a wave that later runs followed: the store then holds the later wave's pages and
    labels, and the record would mix the two. One transaction (a wave's record is replaced
    whole or not at all), the view streamed a chunk at a time: memory stays bounded at any
    register size."""
    wave = check_wave(wave) if wave is not None else latest_wave(engine)
    if wave is None:
        return None
    later = later_waves(engine, wave)
    if later:
        raise BadInput(f"wave {wave} was followed by crawls of {', '.join(later)}: the store now "
                       f"holds their pages and labels, so {wave} can no longer be recorded")
    now = utcnow()
    written = 0
    with transaction(engine) as session:
        session.execute(delete(EnterpriseWave).where(EnterpriseWave.wave == wave))
        view = text(f"SELECT {', '.join(_VIEW_COLUMNS)} FROM v_enterprise_web")
        # streamed (a server-side cursor on PostgreSQL) on the transaction's own connection,
        # which writes each chunk between fetches
        result = session.connection().execute(
            view.execution_options(stream_results=True, yield_per=_BATCH))
        for chunk in result.partitions(_BATCH):
            rows = _record_rows(session.connection(), wave, chunk, now)
            session.execute(EnterpriseWave.__table__.insert(), rows)
            written += len(rows)
    return wave, written


@dataclass(frozen=True)
class WaveInfo:
    wave: str
    runs: int
    first_started: dt.datetime | None
    last_finished: dt.datetime | None
    enterprises: int  # rows recorded in enterprise_wave
    recorded_at: dt.datetime | None

    def row(self) -> list[Any]:
        return [self.wave, self.runs, self.first_started, self.last_finished, self.enterprises,
                self.recorded_at]


def list_waves(engine: Engine) -> list[WaveInfo]:
    """Every wave with runs or a record, oldest first (by its first run, then name)."""
    with engine.connect() as connection:
        runs = {wave: (n, first, last) for wave, n, first, last in connection.execute(
            select(CrawlRun.wave, func.count(CrawlRun.id), func.min(CrawlRun.started_at),
                   func.max(CrawlRun.finished_at))
            .where(CrawlRun.wave.is_not(None)).group_by(CrawlRun.wave))}
        recorded = {wave: (n, at) for wave, n, at in connection.execute(
            select(EnterpriseWave.wave, func.count(EnterpriseWave.id),
                   func.max(EnterpriseWave.recorded_at)).group_by(EnterpriseWave.wave))}
    infos = [WaveInfo(wave, *(runs.get(wave) or (0, None, None)),
                      *(recorded.get(wave) or (0, None)))
             for wave in set(runs) | set(recorded)]
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)

    def first(info: WaveInfo) -> dt.datetime:
        started = info.first_started
        if started is None:
            return far
        return started if started.tzinfo else started.replace(tzinfo=dt.timezone.utc)

    return sorted(infos, key=lambda info: (first(info), info.wave))


def require_recorded(engine: Engine, wave: str) -> int:
    """How many enterprises `wave` recorded; BadInput naming the recorded waves when none."""
    wave = check_wave(wave)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count(EnterpriseWave.id)).where(
            EnterpriseWave.wave == wave)) or 0
    if not count:
        known = [info.wave for info in list_waves(engine) if info.enterprises]
        raise BadInput(f"wave {wave} has no record (classify its sites: `ecomstat classify "
                       f"sites`); recorded waves: {', '.join(known) or 'none'}")
    return int(count)


def _yes_sql(alias: str, task: str) -> str:
    return (f"CASE WHEN {alias}.website_state = 'found' AND LOWER(COALESCE({alias}.{task}, '')) "
            f"IN {YES} THEN 1 ELSE 0 END")


def changed_pairs(engine: Engine, from_wave: str, to_wave: str
                  ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], int]:
    """The records of the enterprises recorded in both waves whose state, URL or any label
    reading differs (the database compares; only those rows are read), and the count of
    enterprises recorded in both."""
    from_wave, to_wave = check_wave(from_wave), check_wave(to_wave)
    differs = " OR ".join([
        "a.website_state <> b.website_state",
        "COALESCE(a.website_url, '') <> COALESCE(b.website_url, '')",
        *(f"{_yes_sql('a', t)} <> {_yes_sql('b', t)}" for t in TASKS)])
    table = EnterpriseWave.__table__
    before: dict[str, dict[str, Any]] = {}
    after: dict[str, dict[str, Any]] = {}
    with engine.connect() as connection:
        both = connection.execute(text(
            "SELECT COUNT(*) FROM enterprise_wave a JOIN enterprise_wave b "
            "ON b.enterprise_id = a.enterprise_id AND b.wave = :to_wave "
            "WHERE a.wave = :from_wave"), {"from_wave": from_wave, "to_wave": to_wave}).scalar()
        ids = select(text("a.enterprise_id")).select_from(text(
            "enterprise_wave a JOIN enterprise_wave b ON b.enterprise_id = a.enterprise_id "
            "AND b.wave = :to_wave")).where(text(f"a.wave = :from_wave AND ({differs})"))
        for row in connection.execute(
                select(table).where(table.c.wave.in_([from_wave, to_wave]),
                                    table.c.enterprise_id.in_(ids)),
                {"from_wave": from_wave, "to_wave": to_wave}):
            (before if row.wave == from_wave else after)[row.enterprise_id] = dict(row._mapping)
    return before, after, int(both or 0)


def is_yes(row: dict[str, Any], task: str) -> bool:
    """The indicators' reading of a recorded label: yes on a found website."""
    return row["website_state"] == "found" and str(row[task] or "").lower() in YES


def _change(task: str, change: str, before: dict[str, Any], after: dict[str, Any]
            ) -> dict[str, Any]:
    column = task if task in TASKS else "website_state"
    probability = f"{task}_probability" if task in TASKS else None
    evidence = f"{task}_evidence" if task in TASKS else None
    def shown(row: dict[str, Any]) -> Any:  # no label (site dead, not crawled): say why
        return row.get(column) or f"({row['website_state']})"

    return {"task": task, "change": change,
            "before": shown(before),
            "after": shown(after),
            "before_url": before["website_url"], "after_url": after["website_url"],
            "before_probability": before.get(probability) if probability else None,
            "after_probability": after.get(probability) if probability else None,
            "before_evidence": before.get(evidence) if evidence else None,
            "after_evidence": after.get(evidence) if evidence else None}


def _website_change(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    s1, s2 = before["website_state"], after["website_state"]
    if s1 == "found" and s2 == "found":
        return "new-url" if before["website_url"] != after["website_url"] else None
    if s1 == "found":
        return {"unreachable": "website-dead", "not-crawled": "website-not-crawled",
                "none": "website-lost"}[s2]
    if s2 == "found":
        return "website-found"
    return None


def diff_records(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]],
                 tasks: Sequence[str] = (*TASKS, "website")) -> list[dict[str, Any]]:
    """The changes of every enterprise recorded in both waves, in enterprise id order."""
    changes: list[dict[str, Any]] = []
    for enterprise_id in sorted(set(before) & set(after)):
        b, a = before[enterprise_id], after[enterprise_id]
        for task in tasks:
            if task == "website":
                kind = _website_change(b, a)
                found = [_change("website", kind, b, a)] if kind else []
            elif is_yes(b, task) != is_yes(a, task):
                kind = ("gained-" if is_yes(a, task) else "lost-") + task.replace("_", "-")
                found = [_change(task, kind, b, a)]
            else:
                found = []
            changes.extend({"enterprise_id": enterprise_id, **c} for c in found)
    return changes


def store_comparison(engine: Engine, from_wave: str, to_wave: str, tasks: Sequence[str],
                     changes: Sequence[dict[str, Any]],
                     indicator_rows: Sequence[dict[str, Any]]) -> None:
    """Replace the stored comparison of (from_wave, to_wave): the enterprise changes of `tasks`
    and every indicator change given, in one transaction."""
    now = utcnow()
    rows = [{**c, "from_wave": from_wave, "to_wave": to_wave, "computed_at": now} for c in changes]
    cells = [{**c, "from_wave": from_wave, "to_wave": to_wave, "computed_at": now}
             for c in indicator_rows]
    with transaction(engine) as session:
        session.execute(delete(WaveChange).where(
            WaveChange.from_wave == from_wave, WaveChange.to_wave == to_wave,
            WaveChange.task.in_(list(tasks))))
        for start in range(0, len(rows), _BATCH):
            session.execute(WaveChange.__table__.insert(), rows[start:start + _BATCH])
        session.execute(delete(IndicatorChange).where(
            IndicatorChange.from_wave == from_wave, IndicatorChange.to_wave == to_wave,
            IndicatorChange.indicator.in_(sorted({c["indicator"] for c in cells}))))
        if cells:
            session.execute(IndicatorChange.__table__.insert(), cells)
