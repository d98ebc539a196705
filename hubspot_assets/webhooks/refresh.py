"""Queued webhook events applied to the warehouse: claimed, turned into one partial refresh, then marked done.

An event leaves the queue only after the refresh that covers it has committed: `refreshing(queue, batch)` marks the
batch done when its block ends normally and gives it back (pending again, or a dead letter after
HUBSPOT_QUEUE_MAX_ATTEMPTS) when the block raises. A process killed inside the block leaves its claim, which
`release_stale` frees. The Dagster run (`defs/realtime.py`) and `hubspot-elt webhooks drain` (`drain_queue` here) both go
through it, and both refresh with `run_sync`'s code path: the same dlt resources and merges as a full load.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from hubspot_assets.settings import Settings
from hubspot_assets.sources.pipeline import SyncReport, run_sync
from hubspot_assets.webhooks.plan import RefreshPlan
from hubspot_assets.webhooks.queue import Batch, WebhookQueue, claimer_name

log = logging.getLogger(__name__)

DRAIN_BATCH = 10_000  # events per refresh: a big backlog is read in a few large refreshes, not thousands of tiny ones


@contextmanager
def refreshing(queue: WebhookQueue, batch: Batch) -> Iterator[RefreshPlan]:
    """The plan of a claimed batch; the batch is done when the block ends, given back when it raises."""
    try:
        yield RefreshPlan.of(queued.event for queued in batch.events)
    except BaseException as error:
        queue.fail(batch, f"{type(error).__name__}: {error}")
        raise
    queue.complete(batch)


def apply_plan(settings: Settings, plan: RefreshPlan) -> SyncReport | None:
    """Read what `plan` names into the warehouse (a partial refresh; nothing when the plan is empty)."""
    if plan.empty:
        return None
    return run_sync(settings, record_ids=plan.record_ids(), link_ids=plan.link_ids(), skip_unloaded=True)


def webhook_metadata(queue: WebhookQueue, batch: Batch) -> dict[str, float | int]:
    """The queue as a partial refresh finds it: events it applies, events still pending behind it, dead letters,
    and its lag (seconds since the oldest of its events was received), for the UI to plot."""
    depth = queue.depth()
    oldest = min((queued.received_at for queued in batch.events), default=None)
    return {
        "webhook_events": len(batch),
        "webhook_queue_pending": depth["pending"],
        "webhook_dead_letters": depth["dead"],
        "webhook_lag_s": round(max(0.0, queue.clock() - oldest), 3) if oldest is not None else 0.0,
    }


@dataclass
class DrainReport:
    events: int = 0
    refreshes: int = 0
    api_calls: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def drain_queue(
    settings: Settings,
    queue: WebhookQueue,
    *,
    batch_size: int = DRAIN_BATCH,
    progress: Callable[[DrainReport, str], None] | None = None,
) -> DrainReport:
    """Apply every event pending now, in batches of `batch_size`, each one partial refresh; events arriving
    meanwhile are applied too. Stops at the first failed refresh (its events are given back) and raises it."""
    report = DrainReport()
    started = time.monotonic()
    queue.release_stale()
    while batch := queue.claim(batch_size, claimer_name("drain")):
        with refreshing(queue, batch) as plan:
            sync = apply_plan(settings, plan)
        report.events += len(batch)
        if sync is not None:
            report.refreshes += 1
            report.api_calls += sum(sync.api_calls.values())
            report.warnings.extend(w for w in sync.warnings if w not in report.warnings)
        report.seconds = time.monotonic() - started
        if progress is not None:
            progress(report, plan.summary())
    report.seconds = time.monotonic() - started
    return report
