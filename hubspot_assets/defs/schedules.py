"""Schedules: a frequent incremental sync and a nightly reconciliation (cron strings are settings)."""

from __future__ import annotations

import dagster as dg

from hubspot_assets.defs.jobs import incremental_sync_job, reconcile_job
from hubspot_assets.defs.catalog import LocationSettings
from hubspot_assets.settings import Settings


def build_schedules(settings: Settings | LocationSettings) -> list[dg.ScheduleDefinition]:
    """Incremental on HUBSPOT_INCREMENTAL_CRON, reconciliation on HUBSPOT_RECONCILE_CRON (both UTC)."""
    return [
        dg.ScheduleDefinition(
            name="hubspot_incremental_schedule",
            job=incremental_sync_job,
            cron_schedule=settings.incremental_cron,
            execution_timezone="UTC",
            default_status=dg.DefaultScheduleStatus.STOPPED,
        ),
        dg.ScheduleDefinition(
            name="hubspot_reconcile_schedule",
            job=reconcile_job,
            cron_schedule=settings.reconcile_cron,
            execution_timezone="UTC",
            default_status=dg.DefaultScheduleStatus.STOPPED,
        ),
    ]
