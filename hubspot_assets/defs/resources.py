"""Dagster resources: how to reach HubSpot (`hubspot`), the warehouse (`warehouse`), the webhook queue
(`webhook_queue`) and dagster-dlt (`dlt`).

`HubSpotResource` has one field per client setting (`ClientSettings`) plus what to extract; `WarehouseResource` the
warehouse, its snapshot and DuckDB's memory; `WebhookQueueResource` the queue's store and limits and the alerts on
it. Their defaults and descriptions are the pydantic models' own, so a
default lives in one place. A run builds the app's `Settings` from them (`run_settings`), which reads nothing.

In the definitions (`resources()` below) each field whose variable is set (`HUBSPOT_<SETTING>`, not empty) gets
`dg.EnvVar`, so secrets never enter the run config or the UI and every value is read by the run, not by the code
location load: a bad one fails the run, with a message naming the variable. An unset variable keeps the default.
Dagster has `EnvVar` (text) and `EnvVar.int` but no float variant (its config knows no float source), so settings
that are numbers with decimals (timeouts, margins) are text fields here, read as numbers by the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dlt import DagsterDltResource
from pydantic import BaseModel, Field, ValidationError, field_validator

from hubspot_assets.defs.location import env_value
from hubspot_assets.hubspot.settings import ClientSettings
from hubspot_assets.settings import Settings, settings_error, variable


def _setting(model: type[BaseModel], name: str) -> Any:
    """A resource field with the default and description of `model`'s field `name` (paths and floats as text)."""
    info = model.model_fields[name]
    default = info.default
    if isinstance(default, (Path, float)) or (info.annotation is float and default is not None):
        default = str(default)  # a float setting may have a default written as an int (600)
    return Field(default=default, description=f"{info.description} ({variable(name)})")


class HubSpotResource(dg.ConfigurableResource):
    """Where and how to reach HubSpot, and what to extract (every `ClientSettings` field, same defaults)."""

    # Connection
    base_url: str = _setting(ClientSettings, "base_url")
    api_version: str = _setting(ClientSettings, "api_version")
    tier: str = _setting(ClientSettings, "tier")
    connect_timeout_s: str = _setting(ClientSettings, "connect_timeout_s")
    read_timeout_s: str = _setting(ClientSettings, "read_timeout_s")
    # Credentials: a private-app token, or an OAuth app whose tokens live in an encrypted store
    access_token: str | None = _setting(ClientSettings, "access_token")
    client_id: str | None = _setting(ClientSettings, "client_id")
    client_secret: str | None = _setting(ClientSettings, "client_secret")
    token_key: str | None = _setting(ClientSettings, "token_key")
    token_store_path: str = _setting(ClientSettings, "token_store_path")
    # Limits shared by every process using the same app
    state_dir: str = _setting(ClientSettings, "state_dir")
    rate_limit_margin: str = _setting(ClientSettings, "rate_limit_margin")
    daily_reserve: str = _setting(ClientSettings, "daily_reserve")
    # Retries and the circuit breaker
    retry_max_attempts: int = _setting(ClientSettings, "retry_max_attempts")
    retry_max_wait_s: str = _setting(ClientSettings, "retry_max_wait_s")
    retry_backoff_base_s: str = _setting(ClientSettings, "retry_backoff_base_s")
    retry_backoff_max_s: str = _setting(ClientSettings, "retry_backoff_max_s")
    breaker_failure_threshold: int = _setting(ClientSettings, "breaker_failure_threshold")
    breaker_open_s: str = _setting(ClientSettings, "breaker_open_s")
    # OAuth login and refresh
    oauth_authorize_url: str | None = _setting(ClientSettings, "oauth_authorize_url")
    oauth_redirect_port: int = _setting(ClientSettings, "oauth_redirect_port")
    oauth_scopes: str = _setting(ClientSettings, "oauth_scopes")
    oauth_refresh_margin_s: str = _setting(ClientSettings, "oauth_refresh_margin_s")
    # What to extract
    objects: str | None = _setting(Settings, "objects")
    property_history: str = _setting(Settings, "property_history")
    lookback_s: int = _setting(Settings, "lookback_s")

    @field_validator(
        "connect_timeout_s", "read_timeout_s", "rate_limit_margin", "daily_reserve", "retry_max_wait_s",
        "retry_backoff_base_s", "retry_backoff_max_s", "breaker_open_s", "oauth_refresh_margin_s", mode="before",
    )
    @classmethod
    def _number_as_text(cls, value: object) -> object:
        return _number_as_text(value)


