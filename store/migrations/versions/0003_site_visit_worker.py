"""site_visit.worker: which crawl process ("host:pid") claimed a site last

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("site_visit", sa.Column("worker", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("site_visit") as batch:
        batch.drop_column("worker")
