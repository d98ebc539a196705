"""The `hubspot_raw` assets: one per dlt resource of the HubSpot source, which is one per warehouse table
(`hubspot_raw/<table>`), in one subsettable op, `hubspot_raw_sync`, with the tables' checks (`checks.py`).

The run body is `sources.pipeline.sync_session`, the code path of `hubspot-elt sync` (fail-fast checks of the
settings, the warehouse writer lock, the package a killed run left loaded first, the read-only snapshot after),
around dagster-dlt's `DagsterDltResource.run` (resource `dlt`), which runs the selected assets' dlt resources with
the session's source and pipeline. Then, from the snapshot, one materialization per table written (`metadata.py`)
or, for a table the run wrote nothing for (property history off, no transcript scope...), an observation saying
why instead, and the selected checks.

Building the definitions makes no API call, reads no connection setting and writes no file: the source is built
without a client, and no dlt pipeline is needed (dagster-dlt's translator takes none; each run makes the real one
next to the warehouse from its settings). A wrong `HUBSPOT_BASE_URL` fails the run, not the code location load.

Custom objects: each custom object table the warehouse holds (e.g. `pets`, `vehicles`) has its own dlt resource and
asset. The table names come from the dlt schema stored next to the warehouse (`catalog.stored_custom_tables`), not
from HubSpot. Custom object types without an asset yet (all of them before the first run; later, types created in
HubSpot since the code location loaded) are loaded by the asset `hubspot_raw/custom_objects`, each into its own
table, and get their own asset when the code location is reloaded after that run.
"""

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import dagster as dg
from dagster_dlt import DagsterDltResource
from dagster_dlt.translator import DltResourceTranslatorData

from hubspot_assets.defs.catalog import stored_custom_tables
from hubspot_assets.defs.checks import check_specs, evaluate_checks
from hubspot_assets.defs.freshness import incremental_freshness
from hubspot_assets.defs.jobs import SYNC_OP_NAME, WAREHOUSE_POOL
from hubspot_assets.defs.location import LocationSettings
from hubspot_assets.defs.metadata import run_metadata, skipped_tables, table_metadata
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource, WebhookQueueResource, run_settings
from hubspot_assets.defs.snapshot import open_snapshot
from hubspot_assets.defs.translator import HubSpotTranslator
from hubspot_assets.settings import Settings
from hubspot_assets.sources import hubspot as hubspot_source
from hubspot_assets.sources import is_custom_table
from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, SyncReport, sync_session
from hubspot_assets.sources.settings import CUSTOM_OBJECTS_RESOURCE, DATASET_NAME
from hubspot_assets.sources.warehouse import snapshot_path
from hubspot_assets.webhooks.queue import WebhookQueue, claimer_name
from hubspot_assets.webhooks.refresh import refreshing, webhook_metadata


class SyncConfig(dg.Config):
    """What one run loads: `incremental` (changes since the last run), `reconcile` (plus deletes and every
    association) or `full` (everything); `objects` narrows the CRM object types (default: HUBSPOT_OBJECTS).

    A partial refresh (the job `hubspot_partial_refresh`, launched by `hubspot_webhook_sensor`) reads only
    `record_ids` and `link_ids` (see `hubspot()`), and marks the queued webhook events `webhook_event_ids` done once
    it has committed."""

    mode: Literal["incremental", "reconcile", "full"] = "incremental"
    objects: list[str] | None = None
    record_ids: dict[str, list[int]] | None = None
    link_ids: dict[str, dict[str, list[int]]] | None = None
    webhook_event_ids: list[int] | None = None


def primary_keys(source: Any) -> dict[str, tuple[str, ...]]:
    """Table -> its primary key columns, from the hints of each dlt resource of `source`."""
    keys = {}
    for name, resource in source.selected_resources.items():
        columns = resource.compute_table_schema().get("columns", {})
        keys[name] = tuple(column for column, hints in columns.items() if hints.get("primary_key"))
    return keys


