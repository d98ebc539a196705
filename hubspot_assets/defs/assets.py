"""The `hubspot_raw` assets: one Dagster asset per dlt resource (table), all loaded by one dlt run.

The asset body is thin: check the settings against HubSpot (fail fast, before writing), take the warehouse writer
lock, let dagster-dlt run the pipeline (subsets run only the selected resources), publish the read-only
snapshot, and attach row counts and HubSpot API request counts to each materialization.
"""


from collections.abc import Iterator
from typing import Any, Literal

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from hubspot_assets.defs.jobs import SYNC_OP_NAME, WAREHOUSE_POOL
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource
from hubspot_assets.settings import load_settings
from hubspot_assets.sources import RESOURCE_DESCRIPTIONS, hubspot
from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, prepare
from hubspot_assets.sources.settings import DATASET_NAME
from hubspot_assets.sources.warehouse import make_pipeline, publish_snapshot, writer_lock

GROUP_CRM = "hubspot_crm"
GROUP_METADATA = "hubspot_metadata"
GROUP_CONVERSATIONS = "hubspot_conversations"

_METADATA = {"properties", "property_options", "owners", "pipelines", "pipeline_stages"}
_CONVERSATIONS = {"inboxes", "channels", "channel_accounts", "threads", "messages", "message_participants"}


def group_of(resource_name: str) -> str:
    if resource_name in _METADATA:
        return GROUP_METADATA
    if resource_name in _CONVERSATIONS:
        return GROUP_CONVERSATIONS
    return GROUP_CRM


class HubSpotTranslator(DagsterDltTranslator):
    """Keys `hubspot_raw/<table>`, groups by area, descriptions, kinds; no upstream (phantom) assets."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        name = data.resource.name
        return spec.replace_attributes(
            key=dg.AssetKey([DATASET_NAME, name]),
            deps=[],
            group_name=group_of(name),
            description=RESOURCE_DESCRIPTIONS.get(name, spec.description),
            kinds={"hubspot", "dlt", "duckdb"},
        ).merge_attributes(tags={"hubspot/area": group_of(name).removeprefix("hubspot_")})


class SyncConfig(dg.Config):
    """What one run loads: `incremental` (changes since the last run), `reconcile` (plus deletes and every
    association) or `full` (everything); `objects` narrows the CRM object types (default: HUBSPOT_OBJECTS)."""

    mode: Literal["incremental", "reconcile", "full"] = "incremental"
    objects: list[str] | None = None


# The source built without a client makes no API call: it only names the resources, for the asset specs.
_SPEC_SETTINGS = load_settings()


@dlt_assets(
    dlt_source=hubspot(),
    dlt_pipeline=make_pipeline(_SPEC_SETTINGS),
    name=SYNC_OP_NAME,
    dagster_dlt_translator=HubSpotTranslator(),
    pool=WAREHOUSE_POOL,
)
def hubspot_raw_assets(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    dlt: DagsterDltResource,
    hubspot: HubSpotResource,
    warehouse: WarehouseResource,
) -> Iterator[Any]:
    settings = hubspot.settings(**warehouse.overrides())
    prepared = prepare(settings, mode=config.mode, objects=config.objects)
    context.log.info(
        "HubSpot %s sync of %s into %s",
        config.mode,
        ", ".join(prepared.catalog.all),
        settings.absolute(settings.warehouse_path),
    )
    with writer_lock(settings):
        pipeline = make_pipeline(settings)
        results = list(
            dlt.run(
                context=context,
                dlt_source=prepared.source(settings),
                dlt_pipeline=pipeline,
                loader_file_format=LOADER_FILE_FORMAT,
            )
        )
        snapshot = publish_snapshot(settings)
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    for warning in prepared.extraction.warnings:
        context.log.warning(warning)
    custom_tables = {name: counts.get(name, 0) for name in prepared.catalog.custom}
    metrics = getattr(getattr(prepared.client, "transport", None), "metrics", None)
    http = metrics.snapshot() if metrics is not None else {}
    for result in results:
        name = result.asset_key.path[-1]
        extra: dict[str, Any] = {
            # API calls (pages, batches) made for this table; the run totals count every HTTP request.
            "api_requests": dg.MetadataValue.int(prepared.extraction.api_calls.get(name, 0)),
            "run_http_requests": dg.MetadataValue.int(int(http.get("requests", 0))),
            "run_rate_limited_429s": dg.MetadataValue.int(int(http.get("rate_limited", 0))),
            "sync_mode": config.mode,
            "snapshot_path": dg.MetadataValue.path(str(snapshot)),
        }
        if name == "custom_objects":
            extra["rows_loaded"] = dg.MetadataValue.int(sum(custom_tables.values()))
            extra["custom_object_tables"] = dg.MetadataValue.json(custom_tables)
        elif "rows_loaded" not in (result.metadata or {}):
            extra["rows_loaded"] = dg.MetadataValue.int(int(counts.get(name, 0)))
        yield dg.MaterializeResult(asset_key=result.asset_key, metadata={**(result.metadata or {}), **extra})


__all__ = ["hubspot_raw_assets", "HubSpotTranslator", "SyncConfig"]
