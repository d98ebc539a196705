"""The `hubspot_raw` assets: one Dagster asset per warehouse table, all loaded by one dlt run.

The asset body is thin: it resolves the run's settings and calls `hubspot_assets.sources.pipeline.run_sync`, the
same code path as `hubspot-elt sync` (fail-fast checks, writer lock, dlt run, read-only snapshot); then it attaches
row counts and HubSpot API request counts to each materialization.

Nothing here reads the settings or touches the disk at import: a wrong `HUBSPOT_BASE_URL` fails the run (with the
message saying what to set), not the code location load.

Custom objects: each custom object table (e.g. `pets`) is its own asset once the warehouse knows it. The table
names come from the dlt schema that every run stores next to the warehouse (`catalog.py`), so building the
definitions makes no API call. Before the first run (or for a custom object created in HubSpot since the last
run) the definitions have a single `custom_objects` asset that loads every custom object; the per-table assets
appear when the code location is reloaded after a run.
"""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

import dagster as dg
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData
from pydantic import ValidationError

from hubspot_assets.defs.jobs import SYNC_OP_NAME, WAREHOUSE_POOL
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource
from hubspot_assets.sources import RESOURCE_DESCRIPTIONS, hubspot
from hubspot_assets.sources.pipeline import SyncReport, run_sync
from hubspot_assets.sources.settings import DATASET_NAME

GROUP_CRM = "hubspot_crm"
GROUP_METADATA = "hubspot_metadata"
GROUP_CONVERSATIONS = "hubspot_conversations"

CUSTOM_OBJECTS = "custom_objects"  # the dlt resource that writes one table per custom object type

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


def _custom_table_spec(base: dg.AssetSpec, table: str) -> dg.AssetSpec:
    return base.replace_attributes(
        key=dg.AssetKey([DATASET_NAME, table]),
        description=f"Records of the HubSpot custom object `{table}`, one row per record (key `id`).",
    )


def asset_specs(custom_tables: Sequence[str] | None = None) -> list[dg.AssetSpec]:
    """One spec per table. `custom_tables` (known custom object tables) replace the `custom_objects` asset."""
    translator = HubSpotTranslator()
    specs = []
    for resource in hubspot().selected_resources.values():  # built without a client: makes no API call
        spec = translator.get_asset_spec(DltResourceTranslatorData(resource=resource, pipeline=None))
        if resource.name == CUSTOM_OBJECTS and custom_tables:
            specs.extend(_custom_table_spec(spec, table) for table in sorted(set(custom_tables)))
        else:
            specs.append(spec)
    return specs


class SyncConfig(dg.Config):
    """What one run loads: `incremental` (changes since the last run), `reconcile` (plus deletes and every
    association) or `full` (everything); `objects` narrows the CRM object types (default: HUBSPOT_OBJECTS)."""

    mode: Literal["incremental", "reconcile", "full"] = "incremental"
    objects: list[str] | None = None


def resources_of(tables: Iterable[str], custom_tables: Iterable[str]) -> list[str]:
    """The dlt resources that write `tables` (every custom object table is written by `custom_objects`)."""
    custom = set(custom_tables)
    return sorted({CUSTOM_OBJECTS if table in custom else table for table in tables})


def materialization_metadata(
    table: str, report: SyncReport, custom_tables: Sequence[str], mode: str
) -> dict[str, Any]:
    """Row count and API request counts of one table after a run (the run totals count every HTTP request)."""
    if table == CUSTOM_OBJECTS:
        # Before the first run the custom object tables are not known: this asset stands for all of them.
        loaded = {name: n for name, n in report.row_counts.items() if name not in RESOURCE_DESCRIPTIONS}
        extra: dict[str, Any] = {
            "rows_loaded": dg.MetadataValue.int(sum(loaded.values())),
            "custom_object_tables": dg.MetadataValue.json(loaded),
        }
    else:
        extra = {"rows_loaded": dg.MetadataValue.int(int(report.row_counts.get(table, 0)))}
    calls = report.api_calls.get(table)
    if calls is None and table in custom_tables:
        calls = report.api_calls.get(CUSTOM_OBJECTS, 0)
    return {
        **extra,
        "api_requests": dg.MetadataValue.int(int(calls or 0)),
        "run_http_requests": dg.MetadataValue.int(int(report.api.get("requests", 0))),
        "run_rate_limited_429s": dg.MetadataValue.int(int(report.api.get("rate_limited", 0))),
        "sync_mode": mode,
        "snapshot_path": dg.MetadataValue.path(str(report.snapshot)),
    }


def build_hubspot_raw_assets(custom_tables: Sequence[str] | None = None) -> dg.AssetsDefinition:
    """The `hubspot_raw` assets (one multi-asset, subsettable), with one asset per known custom object table."""
    custom = tuple(sorted(set(custom_tables or ())))

    @dg.multi_asset(
        specs=asset_specs(custom),
        name=SYNC_OP_NAME,
        can_subset=True,
        pool=WAREHOUSE_POOL,
        description="Load HubSpot into the DuckDB warehouse (schema hubspot_raw) with dlt.",
    )
    def hubspot_raw_assets(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        hubspot: HubSpotResource,
        warehouse: WarehouseResource,
    ) -> Iterator[dg.MaterializeResult]:
        try:
            settings = hubspot.settings(**warehouse.overrides())
        except ValidationError as error:  # e.g. HUBSPOT_BASE_URL without http(s)://: the message says what to set
            raise dg.Failure(description=f"HubSpot settings are invalid: {error}") from None
        tables = [key.path[-1] for key in context.selected_asset_keys]
        report = run_sync(
            settings,
            mode=config.mode,
            objects=config.objects,
            snapshot=True,
            resources=resources_of(tables, custom) if context.is_subset else None,
        )
        for warning in report.warnings:
            context.log.warning(warning)
        for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
            table = key.path[-1]
            yield dg.MaterializeResult(asset_key=key, metadata=materialization_metadata(table, report, custom,
                                                                                       config.mode))

    return hubspot_raw_assets


# Without stored custom object tables: a single `custom_objects` asset (what `definitions.py` starts from).
hubspot_raw_assets = build_hubspot_raw_assets()


__all__ = ["hubspot_raw_assets", "build_hubspot_raw_assets", "HubSpotTranslator", "SyncConfig"]
