"""Dagster definitions of the HubSpot extraction: `hubspot_raw` assets, resources, jobs and schedules."""

from __future__ import annotations

import dagster as dg


def extraction_definitions() -> dg.Definitions:
    """Everything that loads `hubspot_raw`: compose it in `hubspot_assets/definitions.py`.

    Reads only the cron strings and the warehouse path (and the dlt schema stored next to the warehouse, for the
    custom object tables); connection settings are read by each run, so a bad one fails that run, not the load.
    """
    from hubspot_assets.defs.assets import build_hubspot_raw_assets
    from hubspot_assets.defs.catalog import LocationSettings, stored_custom_tables
    from hubspot_assets.defs.jobs import full_sync_job, incremental_sync_job, reconcile_job
    from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource
    from hubspot_assets.defs.schedules import build_schedules

    location = LocationSettings()
    return dg.Definitions(
        assets=[build_hubspot_raw_assets(stored_custom_tables(location.warehouse_path))],
        jobs=[full_sync_job, incremental_sync_job, reconcile_job],
        schedules=build_schedules(location),
        resources={"hubspot": HubSpotResource(), "warehouse": WarehouseResource()},
    )
