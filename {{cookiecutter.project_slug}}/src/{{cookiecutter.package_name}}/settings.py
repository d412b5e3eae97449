"""Configuration, read once from the environment and `.env` by `get_settings()`."""

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from {{ cookiecutter.package_name }}.pooler import Pooler

ASYNC_SCHEME = "postgresql+asyncpg"
PLAIN_SCHEMES = ("postgresql", "postgres")


class Settings(BaseSettings):
    # hide_input_in_errors: an error must not print DATABASE_URL's password or the key.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    # Unset: the tests and `dev` start an embedded PostgreSQL; the app itself refuses to start.
    database_url: str | None = None
    secret_key: SecretStr = Field(min_length=32)
    access_token_expire_minutes: int = Field(default=30, ge=1)
    # Argon2id cost; the defaults are OWASP's recommended minimum.
    argon2_memory_kib: int = Field(default=19_456, ge=8_192)
    argon2_time_cost: int = Field(default=2, ge=1)
    # What stands between the app and PostgreSQL; an unknown value stops the start naming both.
    database_pooler: Pooler = "none"
    # The connection budget (connection_budget.py): each process's pool, how many processes.
    database_pool_size: int = Field(default=5, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    replicas: int = Field(default=1, ge=1)
    web_concurrency: int = Field(default=1, ge=1)  # uvicorn's --workers reads it too
    database_connection_budget: int = Field(default=90, ge=1)
    # On SIGTERM: how long to keep serving (readiness 503) before closing the listening socket,
    # then how long requests in flight may take to finish before they are cancelled.
    shutdown_delay_seconds: float = Field(default=0, ge=0)
    shutdown_timeout_seconds: float = Field(default=20, gt=0)

    @field_validator("database_url")
    @classmethod
    def _use_asyncpg(cls, url: str | None) -> str | None:
        if url is None:
            return None
        scheme, separator, rest = url.partition("://")
        if separator and scheme in PLAIN_SCHEMES:
            return f"{ASYNC_SCHEME}://{rest}"
        if scheme != ASYNC_SCHEME or not separator:
            # The URL itself may hold a password: name only its scheme.
            raise ValueError(
                f"DATABASE_URL must start with postgresql:// or {ASYNC_SCHEME}://, "
                f"not {scheme + '://' if separator else 'a value without a scheme'}"
            )
        return url

    def require_database_url(self) -> str:
        """DATABASE_URL, which the service, migrations and deployments cannot do without."""
        if self.database_url is None:
            raise MissingDatabaseUrlError(
                "DATABASE_URL is not set: set it (environment or .env) to the database's URL, "
                "e.g. postgresql://user:password@host:5432/name; for development, the project's "
                "`dev` command starts a database of its own (see README.md)"
            )
        return self.database_url


class MissingDatabaseUrlError(RuntimeError):
    """The service was started without a database to use."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
