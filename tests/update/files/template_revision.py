"""Add users.signed_in_at.

Revision ID: NEXT
Revises: LAST
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "NEXT"
down_revision: str | Sequence[str] | None = "LAST"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "signed_in_at")