def _load(
    context: dg.AssetExecutionContext,
    dlt: DagsterDltResource,
    translator: HubSpotTranslator,
    settings: Settings,
    config: SyncConfig,
    custom: Sequence[str],
    keys: dict[str, tuple[str, ...]],
    extra_metadata: dict[str, Any] | None = None,
) -> Generator[Any, None, dict[str, str]]:
    """Run the selected assets' resources; yield a materialization per table written (with `extra_metadata`) and an
    observation per table skipped; return the skipped tables with why."""
    # The run's source has the same resources as the definitions' (the same custom tables), so every event
    # dagster-dlt yields is an asset of this definition; types new in HubSpot go to the catch-all.
    # dagster-dlt drops the pipeline's local state before running; dlt restores it (cursors, schema) from the
    # warehouse, and `sync_session` has already loaded any package a killed run left.
    with sync_session(settings, mode=config.mode, objects=config.objects, custom_tables=custom,
                      record_ids=config.record_ids, link_ids=config.link_ids,
                      skip_unloaded=config.webhook_event_ids is not None) as session:
        ran = [
            event.asset_key
            for event in dlt.run(
                context=context,
                dlt_source=session.source,
                dlt_pipeline=session.pipeline,
                dagster_dlt_translator=translator,
                loader_file_format=LOADER_FILE_FORMAT,
            )
        ]
    report = session.report()
    for warning in report.warnings:
        context.log.warning(warning)
    published = report.snapshot or snapshot_path(settings)
    with open_snapshot(published, memory_limit=settings.warehouse_memory_limit) as snapshot:
        tables = [key.path[-1] for key in ran]
        skipped = skipped_tables(tables, report, snapshot.tables)
        properties = snapshot.property_texts()
        for table in tables:
            if table in skipped:
                context.log.info(f"{DATASET_NAME}/{table} skipped: {skipped[table]}")
                yield _skipped(table, skipped[table], report)
                continue
            metadata = run_metadata(table, report, custom_tables=custom)
            if table != CUSTOM_OBJECTS_RESOURCE:
                metadata = {**table_metadata(table, snapshot, keys.get(table, ()), properties), **metadata}
            metadata.update(extra_metadata or {})
            yield dg.MaterializeResult(asset_key=dg.AssetKey([DATASET_NAME, table]), metadata=metadata)
    return skipped


@contextmanager
def _webhook_events(context: dg.AssetExecutionContext, settings: Settings, ids: Sequence[int]) -> Iterator[dict]:
    """For a partial refresh launched by the webhook sensor: claim its events, and mark them done when the block
    (the load) ends, or give them back when it raises. Yields the queue's depth and lag as this run found them, for
    every materialization of the run."""
    queue = WebhookQueue.from_settings(settings)
    try:
        batch = queue.claim_ids(ids, claimer_name(f"dagster-run-{context.run_id}"))
        metadata = webhook_metadata(queue, batch)
        context.log.info(f"partial refresh of {len(batch)} webhook event(s): {metadata}")
        with refreshing(queue, batch):
            yield metadata
    finally:
        queue.close()


def _skipped(table: str, why: str, report: SyncReport) -> dg.AssetObservation:
    """What the UI shows for a table the run wrote nothing for, instead of a materialization."""
    return dg.AssetObservation(
        asset_key=dg.AssetKey([DATASET_NAME, table]),
        metadata={
            "skipped": why,
            "api_requests": dg.MetadataValue.int(int(report.api_calls.get(table, 0))),
            "sync_mode": report.mode,
        },
    )


def build_hubspot_raw_assets(
    custom_tables: Sequence[str] | None = None, *, incremental_cron: str | None = None
) -> dg.AssetsDefinition:
    """The `hubspot_raw` assets and their checks (subsettable), with one asset per known custom object table
    (`custom_tables`, e.g. from `catalog.stored_custom_tables`) besides the catch-all `custom_objects`;
    `incremental_cron` sets their freshness policy (none without it)."""
    custom = tuple(sorted({t for t in custom_tables or () if is_custom_table(t)}))
    source = hubspot_source(custom_tables=custom)  # no client: makes no API call
    freshness = incremental_freshness(incremental_cron) if incremental_cron else None
    translator = HubSpotTranslator(freshness_policy=freshness)
    specs = [
        translator.get_asset_spec(DltResourceTranslatorData(resource=resource, pipeline=None))
        for resource in source.selected_resources.values()
    ]
    keys = primary_keys(source)

    @dg.multi_asset(
        name=SYNC_OP_NAME,
        specs=specs,
        check_specs=check_specs(keys),
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def hubspot_raw_sync(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        dlt: DagsterDltResource,
        hubspot: HubSpotResource,
        warehouse: WarehouseResource,
        webhook_queue: WebhookQueueResource,
    ) -> Generator[Any, None, None]:
        """Load HubSpot into the DuckDB warehouse (schema hubspot_raw) with dlt, then check the tables."""
        settings = run_settings(hubspot, warehouse, webhook_queue)
        skipped: dict[str, str] = {}
        if context.selected_asset_keys and config.webhook_event_ids is not None:
            with _webhook_events(context, settings, config.webhook_event_ids) as queue_metadata:
                skipped = yield from _load(context, dlt, translator, settings, config, custom, keys, queue_metadata)
        elif context.selected_asset_keys:  # none when only checks are run ("Execute checks")
            skipped = yield from _load(context, dlt, translator, settings, config, custom, keys)
        yield from evaluate_checks(
            context.selected_asset_check_keys,
            settings=settings,
            snapshot_path=snapshot_path(settings),
            primary_keys=keys,
            skipped=skipped,
        )

    return hubspot_raw_sync


@dg.definitions
def hubspot_raw() -> dg.Definitions:
    """The assets of the tables this warehouse holds (custom objects from the stored dlt schema)."""
    location = LocationSettings.from_environment()
    return dg.Definitions(
        assets=[
            build_hubspot_raw_assets(
                stored_custom_tables(location.warehouse_path), incremental_cron=location.incremental_cron
            )
        ]
    )
