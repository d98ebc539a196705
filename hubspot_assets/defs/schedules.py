"""Schedules: a frequent incremental sync and a nightly reconciliation (cron strings are settings, UTC). Both start
STOPPED: turn them on in the UI (Automation) or with `dagster schedule start`."""

from __future__ import annotations

from typing import Protocol

import dagster as dg

from hubspot_assets.defs.jobs import incremental_sync_job, reconcile_job
from hubspot_assets.defs.location import LocationSettings


class Crons(Protocol):
    incremental_cron: str
    reconcile_cron: str


def build_schedules(settings: Crons) -> list[dg.ScheduleDefinition]:
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


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(schedules=build_schedules(LocationSettings.from_environment()))
