"""Dagster definitions of the HubSpot extraction, one module per concern, loaded by Dagster's own loader
(`dg.load_from_defs_folder`, see `hubspot_assets/definitions.py`): each module's `@dg.definitions` function (or its
module-level jobs) becomes part of the code location.

- `assets.py`: the `hubspot_raw/<table>` assets and their checks, in one subsettable op (`hubspot_raw_sync`)
- `checks.py`: the asset checks (duplicate keys, live rows vs HubSpot's totals, links to missing records)
- `metadata.py`: what a materialization shows (row count, column schema with HubSpot's labels), or why a table
  was skipped
- `translator.py`: dlt resource -> asset spec (keys, groups, descriptions, freshness)
- `freshness.py`: the freshness policy derived from the incremental cron
- `resources.py`: `hubspot`, `warehouse`, `webhook_queue` and `dlt`, set from `HUBSPOT_*` variables with `dg.EnvVar`
- `webhook_queue.py`: the webhook queue as an external asset (`hubspot_webhooks/queue`) and its checks (lag, dead
  letters)
- `jobs.py`, `schedules.py`: a job per sync mode; the incremental and reconcile schedules
- `location.py`, `catalog.py`, `snapshot.py`: what the location reads when it loads; the stored custom tables; the
  read-only queries on the published snapshot
"""
