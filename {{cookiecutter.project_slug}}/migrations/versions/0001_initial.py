"""Create the users table and its role type.

Revision ID: 0001
Revises:
"""
{%- set fields = cookiecutter.user_fields | user_fields %}
{%- set table = "users" %}

{% filter with_type_imports(fields, "migration") %}
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
{% endfilter %}

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The roles as they were when the project was made: a later change to roles.py needs its own
# migration (ALTER TYPE user_role ADD VALUE ...), which autogenerate does not write.
USER_ROLE = sa.Enum(
{%- for role in cookiecutter.roles | roles %}
    "{{ role }}",
{%- endfor %}
    name="user_role",
)


def upgrade() -> None:
    # Creating the table creates the role type first.
    op.create_table(
        "{{ table }}",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("hashed_password", sa.String(255), nullable=False),
        sa.Column("role", USER_ROLE, nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
{%- for field in fields %}
{{ field | migration_column }},
{%- endfor %}
        sa.PrimaryKeyConstraint("id", name=op.f("pk_{{ table }}")),
        sa.UniqueConstraint("email", name=op.f("uq_{{ table }}_email")),
{%- for constraint in fields | map("migration_constraint", table) | select %}
{{ constraint }},
{%- endfor %}
    )
    op.create_index(op.f("ix_{{ table }}_role"), "{{ table }}", ["role"], unique=False)
{%- for index in fields | map("migration_index", table) | select %}
{{ index }}
{%- endfor %}


def downgrade() -> None:
    op.drop_table("{{ table }}")
    # Dropping the table leaves its enum type behind.
    USER_ROLE.drop(op.get_bind(), checkfirst=True)
