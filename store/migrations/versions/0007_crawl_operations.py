"""Crawl operations that can be watched: scheduler liveness, skipped fires, live run figures (issue 17, item 5)

crawl_run_process: the processes of a crawl run (its owner and its crawl processes) with their
heartbeat and live figures; scheduler_instance: the scheduler services' heartbeats. Skipped fires
need no schema change (campaign_run rows with status 'skipped' and the reason in `error`).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_run_process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("campaign_run_id", sa.Integer(), nullable=True),
        sa.Column("rss_bytes", sa.BigInteger(), nullable=True),
        sa.Column("pages_per_second", sa.Float(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_run.id"],
                                name=op.f("fk_crawl_run_process_run_id_crawl_run"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_run_process")),
        sa.UniqueConstraint("run_id", "worker", name="uq_crawl_run_process_worker"),
    )
    op.create_index(op.f("ix_crawl_run_process_run_id"), "crawl_run_process", ["run_id"], unique=False)
    op.create_table(
        "scheduler_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_instance")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_instance")
    op.drop_index(op.f("ix_crawl_run_process_run_id"), table_name="crawl_run_process")
    op.drop_table("crawl_run_process")
