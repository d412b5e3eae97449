"""The role enum, stored as a PostgreSQL ENUM type."""

from enum import StrEnum


class Role(StrEnum):
{%- for role in cookiecutter.roles | roles %}
    {{ role }} = "{{ role }}"
{%- endfor %}


# The role a new sign-up gets, and the role allowed to manage other users.
DEFAULT_ROLE = Role.{{ cookiecutter.default_role | trim }}
ADMIN_ROLE = Role.{{ cookiecutter.admin_role | trim }}
