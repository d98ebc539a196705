"""Real time: the sensor `hubspot_webhook_sensor` turns queued webhook events into `hubspot_partial_refresh` runs.

Each tick (every HUBSPOT_WEBHOOK_SENSOR_INTERVAL_S, 5 s by default; the sensor runs by default):
- claims of runs that died are given back (`release_stale`) and done events past their retention pruned;
- while a partial refresh is queued or running, or another writer holds the warehouse, it waits: events keep
  arriving, and the next run takes them all at once (batching);
- otherwise it plans the pending events (at most HUBSPOT_WEBHOOK_REFRESH_MAX_EVENTS), coalesced per object type and
  id (`webhooks/plan.py`), and requests one run whose config lists what to fetch and which events it covers, and
  whose asset selection is the tables it writes. The run key is made of those events (ids and attempts) and the
  last partial refresh run: a re-evaluation never launches the same events twice, while events a failed or lost run
  left pending are launched again;
- events that need no read (types this code does not handle) are marked done at once.
The models downstream then refresh through their own automation (`defs/models.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import dagster as dg

from hubspot_assets.defs.catalog import stored_custom_tables
from hubspot_assets.defs.jobs import SYNC_OP_NAME, partial_refresh_job
from hubspot_assets.defs.location import LocationSettings
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource, WebhooksResource, run_settings
from hubspot_assets.settings import Settings
from hubspot_assets.sources.settings import DATASET_NAME
from hubspot_assets.sources.warehouse import writer_busy
from hubspot_assets.webhooks.plan import RefreshPlan
from hubspot_assets.webhooks.queue import QueuedEvent, WebhookQueue

WEBHOOK_SENSOR = "hubspot_webhook_sensor"
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def refresh_request(events: Sequence[QueuedEvent], plan: RefreshPlan, custom_tables: Sequence[str],
                    last_run_id: str | None) -> dg.RunRequest:
    """The partial refresh of `events`: config listing what to fetch, selection of the tables it writes."""
    ids = [queued.id for queued in events]
    fingerprint = hashlib.sha256(repr((last_run_id, [(q.id, q.attempts) for q in events])).encode()).hexdigest()
    return dg.RunRequest(
        run_key=f"webhooks-{ids[0]}-{ids[-1]}-{fingerprint[:16]}",
        run_config={"ops": {SYNC_OP_NAME: {"config": {**plan.to_config(), "webhook_event_ids": ids}}}},
        asset_selection=[dg.AssetKey([DATASET_NAME, table]) for table in plan.tables(custom_tables)],
        tags={"hubspot/webhook_events": str(len(ids)), "hubspot/refresh": plan.summary()[:200]},
    )


def evaluate(instance: dg.DagsterInstance, settings: Settings, queue: WebhookQueue,
             custom_tables: Sequence[str]) -> dg.RunRequest | dg.SkipReason:
    """One tick of the sensor (see the module docstring)."""
    queue.release_stale()
    queue.prune()
    runs = instance.get_run_records(dg.RunsFilter(job_name=partial_refresh_job.name), limit=1)
    if runs and runs[0].dagster_run.status in IN_FLIGHT:
        return dg.SkipReason(f"waiting for partial refresh run {runs[0].dagster_run.run_id} to finish")
    holder = writer_busy(settings)
    if holder is not None:
        return dg.SkipReason(f"waiting: the warehouse writer lock is held by {holder}")
    pending = queue.pending(settings.webhook_refresh_max_events)
    if not pending:
        return dg.SkipReason("no pending webhook events")
    plan = RefreshPlan.of(queued.event for queued in pending)
    if plan.empty:
        queue.complete(queue.claim_ids([queued.id for queued in pending]))
        return dg.SkipReason(f"{len(pending)} webhook event(s) of types that need no read: marked done")
    return refresh_request(pending, plan, custom_tables, runs[0].dagster_run.run_id if runs else None)


def build_webhook_sensor(custom_tables: Sequence[str], interval_s: int) -> dg.SensorDefinition:
    @dg.sensor(name=WEBHOOK_SENSOR, job=partial_refresh_job, minimum_interval_seconds=interval_s,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def hubspot_webhook_sensor(context: dg.SensorEvaluationContext, hubspot: HubSpotResource,
                               warehouse: WarehouseResource, webhooks: WebhooksResource):
        """Launch a partial refresh for the webhook events queued by `hubspot-elt webhooks serve`."""
        settings = run_settings(hubspot, warehouse, webhooks)
        queue = WebhookQueue.from_settings(settings)
        try:
            return evaluate(context.instance, settings, queue, custom_tables)
        finally:
            queue.close()

    return hubspot_webhook_sensor


@dg.definitions
def realtime() -> dg.Definitions:
    location = LocationSettings.from_environment()
    return dg.Definitions(sensors=[build_webhook_sensor(stored_custom_tables(location.warehouse_path),
                                                        location.webhook_sensor_interval_s)])
