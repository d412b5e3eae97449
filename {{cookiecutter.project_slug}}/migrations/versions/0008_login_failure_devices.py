"""Add login_failures.device: a device cookie's failures count apart from strangers'.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null for the failures counted so far: as a stranger's.
    op.add_column("login_failures", sa.Column("device", sa.String(32), nullable=True))


def downgrade() -> None:
    op.drop_column("login_failures", "device")
