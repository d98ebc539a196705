"""Settings of the whole app read from the environment (or `.env`) for the command line, the demo and the benchmarks.

`Settings` is the client's `ClientSettings` (hubspot/settings.py) plus what a sync needs besides HubSpot: the
warehouse, what to extract, the webhook queue and the schedules. It is a plain model: building one reads nothing.
`load_settings()` reads each field from `HUBSPOT_<NAME>` (the environment, or `.env`) for the command line, the demo
and the benchmarks. In Dagster the same variables reach the runs through the resources' fields (`defs/resources.py`,
set with `dg.EnvVar`), which build the same `Settings` without reading the environment themselves.
Secrets are `SecretStr`, so they never print in a repr, a log line or an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hubspot_assets.hubspot.settings import ApiVersion, ClientSettings, Tier

__all__ = ["ApiVersion", "ClientSettings", "Settings", "Tier", "load_settings"]


class Settings(ClientSettings):
    """hubspot-elt settings: the client's, then the warehouse's, the extraction's and the schedules'."""

    # The warehouse (hubspot_raw and the models) and its read-only snapshot.
    warehouse_path: Path = Field(default=Path("data/warehouse.duckdb"), description="DuckDB warehouse file.")
    snapshot_path: Path | None = Field(
        default=None,
        description="Read-only copy of the warehouse published after each successful run (default: <warehouse>.snapshot.duckdb).",
    )
    warehouse_memory_limit: str = Field(
        default="256MB",
        description="DuckDB memory while loading (it spills to disk past it; the process grows by about this much + "
        "140 MB); enough for 1M contacts x 340 properties. Raise it if a load stops with an out-of-memory error.",
    )
    models_memory_limit: str = Field(
        default="1GB",
        description="DuckDB memory while the SQL models build (it spills to disk past it). Raise it for a faster "
        "build of a large portal if the machine has the memory.",
    )
    # What a sync extracts.
    objects: str | None = Field(
        default=None,
        description="Comma-separated CRM object types to sync (e.g. contacts,deals,pets); default: every type.",
    )
    property_history: str = Field(
        default="",
        description="Property history to load, e.g. 'contacts:lifecyclestage,email;deals:dealstage' (off if empty).",
    )
    lookback_s: int = Field(default=300, ge=0, description="Incremental look-back overlap for search's index lag.")
    # The webhook receiver and its queue (docs/webhooks.md).
    queue_url: str = Field(
        default="sqlite:///data/webhook_queue.sqlite",
        description="Webhook queue store: sqlite:///<path> (WAL mode, the default) or postgresql://user:pass@host/db.",
    )
    queue_max_attempts: int = Field(default=5, ge=1, description="Refresh attempts before an event is a dead letter.")
    queue_claim_timeout_s: float = Field(
        default=600.0, gt=0, description="A claim held this long is released (its refresh is taken to have died)."
    )
    queue_retention_s: float = Field(default=7 * 86400.0, ge=0, description="How long done events are kept.")
    webhook_sensor_interval_s: int = Field(
        default=5, ge=1, description="How often the sensor hubspot_webhook_sensor looks for queued events (seconds)."
    )
    webhook_outage_s: float = Field(
        default=60.0, gt=0, description="A receiver silent this long was down: the sensor then launches an "
        "incremental sync to catch up what HubSpot could not deliver.",
    )
    webhook_silence_s: float = Field(
        default=86400.0, gt=0, description="No event at all for this long (HubSpot's retry window) also launches a "
        "catch-up incremental sync.",
    )
    webhook_refresh_max_events: int = Field(
        default=10_000, ge=1, description="Most events one partial refresh applies (a backlog takes several)."
    )
    webhook_host: str = Field(default="127.0.0.1", description="Interface the webhook receiver listens on.")
    webhook_port: int = Field(default=8977, ge=0, le=65535, description="Port of the webhook receiver.")
    webhook_path: str = Field(default="/webhooks/hubspot", description="Path HubSpot posts events to.")
    webhook_public_url: str | None = Field(
        default=None,
        description="Public base URL HubSpot posts to (scheme and host, e.g. https://hooks.example.com) when the "
        "receiver is behind a reverse proxy: signatures are checked over it. Default: the URL the request names.",
    )
    webhook_secrets: SecretStr | None = Field(
        default=None,
        description="Comma-separated client secrets also accepted on signatures besides HUBSPOT_CLIENT_SECRET "
        "(during a rotation: the new and the old).",
    )
    webhook_max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Larger webhook bodies get a 413.")
    # Alerts (docs/webhooks.md, "Alerts and checks"): posted as a Slack incoming webhook would take them.
    alert_webhook_url: SecretStr | None = Field(
        default=None,
        description="Where alerts are posted (a Slack incoming webhook URL, or anything taking its JSON); "
        "no alerts when unset.",
    )
    alert_interval_s: int = Field(
        default=900, ge=1, description="An alert of the same condition is posted at most once per this many seconds."
    )
    queue_lag_alert_s: int = Field(
        default=300, ge=1,
        description="Alert (and fail the oldest_pending_event check) when the oldest pending webhook event is older.",
    )
    bad_signature_alert_count: int = Field(
        default=20, ge=1,
        description="Alert when the receiver refuses this many deliveries for their signature within "
        "HUBSPOT_BAD_SIGNATURE_ALERT_WINDOW_S.",
    )
    bad_signature_alert_window_s: int = Field(
        default=60, ge=1, description="The window HUBSPOT_BAD_SIGNATURE_ALERT_COUNT counts refused signatures over."
    )
    # Webhook subscriptions of a public app (`hubspot-elt webhooks subscribe`); private apps set theirs in HubSpot's UI.
    app_id: int | None = Field(
        default=None, description="The public app's id (HubSpot developer account > Apps), whose webhooks to manage."
    )
    developer_api_key: SecretStr | None = Field(
        default=None,
        description="Developer API key of the account that owns the app (developer account > Keys): the only "
        "credential HubSpot's webhook subscription API takes.",
    )
    webhook_properties: str = Field(
        default="",
        description="Properties whose changes to subscribe to (HubSpot subscribes propertyChange per property), e.g. "
        "'contacts:email,lifecyclestage;deals:dealstage'; empty: a default list per type (docs/webhooks.md).",
    )
    incremental_cron: str = Field(default="*/15 * * * *", description="Cron of the incremental sync schedule.")
    reconcile_cron: str = Field(default="0 3 * * *", description="Cron of the nightly reconciliation schedule.")

    @field_validator("webhook_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"HUBSPOT_WEBHOOK_PATH must start with / (got {value!r})")
        return value

    @field_validator("alert_webhook_url")
    @classmethod
    def _alert_url(cls, value: SecretStr | None) -> SecretStr | None:
        url = value.get_secret_value().strip() if value is not None else ""
        if not url:
            return None  # an empty line of .env: no alerts
        if not url.startswith(("https://", "http://")):
            # The value is a secret: the message names the variable, never echoes it.
            raise ValueError("HUBSPOT_ALERT_WEBHOOK_URL must start with https:// (a Slack incoming webhook URL)")
        return SecretStr(url)

    @field_validator("app_id", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `.env.example` ships `HUBSPOT_APP_ID=`: an empty value means "not set", not a bad number.
        return None if isinstance(value, str) and not value.strip() else value

    def webhook_signing_secrets(self) -> list[str]:
        """Every secret a webhook signature may be made with: the client secret, then HUBSPOT_WEBHOOK_SECRETS."""
        secrets = [self.client_secret.get_secret_value()] if self.client_secret else []
        extra = self.webhook_secrets.get_secret_value() if self.webhook_secrets else ""
        secrets += [secret.strip() for secret in extra.split(",") if secret.strip()]
        return list(dict.fromkeys(secrets))

    @field_validator("warehouse_memory_limit", "models_memory_limit")
    @classmethod
    def _memory_size(cls, value: str, info: ValidationInfo) -> str:
        text = value.strip().upper().replace(" ", "")
        if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)", text):
            raise ValueError(f"{variable(info.field_name)} must be a size such as 512MB or 1GB (got {value!r})")
        return text


class _EnvironmentSettings(BaseSettings, Settings):
    """`Settings` read from `HUBSPOT_*` variables and `.env`."""

    model_config = SettingsConfigDict(
        env_prefix="HUBSPOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (or `.env`), with explicit overrides (tests, CLI flags) taking precedence.

    Raises `SettingsError` naming the variable of each value that cannot work."""
    try:
        read = _EnvironmentSettings(**{k: v for k, v in overrides.items() if v is not None})
        return Settings.model_validate({name: getattr(read, name) for name in Settings.model_fields})
    except ValidationError as error:
        raise SettingsError(settings_error(error)) from None


class SettingsError(ValueError):
    """A setting whose value cannot work; the message names each variable to fix."""


# Never echoed in errors. The alert URL is one: a Slack incoming webhook URL lets anyone post to the channel.
SECRET_SETTINGS = frozenset({"access_token", "client_secret", "token_key", "webhook_secrets", "alert_webhook_url",
                             "developer_api_key"})


def variable(setting: str) -> str:
    """The environment variable of a `Settings` field: `HUBSPOT_<FIELD>`."""
    return f"HUBSPOT_{setting.upper()}"


def settings_error(error: ValidationError) -> str:
    """What to fix, one variable per problem; secrets are never echoed."""
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        name = variable(field)
        message = str(item["msg"]).removeprefix("Value error, ")
        if name not in message:
            shown = "" if field in SECRET_SETTINGS else f" (got {item.get('input')!r})"
            message = f"{name}: {message}{shown}"
        problems.append(message)
    return "HubSpot settings are invalid: " + "; ".join(problems)
