"""The freshness policy of the `hubspot_raw` assets, derived from the incremental schedule's cron.

Dagster 1.13's `FreshnessPolicy.cron(deadline_cron, lower_bound_delta)`: at each tick of the incremental cron the
asset must have been materialized within `lower_bound_delta` before it. With the delta set to the longest gap
between two ticks, the run a tick starts must land before the next tick: an asset whose incremental run failed,
was not scheduled (the schedule starts STOPPED) or waits behind another writer shows as failing its freshness.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
from croniter import croniter

# Ticks sampled to find the longest gap: enough for a week of a 15-minute cron, a year of a daily one.
_SAMPLED_TICKS = 800
_SAMPLE_START = datetime(2024, 1, 1, tzinfo=timezone.utc)  # fixed, so the policy does not change between loads


def longest_cron_gap(cron: str) -> timedelta:
    """The longest time between two consecutive ticks of `cron` (UTC), e.g. 15 minutes for `*/15 * * * *`."""
    ticks = croniter(cron, _SAMPLE_START)
    previous = ticks.get_next(datetime)
    gap = timedelta(0)
    for _ in range(_SAMPLED_TICKS):
        tick = ticks.get_next(datetime)
        gap = max(gap, tick - previous)
        previous = tick
    return gap


def incremental_freshness(incremental_cron: str) -> dg.FreshnessPolicy:
    """Fresh while the incremental run of each tick has landed by the next tick (UTC, as the schedule runs)."""
    return dg.FreshnessPolicy.cron(
        deadline_cron=incremental_cron, lower_bound_delta=longest_cron_gap(incremental_cron), timezone="UTC"
    )
