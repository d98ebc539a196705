"""`ClientSettings`: what the HubSpot client needs to know (connection, credentials, limits, retries, breaker,
OAuth login), and nothing of warehouses, schedules or Dagster.

A plain pydantic model: building one never reads the environment. `hubspot_assets.settings.load_settings()` reads
`HUBSPOT_*` variables for the command line; the Dagster resources build it from their own fields. Secrets are
`SecretStr`, so they never print in a repr, a log line or an error. Messages name the environment variable a user
sets (`HUBSPOT_TIER`), since that is where a bad value comes from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, Field, SecretStr, field_validator

Tier = Literal["free", "starter", "pro", "professional", "enterprise", "oauth", "increase", "unlimited"]
ApiVersion = Literal["legacy", "2026-03"]
TIERS: tuple[str, ...] = get_args(Tier)

DEFAULT_OAUTH_SCOPES = (
    "oauth crm.objects.contacts.read crm.objects.companies.read crm.objects.deals.read tickets "
    "crm.objects.owners.read crm.schemas.contacts.read crm.schemas.companies.read crm.schemas.deals.read "
    "crm.schemas.custom.read sales-email-read conversations.read crm.extensions_calling_transcripts.read "
    "crm.objects.custom.read e-commerce crm.objects.quotes.read"
)


class ClientSettings(BaseModel):
    """How to reach one HubSpot account. Each field is the environment variable `HUBSPOT_<NAME>` where users set it."""

    # Connection
    base_url: str = Field(default="https://api.hubapi.com", description="API host; the sandbox URL for local work.")
    api_version: ApiVersion = Field(default="legacy", description="legacy (v3/v4 paths) or 2026-03 (dated paths).")
    tier: Tier = Field(default="pro", description="Account tier, which sets the 10-second request budget.")
    connect_timeout_s: float = Field(default=10.0, gt=0, description="Seconds to wait for a connection to HubSpot.")
    read_timeout_s: float = Field(default=60.0, gt=0, description="Seconds to wait for an answer once connected.")
    # Credentials: a private-app token, or an OAuth app whose tokens live in an encrypted store
    access_token: SecretStr | None = Field(default=None, description="Private-app token (pat-...); wins over OAuth.")
    client_id: str | None = Field(default=None, description="OAuth app client id.")
    client_secret: SecretStr | None = Field(default=None, description="OAuth app client secret; also signs webhooks.")
    token_key: SecretStr | None = Field(default=None, description="Key that encrypts the OAuth token store.")
    token_store_path: Path = Field(default=Path("data/oauth_tokens.enc"), description="Encrypted OAuth token store.")
    # Limits shared by every process using the same app
    state_dir: Path = Field(default=Path("data/state"), description="Shared rate-limit state (one file per app).")
    rate_limit_margin: float = Field(
        default=0.03, ge=0, le=0.5,
        description="Safety margin on rate-limit windows (0.03 = a 10 s window is kept as 10.3 s) so latency "
        "jitter never turns into a 429.",
    )
    daily_reserve: float = Field(
        default=0.1, ge=0, le=1,
        description="Share of the daily API quota left untouched for the account's other integrations.",
    )
    # Retries and the circuit breaker
    retry_max_attempts: int = Field(default=6, ge=1, description="Attempts per request (first try included).")
    retry_max_wait_s: float = Field(
        default=300.0, ge=0, description="Longest total time one request may spend waiting between retries."
    )
    retry_backoff_base_s: float = Field(default=0.5, gt=0, description="First back-off step; doubles per retry.")
    retry_backoff_max_s: float = Field(default=30.0, gt=0, description="Longest single back-off step.")
    breaker_failure_threshold: int = Field(
        default=5, ge=1, description="Consecutive failed requests to a host that open its circuit breaker."
    )
    breaker_open_s: float = Field(
        default=30.0, gt=0, description="Seconds an open breaker fails fast before letting one probe through."
    )
    # OAuth login (`hubspot-elt auth login`) and refresh
    oauth_authorize_url: str | None = Field(
        default=None,
        description="OAuth authorize page; default https://app.hubspot.com/oauth/authorize for HubSpot, "
        "<base_url>/oauth/authorize for the sandbox.",
    )
    oauth_redirect_port: int = Field(
        default=8976, ge=0, le=65535, description="Port of the localhost redirect catcher used by `auth login`."
    )
    oauth_scopes: str = Field(default=DEFAULT_OAUTH_SCOPES, description="Space-separated scopes `auth login` asks for.")
    oauth_refresh_margin_s: float = Field(
        default=300.0, ge=0, description="Refresh an OAuth access token this many seconds before it expires."
    )

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

    @field_validator("tier", mode="before")
    @classmethod
    def _known_tier(cls, value: object) -> object:
        tier = value.strip().lower() if isinstance(value, str) else value
        if tier not in TIERS:
            raise ValueError(
                f"HUBSPOT_TIER must be one of {', '.join(TIERS)} (got {value!r}): your HubSpot account's tier, "
                "which sets the 10-second request budget"
            )
        return tier

    def absolute(self, path: Path) -> Path:
        """A settings path made absolute (relative paths are taken from the current directory)."""
        return path.expanduser().resolve()

    def client_settings(self) -> ClientSettings:
        """Only the client's own fields (a `Settings` of the whole app carries more)."""
        return ClientSettings.model_validate({name: getattr(self, name) for name in ClientSettings.model_fields})
