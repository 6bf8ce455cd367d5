"""Waves: the period of data collection on crawl runs, labels, findings and indicators kept per wave (issue 17, items 1-3)

crawl_run.wave (existing runs get the calendar quarter, UTC, they started in: the default rule
of `store/waves.py`); enterprise_wave (per wave and enterprise: best website, website state,
labels with score and evidence page); wave_change and indicator_change (changes between two
waves); v_enterprise_web recreated (website state and wave columns, labels of found websites
only) and v_enterprise_wave added.

Revision ID: 0005
Revises: 0004
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from ecomstat.store.views import VIEWS, VIEWS_0005

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _quarter(started: dt.datetime | str | None) -> str | None:
    """The default wave of `store/waves.py` (calendar quarter, UTC), frozen here."""
    if started is None:
        return None
    if isinstance(started, str):  # a driver that hands back text
        started = dt.datetime.fromisoformat(started[:19])
    return f"{started.year}Q{(started.month - 1) // 3 + 1}"


def upgrade() -> None:
    op.add_column("crawl_run", sa.Column("wave", sa.String(length=20), nullable=True))
    op.create_index("ix_crawl_run_wave", "crawl_run", ["wave"])
    # v_enterprise_web looks up each site's latest visit: without it, a scan of site_visit per
    # enterprise (20 s per 5,000 rows at 100,000 enterprises on PostgreSQL)
    op.create_index("ix_site_visit_website_run", "site_visit", ["website_id", "run_id"])
    bind = op.get_bind()
    runs = sa.table("crawl_run", sa.column("id", sa.Integer), sa.column("wave", sa.String),
                    sa.column("started_at", sa.DateTime(timezone=True)))
    for run_id, started in bind.execute(sa.select(runs.c.id, runs.c.started_at)).all():
        bind.execute(runs.update().where(runs.c.id == run_id).values(wave=_quarter(started)))

    op.create_table(
        "enterprise_wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("website_id", sa.Integer(), nullable=True),
        sa.Column("website_url", sa.Text(), nullable=True),
        sa.Column("website_status", sa.String(length=20), nullable=True),
        sa.Column("website_state", sa.String(length=20), nullable=False),
        sa.Column("web_sales", sa.String(length=100), nullable=True),
        sa.Column("web_sales_probability", sa.Float(), nullable=True),
        sa.Column("web_sales_evidence", sa.Text(), nullable=True),
        sa.Column("marketplace", sa.String(length=100), nullable=True),
        sa.Column("marketplace_probability", sa.Float(), nullable=True),
        sa.Column("marketplace_evidence", sa.Text(), nullable=True),
        sa.Column("social_media", sa.String(length=100), nullable=True),
        sa.Column("social_media_probability", sa.Float(), nullable=True),
        sa.Column("social_media_evidence", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("models", sa.JSON(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"], ondelete="CASCADE",
                                name="fk_enterprise_wave_enterprise_id_enterprise"),
        sa.PrimaryKeyConstraint("id", name="pk_enterprise_wave"),
        sa.UniqueConstraint("wave", "enterprise_id", name="uq_enterprise_wave_key"),
    )
    op.create_index("ix_enterprise_wave_enterprise_id", "enterprise_wave", ["enterprise_id"])
    op.create_table(
        "wave_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_wave", sa.String(length=20), nullable=False),
        sa.Column("to_wave", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("task", sa.String(length=40), nullable=False),
        sa.Column("change", sa.String(length=40), nullable=False),
        sa.Column("before", sa.String(length=100), nullable=True),
        sa.Column("after", sa.String(length=100), nullable=True),
        sa.Column("before_url", sa.Text(), nullable=True),
        sa.Column("after_url", sa.Text(), nullable=True),
        sa.Column("before_probability", sa.Float(), nullable=True),
        sa.Column("after_probability", sa.Float(), nullable=True),
        sa.Column("before_evidence", sa.Text(), nullable=True),
        sa.Column("after_evidence", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"], ondelete="CASCADE",
                                name="fk_wave_change_enterprise_id_enterprise"),
        sa.PrimaryKeyConstraint("id", name="pk_wave_change"),
        sa.UniqueConstraint("from_wave", "to_wave", "enterprise_id", "change",
                            name="uq_wave_change_key"),
    )
    op.create_table(
        "indicator_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=60), nullable=False),
        sa.Column("from_wave", sa.String(length=20), nullable=False),
        sa.Column("to_wave", sa.String(length=20), nullable=False),
        sa.Column("breakdown_key", sa.String(length=200), nullable=False),
        sa.Column("estimate_from", sa.Float(), nullable=True),
        sa.Column("estimate_to", sa.Float(), nullable=True),
        sa.Column("difference", sa.Float(), nullable=True),
        sa.Column("se", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("gained", sa.Integer(), nullable=True),
        sa.Column("lost", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_indicator_change"),
        sa.UniqueConstraint("indicator", "from_wave", "to_wave", "breakdown_key",
                            name="uq_indicator_change_cell"),
    )
    for name, sql in VIEWS_0005.items():
        op.execute(f"DROP VIEW IF EXISTS {name}")
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    # Every view goes while crawl_run is rebuilt (SQLite's batch mode copies the table, and a
    # view that names it would stop the rename); they come back as revision 0002 made them.
    for name in {**VIEWS, **VIEWS_0005}:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_index("ix_site_visit_website_run", table_name="site_visit")
    op.drop_table("indicator_change")
    op.drop_table("wave_change")
    op.drop_index("ix_enterprise_wave_enterprise_id", table_name="enterprise_wave")
    op.drop_table("enterprise_wave")
    op.drop_index("ix_crawl_run_wave", table_name="crawl_run")
    with op.batch_alter_table("crawl_run") as batch:
        batch.drop_column("wave")
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")
