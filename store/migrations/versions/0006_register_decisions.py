"""Register decisions that stick: decided findings and manual links (issue 17, item 4)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("register_value", sa.Text(), nullable=True),
        sa.Column("web_value", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"], ondelete="CASCADE",
                                name="fk_register_decision_enterprise_id_enterprise"),
        sa.PrimaryKeyConstraint("id", name="pk_register_decision"),
    )
    op.create_index("ix_register_decision_enterprise_id", "register_decision", ["enterprise_id"])
    # batch mode: SQLite adds a foreign key by copying the table
    with op.batch_alter_table("validation_finding") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("basis", sa.JSON(), nullable=True))
        batch.create_foreign_key("fk_validation_finding_decision_id_register_decision",
                                 "register_decision", ["decision_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("validation_finding") as batch:
        batch.drop_constraint("fk_validation_finding_decision_id_register_decision", type_="foreignkey")
        batch.drop_column("basis")
        batch.drop_column("decision_id")
        batch.drop_column("fingerprint")
    op.drop_index("ix_register_decision_enterprise_id", table_name="register_decision")
    op.drop_table("register_decision")
