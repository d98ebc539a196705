"""Dagster definitions of the HubSpot extraction: `hubspot_raw` assets, resources, jobs and schedules."""

from __future__ import annotations

import dagster as dg


def extraction_definitions() -> dg.Definitions:
    """Everything that loads `hubspot_raw`: compose it in `hubspot_assets/definitions.py`."""
    from dagster_dlt import DagsterDltResource

    from hubspot_assets.defs.assets import hubspot_raw_assets
    from hubspot_assets.defs.jobs import full_sync_job, incremental_sync_job, reconcile_job
    from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource
    from hubspot_assets.defs.schedules import build_schedules
    from hubspot_assets.settings import load_settings

    return dg.Definitions(
        assets=[hubspot_raw_assets],
        jobs=[full_sync_job, incremental_sync_job, reconcile_job],
        schedules=build_schedules(load_settings()),
        resources={"dlt": DagsterDltResource(), "hubspot": HubSpotResource(), "warehouse": WarehouseResource()},
    )
