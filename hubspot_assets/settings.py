"""Settings read from the environment (or `.env`): one place that names every knob users can set.

Every module takes a `Settings` instance (or the few values it needs) as an argument; nothing else reads
`os.environ`. Secrets are `SecretStr`, so they never print in a repr, a log line or an error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Tier = Literal["free", "starter", "pro", "professional", "enterprise", "oauth", "increase", "unlimited"]
ApiVersion = Literal["legacy", "2026-03"]


class Settings(BaseSettings):
    """hubspot-elt settings. Each field is read from the environment variable `HUBSPOT_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="HUBSPOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    access_token: SecretStr | None = Field(default=None, description="Private-app token (pat-...).")
    client_id: str | None = Field(default=None, description="OAuth app client id.")
    client_secret: SecretStr | None = Field(default=None, description="OAuth app client secret; also signs webhooks.")
    base_url: str = Field(default="https://api.hubapi.com", description="API host; the sandbox URL for local work.")
    tier: Tier = Field(default="pro", description="Account tier, which sets the 10-second request budget.")
    api_version: ApiVersion = Field(default="legacy", description="legacy (v3/v4 paths) or 2026-03 (dated paths).")
    warehouse_path: Path = Field(default=Path("data/warehouse.duckdb"), description="DuckDB warehouse file.")
    queue_url: str = Field(default="sqlite:///data/webhook_queue.sqlite", description="Webhook queue store.")
    token_key: SecretStr | None = Field(default=None, description="Key that encrypts the OAuth token store.")
    token_store_path: Path = Field(default=Path("data/oauth_tokens.enc"), description="Encrypted OAuth token store.")
    state_dir: Path = Field(default=Path("data/state"), description="Shared rate-limit and breaker state.")
    # HTTP client (hubspot_assets/hubspot): timeouts, retries, breaker, rate-limit safety, OAuth.
    connect_timeout_s: float = Field(default=10.0, gt=0, description="Seconds to wait for a connection to HubSpot.")
    read_timeout_s: float = Field(default=60.0, gt=0, description="Seconds to wait for an answer once connected.")
    retry_max_attempts: int = Field(default=6, ge=1, description="Attempts per request (first try included).")
    retry_max_wait_s: float = Field(
        default=300.0, ge=0, description="Longest total time one request may spend waiting between retries."
    )
    retry_backoff_base_s: float = Field(default=0.5, gt=0, description="First back-off step; doubles per retry.")
    retry_backoff_max_s: float = Field(default=30.0, gt=0, description="Longest single back-off step.")
    rate_limit_margin: float = Field(
        default=0.03,
        ge=0,
        le=0.5,
        description="Safety margin on rate-limit windows (0.03 = a 10 s window is kept as 10.3 s) so latency "
        "jitter never turns into a 429.",
    )
    daily_reserve: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of the daily API quota left untouched for the account's other integrations.",
    )
    breaker_failure_threshold: int = Field(
        default=5, ge=1, description="Consecutive failed requests to a host that open its circuit breaker."
    )
    breaker_open_s: float = Field(
        default=30.0, gt=0, description="Seconds an open breaker fails fast before letting one probe through."
    )
    oauth_authorize_url: str | None = Field(
        default=None,
        description="OAuth authorize page; default https://app.hubspot.com/oauth/authorize for HubSpot, "
        "<base_url>/oauth/authorize for the sandbox.",
    )
    oauth_redirect_port: int = Field(
        default=8976, ge=0, le=65535, description="Port of the localhost redirect catcher used by `auth login`."
    )
    oauth_scopes: str = Field(
        default="oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read tickets "
        "crm.objects.owners.read crm.schemas.contacts.read crm.schemas.companies.read crm.schemas.deals.read "
        "crm.schemas.custom.read sales-email-read conversations.read crm.extensions_calling_transcripts.read "
        "crm.objects.custom.read e-commerce crm.objects.quotes.read",
        description="Space-separated scopes `auth login` asks for.",
    )
    oauth_refresh_margin_s: float = Field(
        default=300.0, ge=0, description="Refresh an OAuth access token this many seconds before it expires."
    )
    # Extraction and scheduling (dlt sources and Dagster schedules).
    objects: str | None = Field(
        default=None,
        description="Comma-separated CRM object types to sync (e.g. contacts,deals,pets); default: every type.",
    )
    property_history: str = Field(
        default="",
        description="Property history to load, e.g. 'contacts:lifecyclestage,email;deals:dealstage' (off if empty).",
    )
    lookback_s: int = Field(default=300, ge=0, description="Incremental look-back overlap for search's index lag.")
    snapshot_path: Path | None = Field(
        default=None,
        description="Read-only copy of the warehouse published after each successful run (default: <warehouse>.snapshot.duckdb).",
    )
    warehouse_memory_limit: str = Field(
        default="256MB",
        description="DuckDB memory while loading (it spills to disk past it; the process grows by about this much + "
        "140 MB); enough for 1M contacts x 340 properties. Raise it if a load stops with an out-of-memory error.",
    )
    incremental_cron: str = Field(default="*/15 * * * *", description="Cron of the incremental sync schedule.")
    reconcile_cron: str = Field(default="0 3 * * *", description="Cron of the nightly reconciliation schedule.")

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                f"HUBSPOT_BASE_URL must start with http:// or https:// (got {value!r}); "
                "use https://api.hubapi.com for HubSpot or the sandbox URL, e.g. http://127.0.0.1:8765"
            )
        return value

    @field_validator("warehouse_memory_limit")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        text = value.strip().upper().replace(" ", "")
        if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)", text):
            raise ValueError(
                f"HUBSPOT_WAREHOUSE_MEMORY_LIMIT must be a size such as 512MB or 1GB (got {value!r})"
            )
        return text

    @field_validator("tier", mode="before")
    @classmethod
    def _normalize_tier(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def absolute(self, path: Path) -> Path:
        """A settings path made absolute (relative paths are taken from the current directory)."""
        return path.expanduser().resolve()


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (tests, CLI flags) taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
