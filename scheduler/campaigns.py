"""Campaign definitions (the `campaign` table is the source of truth) and their APScheduler
jobs in the SQLAlchemy job store of the same database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine, delete, desc, select, update

from ecomstat.scheduler.cron import configured_timezone, cron_trigger
from ecomstat.scheduler.errors import InvalidCampaign, UnknownCampaign
from ecomstat.scheduler.steps import INDICATOR_METHODS, parse_selection, parse_steps
from ecomstat.scheduler.wave_rules import check_rule, wave_of
from ecomstat.store import transaction
from ecomstat.store.models import Campaign, CampaignRun

JOB_TABLE = "apscheduler_jobs"
JOB_FUNC = "ecomstat.scheduler.jobs:run_scheduled"


def job_id(name: str) -> str:
    return f"campaign:{name}"


@dataclass
class CampaignSpec:
    name: str
    cron: str
    steps: list[str]
    selection: str = "all"
    max_pages: int | None = None
    retries: int = 1
    retry_delay: float = 30.0
    step_timeout: float | None = None
    command: str | None = None
    indicators_method: str | None = None  # the `indicators` step's --method (default naive)
    audit_set: str | None = None  # and its --audit (default: the latest imported)
    # the wave rule: an explicit wave or a pattern of the fire time ({year}Q{quarter});
    # None: each step's default wave (scheduler/wave_rules.py)
    wave: str | None = None

    def validate(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise InvalidCampaign(f"campaign name {self.name!r} must be letters, digits, - or _")
        cron_trigger(self.cron)
        parse_selection(self.selection)
        if self.retries < 0:
            raise InvalidCampaign("--retries must be 0 or more")
        # chained comparisons refuse NaN too; inf or 1e308 crashed the step's sleep and
        # PostgreSQL's JSON refuses them with a traceback (issue 12 item 5)
        if not 0 <= self.retry_delay <= 86_400:
            raise InvalidCampaign("--retry-delay must be 0 or more seconds, at most 86400 "
                                  f"(a day), got {self.retry_delay!r}")
        if self.step_timeout is not None and not 0 < self.step_timeout <= 2_592_000:
            raise InvalidCampaign("--step-timeout must be more than 0 seconds, at most 2592000 "
                                  f"(30 days), got {self.step_timeout!r}")
        if self.max_pages is not None and self.max_pages < 1:
            raise InvalidCampaign("--max-pages must be at least 1")
        if ("command" in self.steps) != bool(self.command):
            raise InvalidCampaign("--command and the `command` step go together")
        if (self.indicators_method or self.audit_set) and "indicators" not in self.steps:
            raise InvalidCampaign("--indicators-method and --audit-set need the `indicators` step")
        if self.indicators_method and self.indicators_method not in INDICATOR_METHODS:
            raise InvalidCampaign(f"--indicators-method must be one of {', '.join(INDICATOR_METHODS)}, "
                                  f"got {self.indicators_method!r}")
        if self.wave is not None:
            self.wave = check_rule(self.wave)

    def options(self) -> dict[str, Any]:
        return {
            "max_pages": self.max_pages, "retries": self.retries,
            "retry_delay": self.retry_delay, "step_timeout": self.step_timeout,
            "command": self.command, "indicators_method": self.indicators_method,
            "audit_set": self.audit_set, "wave": self.wave,
        }


class JobStoreEditor(BaseScheduler):
    """A scheduler with no processing loop: it adds, pauses, removes and lists jobs in the store
    and never runs one. (A started-then-stopped BackgroundScheduler processes the due jobs once on
    shutdown: an overdue job's fire time was consumed, with an executor traceback, by a mere
    `schedule list`.)"""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        """Nothing to wake: this scheduler never processes jobs."""


def with_jobstore(engine: Engine, action: Callable[[BaseScheduler], Any]) -> Any:
    """Run `action` on a scheduler bound to the store's job table (no job executes)."""
    scheduler = JobStoreEditor(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
        timezone=dt.timezone.utc,
    )
    scheduler.start(paused=True)
    try:
        return action(scheduler)
    finally:
        scheduler.shutdown(wait=False)


def schedule_job(scheduler: BaseScheduler, campaign: Campaign, db_url: str) -> None:
    scheduler.add_job(
        JOB_FUNC, trigger=cron_trigger(campaign.cron), args=[db_url, campaign.name],
        id=job_id(campaign.name), name=campaign.name, replace_existing=True,
    )
    if campaign.paused:
        scheduler.pause_job(job_id(campaign.name))


def add(engine: Engine, db_url: str, spec: CampaignSpec) -> Campaign:
    spec.steps = parse_steps(",".join(spec.steps))
    spec.validate()
    with transaction(engine) as session:
        if session.scalar(select(Campaign).where(Campaign.name == spec.name)):
            raise InvalidCampaign(f"a campaign named {spec.name!r} exists; remove it first")
        campaign = Campaign(
            name=spec.name, cron=spec.cron, steps=spec.steps, selection=spec.selection,
            options=spec.options(), paused=False,
        )
        session.add(campaign)
    with_jobstore(engine, lambda s: schedule_job(s, campaign, db_url))
    return campaign


