"""Dagster resources: HubSpot credentials and the warehouse, configured from the environment.

Every field left unset falls back to `hubspot_assets.settings.Settings`, which reads `HUBSPOT_*` environment
variables (or `.env`). To pin a value per deployment, pass `dg.EnvVar("...")` for it in `definitions.py`; secrets
then stay out of the run config and the UI.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from hubspot_assets.settings import Settings, load_settings


class HubSpotResource(dg.ConfigurableResource):
    """Where and how to reach HubSpot, and what to extract. None means "from the HUBSPOT_* environment"."""

    access_token: str | None = Field(default=None, description="Private-app token (HUBSPOT_ACCESS_TOKEN).")
    base_url: str | None = Field(default=None, description="API host (HUBSPOT_BASE_URL).")
    tier: str | None = Field(default=None, description="Account tier (HUBSPOT_TIER).")
    api_version: str | None = Field(default=None, description="legacy or 2026-03 (HUBSPOT_API_VERSION).")
    objects: str | None = Field(default=None, description="Object types to sync (HUBSPOT_OBJECTS).")
    property_history: str | None = Field(default=None, description="HUBSPOT_PROPERTY_HISTORY.")
    lookback_s: int | None = Field(default=None, description="Incremental look-back seconds (HUBSPOT_LOOKBACK_S).")

    def settings(self, **overrides: Any) -> Settings:
        """The settings of one run: environment, then this resource's fields, then `overrides`."""
        fields = {
            "access_token": self.access_token,
            "base_url": self.base_url,
            "tier": self.tier,
            "api_version": self.api_version,
            "objects": self.objects,
            "property_history": self.property_history,
            "lookback_s": self.lookback_s,
        }
        return load_settings(**{**fields, **overrides})


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse (HUBSPOT_WAREHOUSE_PATH) and its read-only snapshot (HUBSPOT_SNAPSHOT_PATH)."""

    warehouse_path: str | None = Field(default=None, description="DuckDB file written by the loads.")
    snapshot_path: str | None = Field(default=None, description="Read-only copy published after each run.")

    def overrides(self) -> dict[str, Any]:
        return {"warehouse_path": self.warehouse_path, "snapshot_path": self.snapshot_path}
