"""Configuration, read once from the environment and `.env` by `get_settings()`."""

import math
from collections import Counter
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from itertools import pairwise
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import Depends
from pydantic import Field, IPvAnyNetwork, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from {{ cookiecutter.package_name }}.database.pooler import Pooler
from {{ cookiecutter.package_name }}.users.roles import ADMIN_ROLE, DEFAULT_ROLE

ASYNC_SCHEME = "postgresql+asyncpg"
PLAIN_SCHEMES = ("postgresql", "postgres")


# A random key of 32 characters or more scores above this (`secrets.token_hex(16)` 92 or more,
# `token_urlsafe(48)` about 330); 32 equal characters, a word repeated or an alphabet do not.
MIN_SECRET_KEY_BITS = 80


def _shannon_bits(symbols: list[int]) -> float:
    counts = Counter(symbols)
    return -sum(n * math.log2(n / len(symbols)) for n in counts.values())


@lru_cache(maxsize=4)  # the same key is read again whenever the settings are
def _guessing_bits(key: str) -> float:
    # zxcvbn knows words, keyboard walks and dates, which the characters' statistics miss; it
    # scores only a start (its cost grows quickly with the length).
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]

    guesses_log10: float = zxcvbn(key[:72])["guesses_log10"]
    return guesses_log10 * math.log2(10)


