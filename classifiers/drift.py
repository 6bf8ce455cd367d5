"""Drift between waves: does the model still fit the web? (docs/waves.md, "Drift")

Each wave's profile (`drift_profile.py`: score distributions on fixed bins and signal rates,
overall and per language and platform) is compared with the previous wave's by the population
stability index

    PSI = sum_i (q_i - p_i) * ln(q_i / p_i)

over the bins i, p the earlier wave's shares and q the later wave's, each share floored at
EPSILON so that an empty bin stays finite. A rate is the two-bin distribution (no, yes), so the
same index and the same thresholds apply to scores and rates. The usual reading (Siddiqi 2006,
Credit Risk Scorecards, Wiley, ch. 8; Yurdakul & Naranjo 2020, J. Risk Model Validation 14(4)):
below 0.1 stable, 0.1-0.25 moderate shift, above 0.25 major shift (`ECOMSTAT_DRIFT_PSI_WARN`,
`ECOMSTAT_DRIFT_PSI_ALERT`). A group with fewer than `ECOMSTAT_DRIFT_MIN_GROUP` units in either
wave is "too-small": its index is shown but not judged (a few units moving between bins make
a large index by chance). Stored per wave pair in `wave_drift` (re-running replaces it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, delete, select

from ecomstat.classifiers.drift_profile import ProfileCell, read_profile, record_profile
from ecomstat.errors import BadInput, ConfigurationError
from ecomstat.settings import Settings
from ecomstat.store.engine import transaction
from ecomstat.store.models import WaveDrift, WaveProfile, utcnow
from ecomstat.store.upsert import upsert

EPSILON = 1e-4  # floor of a bin's share: an empty bin against 1% of the other wave adds ~0.046
STATUSES = ("major", "moderate", "stable", "too-small")  # the order rows are listed in
FLAGGED = ("major", "moderate")
COLUMNS = ["from_wave", "to_wave", "dimension", "group", "metric", "kind", "n_from", "n_to",
           "mean_from", "mean_to", "psi", "status"]


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON) -> float:
    """The population stability index of `actual` (later wave) against `expected` (earlier),
    both counts (or shares) on the same bins; shares floored at `epsilon`."""
    p = np.asarray(expected, dtype=float)
    q = np.asarray(actual, dtype=float)
    if p.shape != q.shape or p.ndim != 1 or not len(p):
        raise BadInput(f"PSI needs two distributions on the same bins, got {p.shape} and {q.shape}")
    if not (np.isfinite(p).all() and np.isfinite(q).all()) or (p < 0).any() or (q < 0).any():
        raise BadInput("PSI needs finite, non-negative counts")
    if p.sum() <= 0 or q.sum() <= 0:
        raise BadInput("PSI needs at least one unit in each distribution")
    p = np.maximum(p / p.sum(), epsilon)
    q = np.maximum(q / q.sum(), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


@dataclass(frozen=True)
class DriftRule:
    warn: float = 0.1
    alert: float = 0.25
    min_group: int = 100

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> DriftRule:
        settings = settings or Settings()
        rule = cls(settings.getfloat("ECOMSTAT_DRIFT_PSI_WARN"),
                   settings.getfloat("ECOMSTAT_DRIFT_PSI_ALERT"),
                   settings.getint("ECOMSTAT_DRIFT_MIN_GROUP"))
        if not (0 < rule.warn <= rule.alert) or not math.isfinite(rule.alert):
            raise ConfigurationError("ECOMSTAT_DRIFT_PSI_WARN must be above 0 and at most "
                                     f"ECOMSTAT_DRIFT_PSI_ALERT, got {rule.warn} and {rule.alert}")
        if rule.min_group < 1:
            raise ConfigurationError(f"ECOMSTAT_DRIFT_MIN_GROUP must be at least 1, got {rule.min_group}")
        return rule

    def judge(self, index: float | None, n_from: int, n_to: int) -> str:
        if index is None or min(n_from, n_to) < self.min_group:
            return "too-small"
        if index < self.warn:
            return "stable"
        return "moderate" if index <= self.alert else "major"


@dataclass(frozen=True)
class DriftRow:
    from_wave: str
    to_wave: str
    dimension: str
    group: str
    metric: str
    kind: str
    n_from: int
    n_to: int
    mean_from: float | None
    mean_to: float | None
    psi: float | None
    status: str

    @property
    def flagged(self) -> bool:
        return self.status in FLAGGED

    def row(self) -> list[Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return [self.from_wave, self.to_wave, self.dimension, self.group, self.metric, self.kind,
                self.n_from, self.n_to, rounded(self.mean_from), rounded(self.mean_to),
                rounded(self.psi), self.status]

    def record(self) -> dict[str, Any]:
        return {"from_wave": self.from_wave, "to_wave": self.to_wave,
                "dimension": self.dimension, "group_value": self.group, "metric": self.metric,
                "kind": self.kind, "n_from": self.n_from, "n_to": self.n_to,
                "mean_from": self.mean_from, "mean_to": self.mean_to, "psi": self.psi,
                "status": self.status}


def _order(row: DriftRow) -> tuple[Any, ...]:
    """Flagged rows first (major, then moderate), the largest index first within a status."""
    return (STATUSES.index(row.status), -(row.psi or 0.0), row.dimension != "all", row.dimension,
            row.group, row.metric)


def compare_profiles(from_wave: str, to_wave: str, before: dict[tuple[str, str, str], ProfileCell],
                     after: dict[tuple[str, str, str], ProfileCell], rule: DriftRule
                     ) -> list[DriftRow]:
    """One row per (dimension, group, metric) in either profile, flagged rows first. A group
    present in one wave only has 0 units in the other: too small to judge."""
    rows = []
    for key in set(before) | set(after):
        a, b = before.get(key), after.get(key)
        kind = (a or b).kind  # type: ignore[union-attr]
        n_from, n_to = (a.n if a else 0), (b.n if b else 0)
        index = (psi(a.counts, b.counts) if a and b and n_from and n_to
                 and len(a.counts) == len(b.counts) else None)
        rows.append(DriftRow(from_wave, to_wave, *key, kind, n_from, n_to,
                             a.mean if a else None, b.mean if b else None, index,
                             rule.judge(index, n_from, n_to)))
    return sorted(rows, key=_order)


def profiled_waves(engine: Engine) -> list[str]:
    """Waves with a stored profile, in the order of `ecomstat waves list` (by first run)."""
    from ecomstat.store.waves import list_waves

    with engine.connect() as connection:
        stored = set(connection.scalars(select(WaveProfile.wave).distinct()))
    ordered = [info.wave for info in list_waves(engine) if info.wave in stored]
    return ordered + sorted(stored - set(ordered))


def _pick_waves(engine: Engine, from_wave: str | None, to_wave: str | None) -> tuple[str, str]:
    """The pair to compare: the given waves, else consecutive profiled waves ending with
    `to_wave` (default: the newest)."""
    from ecomstat.store.waves import check_wave, latest_wave

    newest = latest_wave(engine)
    # the newest wave's profile is taken again: it reflects the store as it is now (products
    # coded, links made since its sites were classified)
    if newest is not None and (to_wave is None or newest in (from_wave, to_wave)):
        try:
            record_profile(engine, newest)
        except BadInput:
            pass  # not classified yet: compared only if asked for, then refused below
    waves = profiled_waves(engine)
    to_wave = check_wave(to_wave) if to_wave else (waves[-1] if waves else None)
    if to_wave is None or to_wave not in waves:
        raise BadInput(f"wave {to_wave or '(newest)'} has no profile (it is taken when its sites "
                       f"are classified); profiled waves: {', '.join(waves) or 'none'}")
    if from_wave:
        from_wave = check_wave(from_wave)
    else:
        earlier = waves[:waves.index(to_wave)]
        if not earlier:
            raise BadInput(f"no profiled wave before {to_wave} to compare it with")
        from_wave = earlier[-1]
    if from_wave not in waves:
        raise BadInput(f"wave {from_wave} has no profile (it is taken when its sites are "
                       f"classified); profiled waves: {', '.join(waves)}")
    if from_wave == to_wave:
        raise BadInput("--from and --to name the same wave")
    return from_wave, to_wave


def compute_drift(engine: Engine, from_wave: str | None = None, to_wave: str | None = None, *,
                  rule: DriftRule | None = None) -> list[DriftRow]:
    """Compare two waves' profiles (default: the newest two), store the rows in `wave_drift`
    (replacing that pair's earlier rows) and return them, flagged rows first."""
    rule = rule or DriftRule.from_settings()
    from_wave, to_wave = _pick_waves(engine, from_wave, to_wave)
    rows = compare_profiles(from_wave, to_wave, read_profile(engine, from_wave),
                            read_profile(engine, to_wave), rule)
    store_drift(engine, from_wave, to_wave, rows)
    return rows


def store_drift(engine: Engine, from_wave: str, to_wave: str, rows: Sequence[DriftRow]) -> None:
    """Upsert the pair's rows on their natural key and drop the pair's rows not among them."""
    now = utcnow()
    records = [{**row.record(), "computed_at": now} for row in rows]
    keys = {(r["dimension"], r["group_value"], r["metric"]) for r in records}
    with transaction(engine) as session:
        for start in range(0, len(records), 1000):
            upsert(session, WaveDrift, records[start:start + 1000],
                   keys=["from_wave", "to_wave", "dimension", "group_value", "metric"])
        stale = [row_id for row_id, *key in session.execute(
            select(WaveDrift.id, WaveDrift.dimension, WaveDrift.group_value, WaveDrift.metric)
            .where(WaveDrift.from_wave == from_wave, WaveDrift.to_wave == to_wave)).tuples()
                 if tuple(key) not in keys]
        for start in range(0, len(stale), 500):
            session.execute(delete(WaveDrift).where(WaveDrift.id.in_(stale[start:start + 500])))


def read_drift(engine: Engine, from_wave: str | None = None, to_wave: str | None = None
               ) -> list[DriftRow]:
    """Stored drift rows (of one pair, or all), flagged rows first."""
    table = WaveDrift.__table__
    query = select(table)
    if from_wave:
        query = query.where(table.c.from_wave == from_wave)
    if to_wave:
        query = query.where(table.c.to_wave == to_wave)
    with engine.connect() as connection:
        rows = [DriftRow(r.from_wave, r.to_wave, r.dimension, r.group_value, r.metric, r.kind,
                         r.n_from, r.n_to, r.mean_from, r.mean_to, r.psi, r.status)
                for r in connection.execute(query)]
    return sorted(rows, key=lambda r: (r.to_wave, r.from_wave, *_order(r)))


@dataclass(frozen=True)
class DriftSummary:
    from_wave: str
    to_wave: str
    judged: int
    flagged: int
    major: int
    too_small: int
    largest: DriftRow | None  # the largest index among judged rows

    def line(self) -> str:
        text = (f"drift {self.from_wave} -> {self.to_wave}: {self.flagged} of {self.judged} "
                f"judged (group, metric) rows shifted ({self.major} major), {self.too_small} "
                "too small to judge")
        if self.largest is not None and self.largest.psi is not None:
            text += (f"; largest PSI {self.largest.psi:.3f} ({self.largest.metric}, "
                     f"{self.largest.dimension}={self.largest.group})")
        return text


def summarize(rows: Sequence[DriftRow]) -> DriftSummary | None:
    if not rows:
        return None
    judged = [r for r in rows if r.status != "too-small"]
    largest = max(judged, key=lambda r: r.psi or 0.0, default=None)
    return DriftSummary(rows[0].from_wave, rows[0].to_wave, len(judged),
                        sum(r.flagged for r in rows), sum(r.status == "major" for r in rows),
                        len(rows) - len(judged), largest)
