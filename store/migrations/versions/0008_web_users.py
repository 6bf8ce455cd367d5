"""Users of the web application and their login attempts (issue 18, item 1)

PLACEHOLDER created by the lead so that parallel work keeps one revision chain; the web-core helper
fills upgrade()/downgrade() and this docstring.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
