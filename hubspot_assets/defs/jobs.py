"""Jobs over the `hubspot_raw` assets (and their checks), one per sync mode.

Every op that writes the warehouse runs in the concurrency pool `WAREHOUSE_POOL`; the instance limits that pool to
one at a time (`dagster.yaml`: `concurrency: pools: default_limit: 1`, which `make dev` uses; a deployment sets
the same or runs `dagster instance concurrency set hubspot_warehouse 1`), so a second writing run, however it was
launched (a schedule, "Materialize all", a job), waits for the first. Beneath it, the writer file lock
(sources/warehouse.py) makes any second writer, in any process (a terminal `hubspot-elt sync` too), wait rather
than fail on DuckDB's lock.
"""

from __future__ import annotations

import dagster as dg

WAREHOUSE_POOL = "hubspot_warehouse"

HUBSPOT_RAW_SELECTION = dg.AssetSelection.key_prefixes(["hubspot_raw"])
SYNC_OP_NAME = "hubspot_raw_sync"


def _sync_job(name: str, mode: str, description: str) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=name,
        selection=HUBSPOT_RAW_SELECTION,
        description=description,
        config={"ops": {SYNC_OP_NAME: {"config": {"mode": mode}}}},
    )


full_sync_job = _sync_job(
    "hubspot_full_sync", "full", "Re-read every HubSpot record and reconcile deletes and associations."
)
incremental_sync_job = _sync_job(
    "hubspot_incremental_sync", "incremental", "Load what changed in HubSpot since the last run."
)
reconcile_job = _sync_job(
    "hubspot_reconcile",
    "reconcile",
    "Incremental load plus deletes (archived / GDPR-deleted records) and every association re-read.",
)
partial_refresh_job = dg.define_asset_job(
    name="hubspot_partial_refresh",
    selection=HUBSPOT_RAW_SELECTION,
    description="Re-read the records, links and threads queued webhook events name (launched by "
    "hubspot_webhook_sensor, whose run config lists them), then mark those events done.",
)

