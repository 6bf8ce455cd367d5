"""audit_label.design, .stratum, .design_weight: the audit sample's design (issue 16)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_label", sa.Column("design", sa.String(length=20), nullable=True))
    op.add_column("audit_label", sa.Column("stratum", sa.String(length=100), nullable=True))
    op.add_column("audit_label", sa.Column("design_weight", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_label") as batch:
        batch.drop_column("design_weight")
        batch.drop_column("stratum")
        batch.drop_column("design")
