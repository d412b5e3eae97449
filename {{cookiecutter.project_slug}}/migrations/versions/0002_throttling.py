"""Add the tables that throttle logins and sign-ups: login_failures and sign_ups.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(320), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column(
            "failed_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    for column in ("account", "address", "failed_at"):
        op.create_index(
            op.f(f"ix_login_failures_{column}"), "login_failures", [column], unique=False
        )
    op.create_table(
        "sign_ups",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column(
            "signed_up_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_ups")),
    )
    for column in ("address", "signed_up_at"):
        op.create_index(op.f(f"ix_sign_ups_{column}"), "sign_ups", [column], unique=False)


def downgrade() -> None:
    op.drop_table("sign_ups")
    op.drop_table("login_failures")
