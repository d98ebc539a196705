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
- events that need no read (types this code does not handle) are marked done at once;
- after a receiver outage (its own record, `webhooks/outages.py`) or when no event came for longer than HubSpot's
  retry window (HUBSPOT_WEBHOOK_SILENCE_S), it launches `hubspot_incremental_sync` once, to catch up what HubSpot
  could not deliver;
- alerts that are due are posted (`webhooks/alerts.py`), and the queue's checks (`defs/webhook_queue.py`) reported
  when their outcome changes, with an observation of its depth and lag at most once a minute.
The models downstream then refresh through their own automation (`defs/models.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import dagster as dg

from hubspot_assets.defs.catalog import stored_custom_tables
from hubspot_assets.defs.jobs import SYNC_OP_NAME, incremental_sync_job, partial_refresh_job
from hubspot_assets.defs.location import LocationSettings
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource, WebhookQueueResource, run_settings
from hubspot_assets.defs.webhook_queue import queue_check_evaluations, queue_observation
from hubspot_assets.settings import Settings
from hubspot_assets.sources.settings import DATASET_NAME
from hubspot_assets.sources.warehouse import writer_busy
from hubspot_assets.webhooks.alerts import Alerter
from hubspot_assets.webhooks.outages import ReceiverLog
from hubspot_assets.webhooks.plan import RefreshPlan
from hubspot_assets.webhooks.queue import QueuedEvent, WebhookQueue

WEBHOOK_SENSOR = "hubspot_webhook_sensor"
OBSERVE_EVERY_S = 60  # the queue's depth and lag as an observation: often enough to plot, not every tick
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def refresh_request(events: Sequence[QueuedEvent], plan: RefreshPlan, custom_tables: Sequence[str],
                    last_run_id: str | None) -> dg.RunRequest:
    """The partial refresh of `events`: config listing what to fetch, selection of the tables it writes."""
    ids = [queued.id for queued in events]
    fingerprint = hashlib.sha256(repr((last_run_id, [(q.id, q.attempts) for q in events])).encode()).hexdigest()
    return dg.RunRequest(
        job_name=partial_refresh_job.name,
        run_key=f"webhooks-{ids[0]}-{ids[-1]}-{fingerprint[:16]}",
        run_config={"ops": {SYNC_OP_NAME: {"config": {**plan.to_config(), "webhook_event_ids": ids}}}},
        asset_selection=[dg.AssetKey([DATASET_NAME, table]) for table in plan.tables(custom_tables)],
        tags={"hubspot/webhook_events": str(len(ids)), "hubspot/refresh": plan.summary()[:200]},
    )


def evaluate(instance: dg.DagsterInstance, settings: Settings, queue: WebhookQueue,
             custom_tables: Sequence[str]) -> dg.RunRequest | dg.SkipReason:
    """The partial refresh one tick asks for, or why none (see the module docstring)."""
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


def catch_up_requests(receivers: ReceiverLog, settings: Settings) -> list[dg.RunRequest]:
    """An incremental sync for each receiver outage not caught up yet, and one when no event came for longer than
    HubSpot's retry window (HUBSPOT_WEBHOOK_SILENCE_S): what HubSpot could not deliver is read from its search."""
    requests = []
    for outage in receivers.outages_to_catch_up():
        requests.append(dg.RunRequest(run_key=f"webhooks-catch-up-{outage.id}", job_name=incremental_sync_job.name,
                                      tags={"hubspot/catch_up": f"receiver {outage.receiver} down "
                                                                f"{outage.down_until - outage.down_from:.0f} s"}))
        receivers.caught_up(outage.id)
    last = receivers.last_event_at()
    if last is not None and receivers.queue.clock() - last > settings.webhook_silence_s:
        requests.append(dg.RunRequest(run_key=f"webhooks-catch-up-silence-{int(last)}",
                                      job_name=incremental_sync_job.name,
                                      tags={"hubspot/catch_up": "no webhook event for longer than "
                                                                "HUBSPOT_WEBHOOK_SILENCE_S"}))
    return requests


def tick(instance: dg.DagsterInstance, settings: Settings, queue: WebhookQueue, custom_tables: Sequence[str],
         cursor: str | None) -> dg.SensorResult:
    """A whole tick: catch-up syncs, the partial refresh, the alerts due, and the queue's checks (when their outcome
    changed since the last tick, kept in the cursor) and observation (at most once a minute)."""
    catch_up = catch_up_requests(ReceiverLog(queue), settings)
    refresh = evaluate(instance, settings, queue, custom_tables)
    Alerter.from_settings(settings, queue).check_queue()
    seen = json.loads(cursor) if cursor else {}
    events: list = []
    outcomes = {}
    for evaluation in queue_check_evaluations(queue, settings):
        outcomes[evaluation.check_name] = evaluation.passed
        if seen.get("checks", {}).get(evaluation.check_name) != evaluation.passed:
            events.append(evaluation)
    now = queue.clock()
    observed = seen.get("observed_at", 0)
    if now - observed >= OBSERVE_EVERY_S or events:
        events.append(queue_observation(queue))
        observed = now
    requests = [*catch_up, *([refresh] if isinstance(refresh, dg.RunRequest) else [])]
    return dg.SensorResult(
        run_requests=requests, asset_events=events,
        skip_reason=None if requests else refresh.skip_message if isinstance(refresh, dg.SkipReason) else None,
        cursor=json.dumps({"checks": outcomes, "observed_at": observed}),
    )


def build_webhook_sensor(custom_tables: Sequence[str], interval_s: int) -> dg.SensorDefinition:
    @dg.sensor(name=WEBHOOK_SENSOR, jobs=[partial_refresh_job, incremental_sync_job],
               minimum_interval_seconds=interval_s, default_status=dg.DefaultSensorStatus.RUNNING)
    def hubspot_webhook_sensor(context: dg.SensorEvaluationContext, hubspot: HubSpotResource,
                               warehouse: WarehouseResource, webhook_queue: WebhookQueueResource):
        """Launch a partial refresh for the webhook events queued by `hubspot-elt webhooks serve`."""
        settings = run_settings(hubspot, warehouse, webhook_queue)
        queue = WebhookQueue.from_settings(settings)
        try:
            return tick(context.instance, settings, queue, custom_tables, context.cursor)
        finally:
            queue.close()

    return hubspot_webhook_sensor


@dg.definitions
def realtime() -> dg.Definitions:
    location = LocationSettings.from_environment()
    return dg.Definitions(sensors=[build_webhook_sensor(stored_custom_tables(location.warehouse_path),
                                                        location.webhook_sensor_interval_s)])
