"""Validation findings kept per wave (issue 17, item 1 leftover)

validation_finding gets a `wave` column and is unique per (wave, enterprise, field) instead of
(enterprise, field): a later wave's `register validate` writes its own rows and never changes an
earlier wave's. validation_wave records each validated wave (when, counts, resolved findings).
campaign_run.wave: the wave a scheduled run's steps worked in (the campaign's wave rule).

Existing findings were written by the last validation before this upgrade, which read the pages
of the newest crawl: they get the wave of the newest crawl run that visited websites; without
any such run, the calendar quarter (UTC) of the newest finding (the default rule of
`store/waves.py`). docs/register-decisions.md.

Revision ID: 0009
Revises: 0008
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _quarter(at: dt.datetime | str) -> str:
    """The default wave (calendar quarter, UTC), frozen here."""
    if isinstance(at, str):  # a driver that hands back text
        at = dt.datetime.fromisoformat(at[:19])
    if at.tzinfo is not None:
        at = at.astimezone(dt.timezone.utc)
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


def _existing_wave(bind: sa.Connection) -> tuple[str | None, object]:
    """The wave the existing findings belong to (None: no findings) and their newest time."""
    findings = sa.table("validation_finding", sa.column("created_at", sa.DateTime(timezone=True)))
    count, newest = bind.execute(sa.select(sa.func.count(), sa.func.max(findings.c.created_at))).one()
    if not count:
        return None, None
    wave = bind.execute(sa.text(
        "SELECT r.wave FROM crawl_run r WHERE r.wave IS NOT NULL AND r.spider <> 'shop_listing' "
        "AND EXISTS (SELECT 1 FROM site_visit v WHERE v.run_id = r.id) "
        "ORDER BY r.id DESC LIMIT 1")).scalar()
    return wave or _quarter(newest or dt.datetime.now(dt.timezone.utc)), newest


def upgrade() -> None:
    op.create_table(
        "validation_wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.String(length=20), nullable=False),
        sa.Column("first_validated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprises", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("previous_wave", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_validation_wave"),
        sa.UniqueConstraint("wave", name="uq_validation_wave_wave"),
    )
    # the wave a campaign run's steps worked in (the campaign's wave rule; issue 17 item 1)
    op.add_column("campaign_run", sa.Column("wave", sa.String(length=20), nullable=True))
    bind = op.get_bind()
    wave, newest = _existing_wave(bind)
    with op.batch_alter_table("validation_finding") as batch:
        batch.add_column(sa.Column("wave", sa.String(length=20), nullable=True))
    if wave is not None:
        bind.execute(sa.text("UPDATE validation_finding SET wave = :wave"), {"wave": wave})
        stats = bind.execute(sa.text(
            "SELECT COUNT(*), COUNT(DISTINCT enterprise_id), COUNT(decision_id) "
            "FROM validation_finding")).one()
        at = newest or dt.datetime.now(dt.timezone.utc)
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at[:19])
        table = sa.table("validation_wave", *(sa.column(c) for c in (
            "wave", "first_validated_at", "validated_at", "enterprises", "findings", "decided",
            "reopened", "resolved")))
        bind.execute(table.insert().values(
            wave=wave, first_validated_at=at, validated_at=at, enterprises=stats[1],
            findings=stats[0], decided=stats[2], reopened=0, resolved=0))
    with op.batch_alter_table("validation_finding") as batch:
        batch.alter_column("wave", existing_type=sa.String(length=20), nullable=False)
        batch.drop_constraint("uq_validation_finding_field", type_="unique")
        batch.create_unique_constraint("uq_validation_finding_wave_field",
                                       ["wave", "enterprise_id", "field"])


def downgrade() -> None:
    # back to one finding per (enterprise, field): the newest validated wave's are kept
    bind = op.get_bind()
    latest = bind.execute(sa.text(
        "SELECT wave FROM validation_wave ORDER BY validated_at DESC, id DESC LIMIT 1")).scalar()
    if latest is not None:
        bind.execute(sa.text("DELETE FROM validation_finding WHERE wave <> :wave"), {"wave": latest})
    with op.batch_alter_table("validation_finding") as batch:
        batch.drop_constraint("uq_validation_finding_wave_field", type_="unique")
        batch.create_unique_constraint("uq_validation_finding_field", ["enterprise_id", "field"])
        batch.drop_column("wave")
    op.drop_table("validation_wave")
    with op.batch_alter_table("campaign_run") as batch:
        batch.drop_column("wave")