def campaign_wave(engine: Engine, campaign: Campaign, run: CampaignRun) -> str | None:
    """The wave of `run`'s steps from the campaign's wave rule and the run's fire time (in
    ECOMSTAT_TIMEZONE), recorded on the run; None when the campaign has no rule (each step
    then takes its default wave)."""
    rule = (campaign.options or {}).get("wave")
    if not rule:
        return None
    wave = wave_of(str(rule), run.scheduled_for, configured_timezone())
    with transaction(engine) as session:
        session.execute(update(CampaignRun).where(CampaignRun.id == run.id).values(wave=wave))
    return wave


def get(engine: Engine, name: str) -> Campaign:
    with transaction(engine) as session:
        campaign = session.scalar(select(Campaign).where(Campaign.name == name))
    if campaign is None:
        raise UnknownCampaign(f"no campaign named {name!r} (see `ecomstat schedule list`)")
    return campaign


def set_paused(engine: Engine, name: str, paused: bool) -> Campaign:
    campaign = get(engine, name)
    with transaction(engine) as session:
        session.get(Campaign, campaign.id).paused = paused  # type: ignore[union-attr]

    def apply(scheduler: BaseScheduler) -> None:
        if scheduler.get_job(job_id(name)) is None:
            return
        (scheduler.pause_job if paused else scheduler.resume_job)(job_id(name))

    with_jobstore(engine, apply)
    campaign.paused = paused
    return campaign


EDITABLE = ("cron", "steps", "selection", "max_pages", "retries", "retry_delay", "step_timeout",
            "command", "indicators_method", "audit_set", "wave")


def edit(engine: Engine, db_url: str, name: str, changes: dict[str, Any]) -> Campaign:
    """Change the given fields of a campaign in place; its run history stays. Checked like
    `add`; the job is rescheduled (a new cron counts from now). A run in progress keeps the
    definition it started with."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidCampaign(f"cannot edit {', '.join(unknown)}")
    campaign = get(engine, name)
    spec = CampaignSpec(name=campaign.name, cron=campaign.cron, steps=list(campaign.steps),
                        selection=campaign.selection,
                        **{k: v for k, v in (campaign.options or {}).items()
                           if k in CampaignSpec.__dataclass_fields__})
    for key, value in changes.items():
        if key == "wave" and not str(value).strip():  # `--wave ""`: drop the rule
            value = None
        setattr(spec, key, value)
    spec.steps = parse_steps(",".join(spec.steps))
    spec.validate()
    with transaction(engine) as session:
        row = session.get(Campaign, campaign.id)
        if row is None:
            raise UnknownCampaign(f"no campaign named {name!r} (removed meanwhile)")
        row.cron, row.steps, row.selection = spec.cron, spec.steps, spec.selection
        row.options = spec.options()
        session.flush()
        session.refresh(row)
        session.expunge(row)
    with_jobstore(engine, lambda s: schedule_job(s, row, db_url))
    return row


def remove(engine: Engine, name: str) -> None:
    campaign = get(engine, name)
    with transaction(engine) as session:
        session.execute(delete(Campaign).where(Campaign.id == campaign.id))

    def apply(scheduler: BaseScheduler) -> None:
        if scheduler.get_job(job_id(name)) is not None:
            scheduler.remove_job(job_id(name))

    with_jobstore(engine, apply)


@dataclass
class CampaignStatus:
    campaign: Campaign
    next_run: dt.datetime | None
    last_run: CampaignRun | None
    last_skipped: CampaignRun | None = None


def _last_run(session: Any, campaign_id: int, skipped: bool) -> CampaignRun | None:
    status = CampaignRun.status == "skipped" if skipped else CampaignRun.status != "skipped"
    return session.scalar(select(CampaignRun).where(CampaignRun.campaign_id == campaign_id, status)
                          .order_by(desc(CampaignRun.started_at)).limit(1))


def status(engine: Engine) -> list[CampaignStatus]:
    """Campaigns with their next fire time (in the configured zone), last run, last skip."""
    zone = configured_timezone()
    with transaction(engine) as session:
        campaigns = session.scalars(select(Campaign).order_by(Campaign.name)).all()
        last = {c.id: (_last_run(session, c.id, False), _last_run(session, c.id, True))
                for c in campaigns}
    jobs = with_jobstore(engine, lambda s: {j.id: j.next_run_time for j in s.get_jobs()})

    def next_run(name: str) -> dt.datetime | None:
        value = jobs.get(job_id(name))
        return value.astimezone(zone) if value is not None else None

    return [CampaignStatus(c, next_run(c.name), *last[c.id]) for c in campaigns]


def history(engine: Engine, name: str | None = None, limit: int = 50) -> list[tuple[str, CampaignRun]]:
    with transaction(engine) as session:
        query = select(Campaign.name, CampaignRun).join(Campaign, Campaign.id == CampaignRun.campaign_id)
        if name is not None:
            get(engine, name)
            query = query.where(Campaign.name == name)
        rows = session.execute(query.order_by(desc(CampaignRun.started_at)).limit(limit)).all()
    return [(row[0], row[1]) for row in rows]


def get_run(engine: Engine, run_id: int) -> CampaignRun:
    with transaction(engine) as session:
        run = session.get(CampaignRun, run_id)
        if run is None:
            raise UnknownCampaign(f"no campaign run {run_id}")
        session.expunge(run)
    return run