def estimated_entropy_bits(key: str) -> float:
    """A generous estimate of a key's entropy: the least of the Shannon entropy of its
    characters (or of the steps between them, which exposes runs such as "abcd..."), counted
    over one period when the key repeats a shorter unit, and zxcvbn's estimate of the guesses
    it takes."""
    guessing = _guessing_bits(key)
    for period in range(1, len(key) // 2 + 1):
        if len(key) % period == 0 and key == key[:period] * (len(key) // period):
            key = key[:period]
            break
    codes = [ord(character) for character in key]
    steps = [later - earlier for earlier, later in pairwise(codes)]
    return min(_shannon_bits(codes), _shannon_bits(steps) if steps else 0.0, guessing)


class Settings(BaseSettings):
    # hide_input_in_errors: an error must not print DATABASE_URL's password or the key.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    # Unset: the tests and `dev` start an embedded PostgreSQL; the app itself refuses to start.
    database_url: str | None = None
    secret_key: SecretStr = Field(min_length=32)
    # Short: a refresh token (its session's) gets the next one.
    access_token_expire_minutes: int = Field(default=15, ge=1, le=1_440)
    # A session's lifetime from its login, however often it is refreshed.
    refresh_token_expire_days: int = Field(default=30, ge=1, le=366)
    # A user's sessions live at once; a new login ends the oldest beyond it (auth/sessions.py).
    max_sessions_per_user: int = Field(default=100, ge=1, le=10_000)
    # A stuck database (a lock, a slow query) gives 503 in seconds, not a hung request.
    database_statement_timeout_seconds: float = Field(default=5, gt=0, le=3600)
    database_pool_timeout_seconds: float = Field(default=5, gt=0, le=3600)
    # /health/ready's answer comes within this, even when every pooled connection is busy.
    readiness_timeout_seconds: float = Field(default=0.9, gt=0, le=60)
    # /docs, /redoc and /openapi.json; a public deployment may turn them off.
    docs_enabled: bool = True
    # Larger bodies get 413 before they are read in full (chunked ones too).
    max_request_body_bytes: int = Field(default=1_048_576, ge=1_024)
    # The longest `text` (and length-less `str`) field value a request may carry.
    text_max_length: int = Field(default=10_000, ge=1)
    # 12: above ASVS 5.0 6.2.1's floor of 8, towards its recommended 15, still typable.
    password_min_length: int = Field(default=12, ge=8, le=128)
    # Throttling (throttling.py), shared by every process through the database; 0 turns one off.
    login_max_failures_per_account: int = Field(default=5, ge=0)
    login_max_failures_per_address: int = Field(default=50, ge=0)
    login_failure_window_seconds: int = Field(default=900, ge=1, le=86_400)
    # Device cookies (auth/devices.py): a device's failures count apart from strangers'; 0 is off.
    device_cookie_days: int = Field(default=365, ge=0, le=3_650)
    signup_max_per_address_per_hour: int = Field(default=100, ge=0)
    # Anyone may sign up (POST /users without an admin's token); false: only admins add users.
    # Closed by default where a sign-up would get the admin role (default_role is admin_role).
    signup_open: bool = DEFAULT_ROLE != ADMIN_ROLE
    # The IPv6 network a client's per-address limits count as one: a host usually has a /64.
    throttle_ipv6_prefix_length: int = Field(default=64, ge=16, le=128)
    # Proxies whose X-Forwarded-For is believed, e.g. ["10.0.0.0/8"]; others' is ignored.
    trusted_proxies: list[IPvAnyNetwork] = Field(default=[])
    # Web pages of other origins that may call the API from a browser (web/cors.py), e.g.
    # ["https://app.example"], or ["*"] for any; none by default.
    cors_allowed_origins: list[str] = Field(default=[])
    # Argon2id cost; the defaults are OWASP's recommended minimum.
    argon2_memory_kib: int = Field(default=19_456, ge=8_192, le=1_048_576)
    argon2_time_cost: int = Field(default=2, ge=1, le=100)
    # What stands between the app and PostgreSQL; an unknown value stops the start naming both.
    database_pooler: Pooler = "none"
    # The connection budget (connection_budget.py): each process's pool, how many processes.
    # 16 held open covers the concurrency a process serves well (more queue on the CPU anyway);
    # 4 more for bursts. Too small a pool opens and closes connections under load.
    database_pool_size: int = Field(default=16, ge=1)
    database_max_overflow: int = Field(default=4, ge=0)
    replicas: int = Field(default=1, ge=1)
    web_concurrency: int = Field(default=1, ge=1)  # uvicorn's --workers reads it too
    database_connection_budget: int = Field(default=90, ge=1)
    # On SIGTERM: how long to keep serving (readiness 503) before closing the listening socket,
    # then how long requests in flight may take to finish before they are cancelled.
    shutdown_delay_seconds: float = Field(default=0, ge=0)
    shutdown_timeout_seconds: float = Field(default=20, gt=0)
    # The HTTP server's own limits (`serve`, web/http_protocol.py): a request's header section
    # may be this large and take this long to arrive, else 431 or a closed connection.
    max_header_bytes: int = Field(default=32_768, ge=4_096, le=1_048_576)
    header_timeout_seconds: float = Field(default=5, gt=0, le=300)
    # `serve`: a request's body must be in within this of its headers (web/http_protocol.py).
    body_timeout_seconds: float = Field(default=30, gt=0, le=600)
    # Connections a process holds open (idle ones included): sockets and memory stay bounded.
    max_connections: int = Field(default=2_048, ge=1)
    # Requests a process works on at once (web/request_limit.py); past it, 503 at once.
    max_concurrent_requests: int = Field(default=100, ge=1)
    # Logs (observability/logs.py): one JSON object per line, or readable lines for a person;
    # unset, `serve` writes JSON and `dev` readable lines.
    log_format: Literal["json", "console"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The app's line per request (observability/access_log.py).
    access_log: bool = True
    # Prometheus metrics at GET /metrics (observability/metrics.py), answered only to requests
    # made directly (no proxy's X-Forwarded-For or Forwarded) from these networks.
    metrics_enabled: bool = True
    metrics_allowed_networks: list[IPvAnyNetwork] = Field(
        default=[
            IPv4Network("127.0.0.0/8"),
            IPv4Network("10.0.0.0/8"),
            IPv4Network("172.16.0.0/12"),
            IPv4Network("192.168.0.0/16"),
            IPv6Network("::1/128"),
            IPv6Network("fc00::/7"),
        ]
    )

    # Mail (mail/): SMTP_HOST unset, mails are written to the log instead of sent (`dev`'s
    # default; `serve` says so at start-up).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    # starttls: a plain connection upgraded (port 587); tls: TLS from the first byte (465).
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=600)
    # The sender's address; a bare address gets the project's name as its display name.
    email_from: str = "no-reply@example.com"
    # Where links in mails point: the site (or app) that shows the forms, e.g. a reset form.
    public_base_url: str = "http://127.0.0.1:8000"
    # The outbox (mail/sender.py): how often each process looks for mail to send; a failed
    # attempt is retried after MAIL_RETRY_FIRST_SECONDS, doubling up to MAIL_RETRY_MAX_SECONDS,
    # until MAIL_GIVE_UP_HOURS after it was queued; sent and failed rows go after MAIL_KEEP_DAYS.
    mail_poll_seconds: float = Field(default=1, gt=0, le=300)
    mail_retry_first_seconds: float = Field(default=2, gt=0, le=3_600)
    mail_retry_max_seconds: float = Field(default=900, gt=0, le=86_400)
    mail_give_up_hours: float = Field(default=48, gt=0, le=24 * 30)
    mail_keep_days: float = Field(default=7, gt=0, le=3_650)
    # Password reset (auth/password_reset.py): a link's lifetime, and requests per hour.
    password_reset_token_minutes: int = Field(default=30, ge=1, le=1_440)
    password_reset_max_per_account_per_hour: int = Field(default=5, ge=0)
    password_reset_max_per_address_per_hour: int = Field(default=30, ge=0)
    # Email verification (auth/email_verification.py): a link's lifetime, requests per hour,
    # and whether an unverified account may log in.
    email_verification_token_hours: int = Field(default=48, ge=1, le=24 * 30)
    email_verification_max_per_account_per_hour: int = Field(default=5, ge=0)
    email_verification_max_per_address_per_hour: int = Field(default=30, ge=0)
    require_verified_email: bool = False

    @field_validator("secret_key")
    @classmethod
    def _unguessable(cls, key: SecretStr) -> SecretStr:
        bits = estimated_entropy_bits(key.get_secret_value())
        if bits < MIN_SECRET_KEY_BITS:
            # Never the key itself: only how weak it is and how to make a good one.
            raise ValueError(
                f"SECRET_KEY is too predictable (about {bits:.0f} bits of entropy, at least "
                f"{MIN_SECRET_KEY_BITS} needed): make one with "
                'python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return key

    @field_validator("smtp_host", "smtp_username")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        # `SMTP_HOST=` in .env or compose: unset, as it reads.
        return value.strip() or None if value is not None else None

    @field_validator("public_base_url")
    @classmethod
    def _web_address(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError("PUBLIC_BASE_URL must start with https:// (or http://)")
        return url.rstrip("/")

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        # A browser sends the scheme and host in lower case.
        lowered = [origin.lower() for origin in origins]
        for origin, written in zip(lowered, origins, strict=True):
            parts = urlsplit(origin)
            if origin == "*" or (
                parts.scheme in ("https", "http")
                and parts.hostname
                and origin == f"{parts.scheme}://{parts.netloc}"
            ):
                continue
            raise ValueError(
                f"{written!r} is not an origin: write scheme://host[:port] without a path or a "
                "trailing slash, e.g. https://app.example, or * for any"
            )
        return lowered

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


class SettingsError(RuntimeError):
    """A setting is missing or invalid: each named, with what it must be (never its value)."""


class MissingDatabaseUrlError(SettingsError):
    """The service was started without a database to use."""


def _problem(error: ErrorDetails) -> str:
    name = "_".join(str(part) for part in error["loc"]).upper()
    message = error["msg"].removeprefix("Value error, ")
    return message if message.startswith(name) else f"{name}: {message}"


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(_problem(each) for each in error.errors())
        raise SettingsError(f"invalid settings: {problems}") from None


async def app_settings() -> Settings:
    """The cached settings; an async dependency, as FastAPI runs plain functions in a thread."""
    return get_settings()


# A route's parameter: `settings: AppSettings`.
AppSettings = Annotated[Settings, Depends(app_settings)]