def _number_as_text(value: object) -> object:
    # Numbers given in code (HubSpotResource(read_timeout_s=5)) are kept as the text an EnvVar would give.
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse, its read-only snapshot and DuckDB's memory while loading and while models build."""

    warehouse_path: str = _setting(Settings, "warehouse_path")
    snapshot_path: str | None = _setting(Settings, "snapshot_path")
    memory_limit: str = _setting(Settings, "warehouse_memory_limit")
    models_memory_limit: str = _setting(Settings, "models_memory_limit")


class WebhookQueueResource(dg.ConfigurableResource):
    """The webhook queue (docs/webhooks.md) and the alerts on it, for the checks and the sensor that read it."""

    queue_url: str = _setting(Settings, "queue_url")
    queue_max_attempts: int = _setting(Settings, "queue_max_attempts")
    queue_claim_timeout_s: str = _setting(Settings, "queue_claim_timeout_s")
    queue_retention_s: str = _setting(Settings, "queue_retention_s")
    queue_lag_alert_s: int = _setting(Settings, "queue_lag_alert_s")
    alert_webhook_url: str | None = _setting(Settings, "alert_webhook_url")
    alert_interval_s: int = _setting(Settings, "alert_interval_s")
    # The sensor's partial refreshes and catch-up syncs
    webhook_refresh_max_events: int = _setting(Settings, "webhook_refresh_max_events")
    webhook_outage_s: str = _setting(Settings, "webhook_outage_s")
    webhook_silence_s: str = _setting(Settings, "webhook_silence_s")

    @field_validator("queue_claim_timeout_s", "queue_retention_s", "webhook_outage_s", "webhook_silence_s",
                     mode="before")
    @classmethod
    def _number_as_text(cls, value: object) -> object:
        return _number_as_text(value)


# Resource fields named otherwise than their `Settings` field (whose name gives the variable); the others match.
_SETTING_OF_FIELD = {"memory_limit": "warehouse_memory_limit"}


def setting_values(resource: dg.ConfigurableResource) -> dict[str, Any]:
    """The `Settings` fields `resource` sets, by `Settings` name (validated by `run_settings`)."""
    return {_SETTING_OF_FIELD.get(name, name): getattr(resource, name) for name in type(resource).model_fields}


def resource_variables(resource: type[dg.ConfigurableResource]) -> dict[str, str]:
    """Each field of `resource` and its variable, e.g. memory_limit -> HUBSPOT_WAREHOUSE_MEMORY_LIMIT."""
    return {name: variable(_SETTING_OF_FIELD.get(name, name)) for name in resource.model_fields}


def from_environment(resource: type[dg.ConfigurableResource]) -> dict[str, Any]:
    """`dg.EnvVar` (or `dg.EnvVar.int`) for each field of `resource` whose variable is set and not empty; a field
    whose variable is unset keeps its default (Dagster would fail a run on an EnvVar of an unset variable)."""
    values: dict[str, Any] = {}
    for name, var in resource_variables(resource).items():
        if env_value(var) is None:
            continue
        annotation = resource.model_fields[name].annotation
        values[name] = dg.EnvVar.int(var) if annotation is int else dg.EnvVar(var)
    return values


def run_settings(hubspot: HubSpotResource, warehouse: WarehouseResource,
                 webhook_queue: WebhookQueueResource | None = None) -> Settings:
    """The app's `Settings` of one run, from the resources (without `webhook_queue`, the queue's settings are the
    defaults). Raises `dg.Failure` naming the variable to fix (e.g. HUBSPOT_TIER, HUBSPOT_BASE_URL), so a bad value
    fails the run, not the code location load."""
    queue = setting_values(webhook_queue) if webhook_queue is not None else {}
    try:
        return Settings(**setting_values(hubspot), **setting_values(warehouse), **queue)
    except ValidationError as error:
        raise dg.Failure(description=settings_error(error)) from None


@dg.definitions
def resources() -> dg.Definitions:
    """`hubspot`, `warehouse`, `webhook_queue` (each field from its HUBSPOT_* variable when set) and `dlt`."""
    return dg.Definitions(
        resources={
            "hubspot": HubSpotResource(**from_environment(HubSpotResource)),
            "warehouse": WarehouseResource(**from_environment(WarehouseResource)),
            "webhook_queue": WebhookQueueResource(**from_environment(WebhookQueueResource)),
            "dlt": DagsterDltResource(),
        }
    )
