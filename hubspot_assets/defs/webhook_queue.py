"""The webhook queue as Dagster sees it: an external asset, `hubspot_webhooks/queue` (the receiver fills it, the
partial refresh drains it, no Dagster run materializes it), and two checks on it:

- `oldest_pending_event`: fails when the oldest pending event was received more than `HUBSPOT_QUEUE_LAG_ALERT_S`
  ago, i.e. the partial refreshes are behind or not running, and the warehouse is behind HubSpot by as much.
- `no_dead_letters`: fails when events failed every refresh attempt (`HUBSPOT_QUEUE_MAX_ATTEMPTS`); its metadata
  counts them and names a few (event type, object type and ids, attempts, last error), never a payload or a secret.

The webhook sensor emits `queue_check_evaluations` and `queue_observation` (depth by state, oldest pending age) at
each tick, in its `dg.SensorResult(asset_events=...)`; `webhook_queue_checks` runs the same checks on their own, from
the UI's "Execute checks". See docs/webhooks.md, "Alerts and checks".
"""

from collections.abc import Iterator

import dagster as dg

from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource, WebhookQueueResource, run_settings
from hubspot_assets.settings import Settings
from hubspot_assets.webhooks.alerts import SAMPLE_SIZE, dead_letter_sample, secret_values
from hubspot_assets.webhooks.queue import WebhookQueue

QUEUE_KEY = dg.AssetKey(["hubspot_webhooks", "queue"])
OLDEST_PENDING_EVENT = "oldest_pending_event"
NO_DEAD_LETTERS = "no_dead_letters"
REQUEUE_DEAD_LETTERS = (
    "UPDATE webhook_events SET state = 'pending', attempts = 0, finished_at = NULL WHERE state = 'dead';"
)

queue_spec = dg.AssetSpec(
    QUEUE_KEY,
    group_name="webhooks",
    description=(
        "HubSpot's webhook events waiting for a partial refresh (`hubspot-elt webhooks serve` stores them, the "
        "webhook sensor's runs drain them): the `webhook_events` table of HUBSPOT_QUEUE_URL, outside the warehouse. "
        "Observed at each sensor tick: events by state and the age of the oldest pending one. See docs/webhooks.md."
    ),
)

CHECK_SPECS = [
    dg.AssetCheckSpec(
        OLDEST_PENDING_EVENT, asset=QUEUE_KEY,
        description="The oldest pending event was received at most HUBSPOT_QUEUE_LAG_ALERT_S ago (partial refreshes "
        "keep up).",
    ),
    dg.AssetCheckSpec(
        NO_DEAD_LETTERS, asset=QUEUE_KEY,
        description="No event failed every refresh attempt (HUBSPOT_QUEUE_MAX_ATTEMPTS) and waits for a person.",
    ),
]


def queue_observation(queue: WebhookQueue) -> dg.AssetObservation:
    """The queue now: events by state (`pending`, `claimed`, `done`, `dead`) and `oldest_pending_age_s` (0 when
    nothing is pending, as the receiver's gauge). Reads the queue; raises what its store raises."""
    depth = queue.depth()
    age = queue.oldest_pending_age()
    return dg.AssetObservation(
        asset_key=QUEUE_KEY,
        metadata={
            **{state: dg.MetadataValue.int(count) for state, count in depth.items()},
            "oldest_pending_age_s": dg.MetadataValue.float(round(age or 0.0, 3)),
        },
    )


def queue_check_evaluations(queue: WebhookQueue, settings: Settings) -> list[dg.AssetCheckEvaluation]:
    """Both checks on the queue now (threshold: `settings.queue_lag_alert_s`; secrets of `settings` are redacted
    from the last errors shown). Reads the queue; raises what its store raises."""
    return [_oldest_pending_event(queue, settings), _no_dead_letters(queue, settings)]


def _oldest_pending_event(queue: WebhookQueue, settings: Settings) -> dg.AssetCheckEvaluation:
    age = queue.oldest_pending_age()
    threshold = settings.queue_lag_alert_s
    pending = queue.depth()["pending"]
    late = age is not None and age > threshold
    return dg.AssetCheckEvaluation(
        asset_key=QUEUE_KEY,
        check_name=OLDEST_PENDING_EVENT,
        passed=not late,
        description=(
            f"The oldest pending event was received {age:.0f} s ago (more than HUBSPOT_QUEUE_LAG_ALERT_S = "
            f"{threshold} s) and {pending} are pending: the webhook sensor's partial refreshes are behind or not "
            "running, so the warehouse is that far behind HubSpot." if late else None
        ),
        metadata={
            "oldest_pending_age_s": dg.MetadataValue.float(round(age or 0.0, 3)),
            "threshold_s": dg.MetadataValue.int(threshold),
            "pending": dg.MetadataValue.int(pending),
        },
    )


def _no_dead_letters(queue: WebhookQueue, settings: Settings) -> dg.AssetCheckEvaluation:
    count = queue.depth()["dead"]
    sample = dead_letter_sample(queue.dead_letters(SAMPLE_SIZE), secret_values(settings)) if count else []
    return dg.AssetCheckEvaluation(
        asset_key=QUEUE_KEY,
        check_name=NO_DEAD_LETTERS,
        passed=count == 0,
        description=(
            f"{count} event(s) failed every refresh attempt, so the records they name are not refreshed until the "
            f"next sync. Fix what their last errors name, then requeue them: `{REQUEUE_DEAD_LETTERS}`"
            if count else None
        ),
        metadata={
            "dead_letters": dg.MetadataValue.int(count),
            "sample": dg.MetadataValue.json(sample),
        },
    )


def _as_result(evaluation: dg.AssetCheckEvaluation) -> dg.AssetCheckResult:
    # A check op yields results; the sensor emits evaluations. Same fields, so one function decides both.
    return dg.AssetCheckResult(
        asset_key=evaluation.asset_key, check_name=evaluation.check_name, passed=evaluation.passed,
        metadata=evaluation.metadata, severity=evaluation.severity, description=evaluation.description,
    )


@dg.multi_asset_check(
    specs=CHECK_SPECS,
    name="webhook_queue_checks",
    can_subset=True,
    description="The webhook queue's checks, read from HUBSPOT_QUEUE_URL (also emitted at each webhook sensor tick).",
)
def webhook_queue_checks(
    context: dg.AssetCheckExecutionContext, hubspot: HubSpotResource, warehouse: WarehouseResource,
    webhook_queue: WebhookQueueResource,
) -> Iterator[dg.AssetCheckResult]:
    settings = run_settings(hubspot, warehouse, webhook_queue)  # hubspot too: its secrets are redacted
    opened = WebhookQueue.from_settings(settings)
    try:
        for evaluation in queue_check_evaluations(opened, settings):
            key = dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name)
            if key in context.selected_asset_check_keys:
                yield _as_result(evaluation)
    finally:
        opened.close()


@dg.definitions
def hubspot_webhooks() -> dg.Definitions:
    """The queue's asset and its checks (the `webhook_queue` resource is in resources.py)."""
    return dg.Definitions(assets=[queue_spec], asset_checks=[webhook_queue_checks])
