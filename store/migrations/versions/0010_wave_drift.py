"""Classifier score and signal-rate drift between waves (issue 17, item 3)

wave_profile: per wave, group (all / language / platform) and metric, the distribution of a
classifier score on fixed bins or the counts of a site signal; wave_drift: the population
stability index of each group and metric between two waves, with its verdict.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wave_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.String(length=20), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("group_value", sa.String(length=100), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("models", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_profile")),
        sa.UniqueConstraint("wave", "dimension", "group_value", "metric",
                            name="uq_wave_profile_key"),
    )
    op.create_index(op.f("ix_wave_profile_wave"), "wave_profile", ["wave"], unique=False)
    op.create_table(
        "wave_drift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_wave", sa.String(length=20), nullable=False),
        sa.Column("to_wave", sa.String(length=20), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("group_value", sa.String(length=100), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("n_from", sa.Integer(), nullable=False),
        sa.Column("n_to", sa.Integer(), nullable=False),
        sa.Column("mean_from", sa.Float(), nullable=True),
        sa.Column("mean_to", sa.Float(), nullable=True),
        sa.Column("psi", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_drift")),
        sa.UniqueConstraint("from_wave", "to_wave", "dimension", "group_value", "metric",
                            name="uq_wave_drift_key"),
    )


def downgrade() -> None:
    op.drop_table("wave_drift")
    op.drop_index(op.f("ix_wave_profile_wave"), table_name="wave_profile")
    op.drop_table("wave_profile")
