"""Users of the web application, their sessions and failed sign-ins (issue 18, item 1)

web_user: name, role (economist | register | operator | admin) and a scrypt password hash with
its parameters; web_session: signed-in browsers (only a hash of the cookie's token, and the
session's CSRF token); web_login_failure: failed sign-ins for the rate limit, shared by every
process serving the store.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_user")),
        sa.UniqueConstraint("name", name=op.f("uq_web_user_name")),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["web_user.id"],
                                name=op.f("fk_web_session_user_id_web_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )
    op.create_index(op.f("ix_web_session_user_id"), "web_session", ["user_id"], unique=False)
    op.create_index(op.f("ix_web_session_expires_at"), "web_session", ["expires_at"], unique=False)
    op.create_table(
        "web_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_login_failure")),
    )
    op.create_index(op.f("ix_web_login_failure_name"), "web_login_failure", ["name"], unique=False)
    op.create_index(op.f("ix_web_login_failure_client"), "web_login_failure", ["client"], unique=False)
    op.create_index(op.f("ix_web_login_failure_at"), "web_login_failure", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_login_failure_at"), table_name="web_login_failure")
    op.drop_index(op.f("ix_web_login_failure_client"), table_name="web_login_failure")
    op.drop_index(op.f("ix_web_login_failure_name"), table_name="web_login_failure")
    op.drop_table("web_login_failure")
    op.drop_index(op.f("ix_web_session_expires_at"), table_name="web_session")
    op.drop_index(op.f("ix_web_session_user_id"), table_name="web_session")
    op.drop_table("web_session")
    op.drop_table("web_user")
