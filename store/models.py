"""SQLAlchemy 2 typed ORM models: the one storage layer every component talks through.

Natural keys carry unique constraints so that every writer can upsert idempotently; every row
produced by a step records the run, model version or register snapshot that produced it.
Flexible, per-row detail (evidence, structured data, stats, breakdowns, provenance) lives in JSON
columns, which map to JSON on SQLite and JSONB-compatible JSON on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
    Column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class RegisterSnapshot(Base):
    """One import of a register file; enterprises point at the snapshot that last wrote them."""

    __tablename__ = "register_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200), unique=True)
    source_file: Mapped[str | None] = mapped_column(Text)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)


class Enterprise(Base):
    """A register unit. `id` is the register's own identifier (natural key)."""

    __tablename__ = "enterprise"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    legal_form: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(20))
    nace: Mapped[str] = mapped_column(String(10))
    nace_section: Mapped[str | None] = mapped_column(String(1), index=True)
    employees: Mapped[int | None] = mapped_column(Integer)
    size_class: Mapped[str | None] = mapped_column(String(10), index=True)
    vat_id: Mapped[str | None] = mapped_column(String(40))
    company_id: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    url: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[float | None] = mapped_column(Float)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("register_snapshot.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    websites: Mapped[list[Website]] = relationship(back_populates="enterprise")


class Website(Base):
    """A website, possibly linked to an enterprise. Natural key: the normalised URL."""

    __tablename__ = "website"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    domain: Mapped[str] = mapped_column(String(253), index=True)  # registered domain
    enterprise_id: Mapped[str | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    match_score: Mapped[float | None] = mapped_column(Float)
    # register | email | name-guess | search | manual
    found_by: Mapped[str | None] = mapped_column(String(40))
    # candidate | verified | linked | rejected | dead | parked | unreachable
    status: Mapped[str] = mapped_column(String(20), default="candidate")
    match_evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_crawled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    enterprise: Mapped[Enterprise | None] = relationship(back_populates="websites")


class CrawlRun(Base):
    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spider: Mapped[str] = mapped_column(String(50))
    # running | finished | failed | interrupted
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # outcome -> count (ok, robots-denied, dns-failure, timeout, http-error, ...)
    outcomes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sites_total: Mapped[int] = mapped_column(Integer, default=0)
    sites_done: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    warc_dir: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    # the wave (period of data collection, e.g. 2026Q4) the run belongs to (revision 0005)
    wave: Mapped[str | None] = mapped_column(String(20), index=True)


class SiteVisit(Base):
    """Per (run, website): how the crawl of that site ended. Makes runs resumable."""

    __tablename__ = "site_visit"
    __table_args__ = (UniqueConstraint("run_id", "website_id", name="uq_site_visit_run_site"),
                      # a site's latest visit (v_enterprise_web's wave; revision 0005)
                      Index("ix_site_visit_website_run", "website_id", "run_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"))
    website_id: Mapped[int] = mapped_column(ForeignKey("website.id", ondelete="CASCADE"))
    # pending | claimed (a crawl process has it) | done | failed (its batch gave up)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    outcome: Mapped[str | None] = mapped_column(String(30))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the crawl process ("host:pid") that claimed the site last
    worker: Mapped[str | None] = mapped_column(String(100))


class Page(Base):
    """One fetched page. Identical content within a site is stored once (site, content_hash)."""

    __tablename__ = "page"
    __table_args__ = (
        UniqueConstraint("website_id", "url", name="uq_page_website_url"),
        Index("ix_page_website_hash", "website_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    website_id: Mapped[int] = mapped_column(ForeignKey("website.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(30), default="ok")
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    content_type: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    rendered: Mapped[bool] = mapped_column(Boolean, default=False)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    text: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[Any] | None] = mapped_column(JSON)
    structured_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("url", "name", name="uq_product_url_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    website_id: Mapped[int | None] = mapped_column(
        ForeignKey("website.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)  # product page URL (or listing URL)
    name: Mapped[str] = mapped_column(Text)
    price: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    availability: Mapped[str | None] = mapped_column(String(40))
    brand: Mapped[str | None] = mapped_column(Text)
    gtin: Mapped[str | None] = mapped_column(String(20))
    sku: Mapped[str | None] = mapped_column(String(100))
    breadcrumb: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(20))  # json-ld | microdata | heuristic ...
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Model(Base):
    """A fitted model, versioned with its training-data hash and metrics."""

    __tablename__ = "model"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_model_name_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(40))  # ecommerce | products | characteristics ...
    training_data_sha256: Mapped[str | None] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    path: Mapped[str | None] = mapped_column(Text)  # where the portable model file lives
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Classification(Base):
    """A label for a target (page, website, enterprise, product) from one model version."""

    __tablename__ = "classification"
    __table_args__ = (
        UniqueConstraint(
            "target_type", "target_id", "task", "model_id", name="uq_classification_target"
        ),
        Index("ix_classification_task_target", "task", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))  # page | website | enterprise | product
    target_id: Mapped[str] = mapped_column(String(64))
    task: Mapped[str] = mapped_column(String(40))  # web_sales | marketplace | social_media | coicop
    label: Mapped[str] = mapped_column(String(100))
    probability: Mapped[float | None] = mapped_column(Float)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("model.id", ondelete="SET NULL"))
    model_version: Mapped[str | None] = mapped_column(String(100))
    evidence: Mapped[list[Any] | None] = mapped_column(JSON)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditLabel(Base):
    """Manually verified labels for an audit sample (misclassification correction)."""

    __tablename__ = "audit_label"
    __table_args__ = (
        UniqueConstraint("audit_set", "enterprise_id", "task", name="uq_audit_label_set"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_set: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(40), default="web_sales")
    value: Mapped[bool] = mapped_column(Boolean)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The audit's design (revision 0004): srs | stratified | weights, the audit stratum and the
    # second-phase weight 1/inclusion probability (NULL in older rows: a simple random sample).
    design: Mapped[str | None] = mapped_column(String(20))
    stratum: Mapped[str | None] = mapped_column(String(100))
    design_weight: Mapped[float | None] = mapped_column(Float)


class IndicatorValue(Base):
    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint(
            "indicator", "period", "breakdown_key", "method", name="uq_indicator_value_cell"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(60), index=True)
    period: Mapped[str] = mapped_column(String(20))
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)  # e.g. {"size_class": "10-49"}
    breakdown_key: Mapped[str] = mapped_column(String(200))  # canonical text of breakdown
    estimate: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    cv: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    flags: Mapped[list[Any] | None] = mapped_column(JSON)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ValidationFinding(Base):
    __tablename__ = "validation_finding"
    # issue 17 item 1 (migration 0009): one finding per wave, enterprise and field; a later
    # wave's validation writes its own rows and never changes an earlier wave's
    __table_args__ = (
        UniqueConstraint("wave", "enterprise_id", "field", name="uq_validation_finding_wave_field"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    website_id: Mapped[int | None] = mapped_column(ForeignKey("website.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(40))  # website | address | postcode | phone | ...
    register_value: Mapped[str | None] = mapped_column(Text)
    web_value: Mapped[str | None] = mapped_column(Text)
    # confirmed | contradicted | missing | candidate | none-found | dead | parked
    verdict: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("register_snapshot.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # issue 17 item 4 (migration 0006): sha256 of register value, web value and source page;
    # the decision that holds for this evidence (none: open); what the confidence rests on
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_decision.id", ondelete="SET NULL"))
    basis: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    cron: Mapped[str] = mapped_column(String(100))
    steps: Mapped[list[Any]] = mapped_column(JSON)
    selection: Mapped[str] = mapped_column(String(40), default="all")
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CampaignRun(Base):
    """One execution of a campaign. (campaign, scheduled_for) is unique: whichever scheduler
    process claims a fire time first runs it, so two processes never double-run."""

    __tablename__ = "campaign_run"
    __table_args__ = (UniqueConstraint("campaign_id", "scheduled_for", name="uq_campaign_run_fire"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    # running | finished | failed | interrupted
    status: Mapped[str] = mapped_column(String(20), default="running")
    trigger: Mapped[str] = mapped_column(String(20), default="cron")  # cron | manual | misfire
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # [{"step": ..., "status": ..., "counts": {...}, "seconds": ..., "error": ...}]
    steps: Mapped[list[Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    scheduled_for: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the wave its steps worked in, from the campaign's wave rule (migration 0009; None: no rule)
    wave: Mapped[str | None] = mapped_column(String(20))


# APScheduler 3's SQLAlchemyJobStore table, declared here so that Alembic owns every table in the
# database (the job store's own create_all then finds it and does nothing).
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


# --- waves (migration 0005, issue 17 items 1-3) ---


class EnterpriseWave(Base):
    """Per wave and enterprise: what `v_enterprise_web` said when the wave's sites were
    classified (its best website, the website state, the labels with score and evidence page).
    Pages and classifications keep only their latest version; this row is the wave's record and
    is never changed by a later wave (`store/waves.py`)."""

    __tablename__ = "enterprise_wave"
    __table_args__ = (UniqueConstraint("wave", "enterprise_id", name="uq_enterprise_wave_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"),
                                               index=True)
    website_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the record outlives the row
    website_url: Mapped[str | None] = mapped_column(Text)
    website_status: Mapped[str | None] = mapped_column(String(20))
    # found | unreachable | not-crawled | none (indicators/units.py)
    website_state: Mapped[str] = mapped_column(String(20))
    web_sales: Mapped[str | None] = mapped_column(String(100))
    web_sales_probability: Mapped[float | None] = mapped_column(Float)
    web_sales_evidence: Mapped[str | None] = mapped_column(Text)  # the page that decided
    marketplace: Mapped[str | None] = mapped_column(String(100))
    marketplace_probability: Mapped[float | None] = mapped_column(Float)
    marketplace_evidence: Mapped[str | None] = mapped_column(Text)
    social_media: Mapped[str | None] = mapped_column(String(100))
    social_media_probability: Mapped[float | None] = mapped_column(Float)
    social_media_evidence: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # task -> full evidence list
    models: Mapped[list[Any] | None] = mapped_column(JSON)  # model versions behind the labels
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WaveChange(Base):
    """An enterprise whose status changed between two waves, with the evidence of both."""

    __tablename__ = "wave_change"
    __table_args__ = (UniqueConstraint("from_wave", "to_wave", "enterprise_id", "change",
                                       name="uq_wave_change_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_wave: Mapped[str] = mapped_column(String(20))
    to_wave: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(40))  # web_sales | marketplace | social_media | website
    # e.g. gained-web-sales, lost-web-sales, website-dead, website-found, new-url
    change: Mapped[str] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(String(100))
    after: Mapped[str | None] = mapped_column(String(100))
    before_url: Mapped[str | None] = mapped_column(Text)
    after_url: Mapped[str | None] = mapped_column(Text)
    before_probability: Mapped[float | None] = mapped_column(Float)
    after_probability: Mapped[float | None] = mapped_column(Float)
    before_evidence: Mapped[str | None] = mapped_column(Text)
    after_evidence: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IndicatorChange(Base):
    """The change of an indicator between two waves over the enterprises in both (paired), with
    an interval that accounts for the overlap (`indicators/changes.py`)."""

    __tablename__ = "indicator_change"
    __table_args__ = (UniqueConstraint("indicator", "from_wave", "to_wave", "breakdown_key",
                                       name="uq_indicator_change_cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(60))
    from_wave: Mapped[str] = mapped_column(String(20))
    to_wave: Mapped[str] = mapped_column(String(20))
    breakdown_key: Mapped[str] = mapped_column(String(200))
    estimate_from: Mapped[float | None] = mapped_column(Float)
    estimate_to: Mapped[float | None] = mapped_column(Float)
    difference: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int | None] = mapped_column(Integer)  # enterprises in scope in both waves
    gained: Mapped[int | None] = mapped_column(Integer)
    lost: Mapped[int | None] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- register decisions (migration 0006, issue 17 item 4) ---


class RegisterDecision(Base):
    """A register clerk's decision on a validation finding (accept | reject | done) or a website
    linked by hand (link). Never overwritten: each decision is a new row, and the latest one
    for an (enterprise, field) holds while the finding's evidence fingerprint (register value,
    web value, source page) is the one decided on; new evidence reopens the finding."""

    __tablename__ = "register_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(20))  # accept | reject | done | link
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    # the finding as decided on (the finding row itself changes with every validation)
    verdict: Mapped[str | None] = mapped_column(String(20))
    register_value: Mapped[str | None] = mapped_column(Text)
    web_value: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(Text)


# --- crawl operations (migration 0007, issue 17 item 5) ---


class CrawlRunProcess(Base):
    """A process working on a crawl run, with its heartbeat and its live figures. The `owner`
    (the `crawl sites` command, or the scheduler's step that runs it) writes its row when it
    opens or resumes the run; each crawl process (`crawler`) upserts its own every
    ECOMSTAT_LIVE_STATS_SECONDS. A running run with no fresh heartbeat and no owner alive on
    this host was killed: it holds no sites."""

    __tablename__ = "crawl_run_process"
    __table_args__ = (UniqueConstraint("run_id", "worker", name="uq_crawl_run_process_worker"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id", ondelete="CASCADE"), index=True)
    worker: Mapped[str] = mapped_column(String(100))  # "host:pid"
    role: Mapped[str] = mapped_column(String(20))  # owner | crawler
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    campaign_run_id: Mapped[int | None] = mapped_column(Integer)  # the scheduler's run, if any
    rss_bytes: Mapped[int | None] = mapped_column(BigInteger)
    pages_per_second: Mapped[float | None] = mapped_column(Float)
    # the process's crawl stats so far (ecomstat/..., downloader/response_status_count/...)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SchedulerInstance(Base):
    """A scheduler service process and its heartbeat: `schedule list` says whether one is
    alive (heartbeat younger than ECOMSTAT_HEARTBEAT_MISSES x its interval)."""

    __tablename__ = "scheduler_instance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    interval_seconds: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    stopped_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# --- web application users (migration 0008, issue 18 item 1) ---


class WebUser(Base):
    """A user of `ecomstat serve`: a name, one of the cumulative roles (economist < register <
    operator < admin) and a password hash that carries its own parameters (`scrypt$n=..`), so
    they can be raised later and old hashes still verify."""

    __tablename__ = "web_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's token is stored, so a copy of the
    database does not let anyone sign in; `csrf_token` is what the session's forms must send."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    client: Mapped[str | None] = mapped_column(String(100))


class WebLoginFailure(Base):
    """A failed sign-in, kept for the rate limit (per user name and per client address, over
    every process serving the same store); rows older than the window are deleted."""

    __tablename__ = "web_login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    client: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)



# --- validation findings per wave (migration 0009, issue 17 item 1) ---


class ValidationWave(Base):
    """One wave's `register validate`: when it last ran and what it found. The worklist shows
    the newest validated wave by default; the history reads a finding of the previous validated
    wave that this wave no longer has as resolved (`register/validate_waves.py`)."""

    __tablename__ = "validation_wave"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave: Mapped[str] = mapped_column(String(20), unique=True)
    first_validated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    validated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    enterprises: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    decided: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)  # previous wave's findings gone
    previous_wave: Mapped[str | None] = mapped_column(String(20))


# --- drift between waves (migration 0010, issue 17 item 3) ---


class WaveProfile(Base):
    """Per wave, group (all / language / platform) and metric: the distribution of a classifier
    score on fixed bins, or the counts of a site signal (no, yes), taken while the wave's pages
    and labels are the store's (`classifiers/drift.py`; docs/waves.md, "Drift")."""

    __tablename__ = "wave_profile"
    __table_args__ = (UniqueConstraint("wave", "dimension", "group_value", "metric",
                                       name="uq_wave_profile_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave: Mapped[str] = mapped_column(String(20), index=True)
    dimension: Mapped[str] = mapped_column(String(20))  # all | language | platform
    group_value: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(60))  # site_score, page_score, cart, ...
    kind: Mapped[str] = mapped_column(String(10))  # score | rate
    n: Mapped[int] = mapped_column(Integer)  # units counted (sites, pages or products)
    counts: Mapped[list[Any]] = mapped_column(JSON)  # per bin (score) or [no, yes] (rate)
    invalid: Mapped[int] = mapped_column(Integer, default=0)  # non-finite or outside [0, 1]
    mean: Mapped[float | None] = mapped_column(Float)  # mean score, or share of yes
    models: Mapped[list[Any] | None] = mapped_column(JSON)  # model versions behind the scores
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WaveDrift(Base):
    """The population stability index of one group and metric between two waves, with its
    verdict (stable | moderate | major | too-small)."""

    __tablename__ = "wave_drift"
    __table_args__ = (UniqueConstraint("from_wave", "to_wave", "dimension", "group_value",
                                       "metric", name="uq_wave_drift_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_wave: Mapped[str] = mapped_column(String(20))
    to_wave: Mapped[str] = mapped_column(String(20))
    dimension: Mapped[str] = mapped_column(String(20))
    group_value: Mapped[str] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))
    n_from: Mapped[int] = mapped_column(Integer)
    n_to: Mapped[int] = mapped_column(Integer)
    mean_from: Mapped[float | None] = mapped_column(Float)  # mean score, or share of yes
    mean_to: Mapped[float | None] = mapped_column(Float)
    psi: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
