"""Configuration: `PDU_*` environment variables, optionally a TOML file (`PDU_CONFIG`).

Validated once at start; a bad value raises `SettingsError` naming the variable.
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

ROOT = Path(__file__).resolve().parent.parent


class Security(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class AuthMethod(StrEnum):
    PASSWORD = "password"
    XOAUTH2_MICROSOFT = "xoauth2-microsoft"
    XOAUTH2_GOOGLE = "xoauth2-google"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


MIN_SECRET_BYTES = 32
# The value every copy of this code once shipped with: never a real secret.
BUILT_IN_SECRETS = frozenset({"dev-insecure-secret-change-me"})
SECRET_HELP = (
    f"PDU_SECRET_KEY is missing, the built-in value or shorter than {MIN_SECRET_BYTES} bytes: "
    "make one with `pdu secret new` and set PDU_SECRET_KEY to it"
)


def weak_secret(secret: str) -> bool:
    return secret in BUILT_IN_SECRETS or len(secret.encode("utf-8")) < MIN_SECRET_BYTES


def new_secret() -> str:
    """A fresh secret: 256 random bits, URL-safe (fits an environment file unquoted)."""
    import secrets

    return secrets.token_urlsafe(MIN_SECRET_BYTES)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PDU_", extra="ignore", frozen=True)

    database_url: str = Field("", description="SQLAlchemy URL; default: SQLite under data_dir")
    data_dir: Path = Field(ROOT / "var", description="attachments, certificates, SQLite file")
    timezone: str = "America/Denver"
    # No default that works: the key hashes reply tokens and derives the credential
    # signing key, so a forgotten setting must stop a service, not weaken it.
    secret_key: str = Field("", description="current secret (`pdu secret new` makes one)")
    secret_keys: str = Field(
        "", description="for rotation: the current secret first, earlier ones after (commas)"
    )
    public_url: str = "http://127.0.0.1:8000"

    mail_address: str = "pdu@opi.example"
    mail_name: str = "OPI Professional Development Units"
    imap_host: str = "127.0.0.1"
    imap_port: int = Field(143, ge=1, le=65535)
    imap_user: str = "pdu"
    imap_password: str = ""
    imap_security: Security = Security.NONE
    imap_auth: AuthMethod = AuthMethod.PASSWORD
    imap_folder: str = "INBOX"
    imap_processed_folder: str = "Processed"
    imap_quarantine_folder: str = "Quarantine"
    imap_timeout: float = Field(30.0, gt=0)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: Security = Security.NONE
    smtp_auth: AuthMethod = AuthMethod.PASSWORD
    smtp_timeout: float = Field(30.0, gt=0)
    # Emails sent at once, each on its own connection (models/services/lanes.py). 3 is
    # Microsoft 365's limit of concurrent SMTP AUTH connections per mailbox.
    smtp_connections: int = Field(3, ge=1, le=16)
    oauth_tenant_id: str = ""
    oauth_client_id: str = ""
    oauth_client_secret: str = ""
    oauth_refresh_token: str = ""
    oauth_token_url: str = "https://oauth2.googleapis.com/token"
    trusted_authserv_id: str = ""

    max_message_bytes: int = Field(30 * 1024 * 1024, gt=0)
    max_attachment_bytes: int = Field(10 * 1024 * 1024, gt=0)
    max_attachments_total_bytes: int = Field(25 * 1024 * 1024, gt=0)
    token_ttl_days: int = Field(60, gt=0)

    review_business_days: int = Field(7, gt=0)
    reminder_business_days_before: int = Field(2, ge=0)
    reassign_business_days_after: int = Field(2, ge=0)
    proof_reminder_business_days: int = Field(5, ge=0)
    proof_expiry_days: int = Field(60, gt=0)
    retention_years: int = Field(5, gt=0)
    portal_idle_minutes: int = Field(30, gt=0, description="a portal session ends unused")
    portal_absolute_hours: int = Field(12, gt=0, description="a portal session ends anyway")
    portal_require_2fa: bool = Field(False, description="account managers must use TOTP")
    retention_years_by_kind: dict[str, int] = Field(
        default_factory=dict,
        description='per record kind, e.g. {"provider": 10, "event": 7} (JSON in the environment)',
    )

    @model_validator(mode="after")
    def _current_key_first(self) -> Settings:
        # `secret_key` is the current secret however it was given (code reading it directly
        # still signs with the current one under rotation).
        if not self.secret_key and self.secret_keys.strip():
            first = next(k.strip() for k in self.secret_keys.split(",") if k.strip())
            self.__dict__["secret_key"] = first
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("retention_years_by_kind")
    @classmethod
    def _known_record_kinds(cls, value: dict[str, int]) -> dict[str, int]:
        from models.enums import RETENTION_KINDS

        unknown = sorted(set(value) - RETENTION_KINDS)
        if unknown:
            known = ", ".join(sorted(RETENTION_KINDS))
            raise ValueError(f"unknown record kind {', '.join(unknown)} (one of {known})")
        if any(years < 1 for years in value.values()):
            raise ValueError("a retention period is at least 1 year")
        return value

    def retention_years_for(self, kind: str) -> int:
        """The retention period of a record kind (a case kind, `event` or `mail`)."""
        return self.retention_years_by_kind.get(str(kind), self.retention_years)

    @property
    def keys(self) -> tuple[str, ...]:
        """The secrets, current first; raises `SettingsError` (one line naming
        PDU_SECRET_KEY) when there is none usable."""
        keys = tuple(k.strip() for k in self.secret_keys.split(",") if k.strip())
        if keys and self.secret_key and self.secret_key != keys[0]:
            raise SettingsError(
                "PDU_SECRET_KEY and PDU_SECRET_KEYS disagree: set only PDU_SECRET_KEYS "
                "(current secret first) or make PDU_SECRET_KEY its first entry"
            )
        keys = keys or ((self.secret_key,) if self.secret_key else ())
        if not keys or any(weak_secret(k) for k in keys):
            raise SettingsError(SECRET_HELP)
        return keys

    @property
    def current_key(self) -> str:
        """The secret new tokens and credentials use."""
        return self.keys[0]

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'pdu.sqlite3'}"

    @property
    def mail_domain(self) -> str:
        return self.mail_address.rpartition("@")[2]


def _toml_values(path: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"PDU_CONFIG={path}: {exc}") from exc
    values = data.get("pdu", data)
    if not isinstance(values, dict):
        raise SettingsError(f"PDU_CONFIG={path}: `pdu` must be a table ([pdu])")
    return values


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the configuration; environment wins over the TOML file."""
    values: dict[str, Any] = {}
    if config := os.environ.get("PDU_CONFIG"):
        values.update(_toml_values(config))
    values = {k: v for k, v in values.items() if f"PDU_{k.upper()}" not in os.environ}
    values.update(overrides)
    try:
        return Settings(**values)
    except PydanticSettingsError as exc:  # a JSON-valued variable that is not JSON
        field = str(exc).split('"')[1] if '"' in str(exc) else "?"
        raise SettingsError(
            f"invalid configuration: PDU_{field.upper()}: not valid JSON "
            '(e.g. {"provider": 10, "event": 7})'
        ) from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "PDU_" + "_".join(str(p) for p in error["loc"]).upper()
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the demo change the environment)."""
    get_settings.cache_clear()
