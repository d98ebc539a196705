"""Jobs over the `hubspot_raw` assets, one per sync mode, all serialized as warehouse writers."""

from __future__ import annotations

import dagster as dg

# Every warehouse writer runs in this pool (op level) and carries this tag (run level). With the instance's
# pool limit at 1 (dagster.yaml: `concurrency: pools: default_limit: 1`, or `dagster instance concurrency set
# hubspot_warehouse 1`) or a run-queue tag limit on WAREHOUSE_WRITER_TAG, one writer touches DuckDB at a time.
# Inside a process the writer file lock (sources/warehouse.py) makes any other writer wait, not fail.
WAREHOUSE_POOL = "hubspot_warehouse"
WAREHOUSE_WRITER_TAG = {"hubspot/warehouse": "writer"}

HUBSPOT_RAW_SELECTION = dg.AssetSelection.key_prefixes(["hubspot_raw"])
SYNC_OP_NAME = "hubspot_raw_sync"


def _sync_job(name: str, mode: str, description: str) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=name,
        selection=HUBSPOT_RAW_SELECTION,
        description=description,
        config={"ops": {SYNC_OP_NAME: {"config": {"mode": mode}}}},
        tags=WAREHOUSE_WRITER_TAG,
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
