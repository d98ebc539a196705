"""The `hubspot_raw` assets: dagster-dlt's `@dlt_assets` over the HubSpot dlt source, one asset per dlt resource,
which is one per warehouse table (`hubspot_raw/<table>`).

The run body is `sources.pipeline.sync_session`, the code path of `hubspot-elt sync` (fail-fast checks of the
settings, the warehouse writer lock, the package a killed run left loaded first, the read-only snapshot after),
around `DagsterDltResource.run`, which runs the session's source with the session's pipeline (parquet), limited to
the selected assets' resources. Each materialization carries dagster-dlt's metadata (load jobs, column schema,
table name) plus `rows_loaded` (rows written; delete markers, counted apart as `delete_markers`, left out),
`api_requests` (HubSpot API calls made for that table), `run_http_requests`, `run_rate_limited_429s`, `sync_mode`
and `snapshot_path`. `hubspot_raw/property_history` says `property_history: off...` instead of a row count when
HUBSPOT_PROPERTY_HISTORY is empty.

Building the definitions makes no API call, reads no connection setting and writes no file: the source is built
without a client, and the pipeline given to `@dlt_assets` is a placeholder (`DefinitionPipeline`); the real one,
whose working folder sits next to the warehouse, is made by each run from its settings. A wrong `HUBSPOT_BASE_URL`
fails the run (with the message saying what to set), not the code location load.

Custom objects: each custom object table the warehouse holds (e.g. `pets`, `vehicles`) has its own dlt resource and
asset. The table names come from the dlt schema stored next to the warehouse (`catalog.stored_custom_tables`), not
from HubSpot. Custom object types without an asset yet (all of them before the first run; later, types created in
HubSpot since the code location loaded) are loaded by the asset `hubspot_raw/custom_objects`, each into its own
table, and get their own asset when the code location is reloaded after that run.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.pipeline.pipeline import Pipeline
from pydantic import ValidationError

from hubspot_assets.defs.jobs import SYNC_OP_NAME, WAREHOUSE_POOL
from hubspot_assets.defs.resources import HubSpotResource, WarehouseResource
from hubspot_assets.sources import RESOURCE_DESCRIPTIONS, is_custom_table
from hubspot_assets.sources import hubspot as hubspot_source
from hubspot_assets.sources.pipeline import LOADER_FILE_FORMAT, SyncReport, sync_session
from hubspot_assets.sources.settings import (
    CUSTOM_OBJECTS_RESOURCE,
    DATASET_NAME,
    PIPELINE_NAME,
    TABLE_PROPERTY_HISTORY,
)

GROUP_CRM = "hubspot_crm"
GROUP_METADATA = "hubspot_metadata"
GROUP_CONVERSATIONS = "hubspot_conversations"

_METADATA = {"properties", "property_options", "owners", "pipelines", "pipeline_stages"}
_CONVERSATIONS = {"inboxes", "channels", "channel_accounts", "threads", "messages", "message_participants"}

HISTORY_OFF = "off: HUBSPOT_PROPERTY_HISTORY is empty, so no history was read (e.g. contacts:lifecyclestage)"


def group_of(resource_name: str) -> str:
    if resource_name in _METADATA:
        return GROUP_METADATA
    if resource_name in _CONVERSATIONS:
        return GROUP_CONVERSATIONS
    return GROUP_CRM


def _description(name: str) -> str:
    if name in RESOURCE_DESCRIPTIONS:
        return RESOURCE_DESCRIPTIONS[name]
    return f"Records of the HubSpot custom object `{name}`, one row per record (key `id`), every property a column."


class HubSpotTranslator(DagsterDltTranslator):
    """Keys `hubspot_raw/<table>`, groups by area, descriptions, kinds; no upstream (phantom) assets."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        name = data.resource.name
        # The catch-all writes no table of its own; every other resource writes hubspot_raw.<its name>.
        metadata = {k: v for k, v in spec.metadata.items() if k != "dagster/table_name"}
        if name != CUSTOM_OBJECTS_RESOURCE:
            metadata["dagster/table_name"] = f"{DATASET_NAME}.{name}"
        return spec.replace_attributes(
            key=dg.AssetKey([DATASET_NAME, name]),
            deps=[],
            group_name=group_of(name),
            description=_description(name),
            kinds={"hubspot", "dlt", "duckdb"},
            metadata=metadata,
        ).merge_attributes(tags={"hubspot/area": group_of(name).removeprefix("hubspot_")})


class DefinitionPipeline(Pipeline):
    """The pipeline named in the asset definitions, never run: `dlt.pipeline()` would create its working folder when
    the code location loads, and its place depends on HUBSPOT_WAREHOUSE_PATH, which each run reads. Every run hands
    the real pipeline (`sources.warehouse.make_pipeline`) to `DagsterDltResource.run`."""

    def __init__(self) -> None:  # Pipeline.__init__ is not called on purpose: it creates folders
        self.pipeline_name = PIPELINE_NAME
        self.dataset_name = DATASET_NAME
        self._destination = None
        self._staging = None

    def __repr__(self) -> str:
        return f"DefinitionPipeline({PIPELINE_NAME!r}: made per run by hubspot_assets.sources.warehouse.make_pipeline)"

    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "DefinitionPipeline only names the pipeline in the asset definitions; run the assets (their body makes "
            "the warehouse pipeline from the run's settings) or use hubspot_assets.sources.pipeline.run_sync"
        )

    def drop(self, *args: Any, **kwargs: Any) -> Any:
        return self.run()


class SyncConfig(dg.Config):
    """What one run loads: `incremental` (changes since the last run), `reconcile` (plus deletes and every
    association) or `full` (everything); `objects` narrows the CRM object types (default: HUBSPOT_OBJECTS)."""

    mode: Literal["incremental", "reconcile", "full"] = "incremental"
    objects: list[str] | None = None


def materialization_metadata(
    table: str, report: SyncReport, *, custom_tables: Sequence[str], history_on: bool
) -> dict[str, Any]:
    """What the run did for one asset: rows loaded into its table, API calls made for it, and the run's totals."""
    extra: dict[str, Any] = {}
    if table == CUSTOM_OBJECTS_RESOURCE:
        # The custom object tables this code location has no asset for yet (rows per table).
        loaded = {
            name: report.rows_loaded(name) for name in report.row_counts
            if is_custom_table(name) and name not in set(custom_tables)
        }
        extra["custom_object_tables"] = dg.MetadataValue.json(loaded)
        extra["rows_loaded"] = dg.MetadataValue.int(sum(loaded.values()))
        if loaded:
            extra["note"] = "reload the code location to see each of these tables as its own asset"
    elif table == TABLE_PROPERTY_HISTORY and not history_on:
        extra["property_history"] = HISTORY_OFF
    else:
        extra["rows_loaded"] = dg.MetadataValue.int(report.rows_loaded(table))
        if report.delete_markers.get(table):
            extra["delete_markers"] = dg.MetadataValue.int(int(report.delete_markers[table]))
    return {
        **extra,
        "api_requests": dg.MetadataValue.int(int(report.api_calls.get(table, 0))),
        "run_http_requests": dg.MetadataValue.int(int(report.api.get("requests", 0))),
        "run_rate_limited_429s": dg.MetadataValue.int(int(report.api.get("rate_limited", 0))),
        "sync_mode": report.mode,
        "snapshot_path": dg.MetadataValue.path(str(report.snapshot)),
    }


def _merged(event: Any, metadata: Mapping[str, Any]) -> dg.MaterializeResult:
    base = {k: v for k, v in (event.metadata or {}).items() if k not in metadata and k != "rows_loaded"}
    return dg.MaterializeResult(asset_key=event.asset_key, metadata={**base, **metadata})


def build_hubspot_raw_assets(custom_tables: Sequence[str] | None = None) -> dg.AssetsDefinition:
    """The `hubspot_raw` assets (`@dlt_assets`, subsettable), with one asset per known custom object table
    (`custom_tables`, e.g. from `catalog.stored_custom_tables`) besides the catch-all `custom_objects`."""
    custom = tuple(sorted({t for t in custom_tables or () if is_custom_table(t)}))

    @dlt_assets(
        dlt_source=hubspot_source(custom_tables=custom),  # no client: makes no API call
        dlt_pipeline=DefinitionPipeline(),
        name=SYNC_OP_NAME,
        dagster_dlt_translator=HubSpotTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def hubspot_raw_assets(
        context: dg.AssetExecutionContext,
        config: SyncConfig,
        hubspot: HubSpotResource,
        warehouse: WarehouseResource,
    ) -> Iterator[dg.MaterializeResult]:
        """Load HubSpot into the DuckDB warehouse (schema hubspot_raw) with dlt."""
        try:
            settings = hubspot.settings(**warehouse.overrides())
        except ValidationError as error:  # e.g. HUBSPOT_BASE_URL without http(s)://: the message says what to set
            raise dg.Failure(description=f"HubSpot settings are invalid: {error}") from None
        # The run's source has the same resources as the definitions' (the same custom tables), so every event
        # dagster-dlt yields is an asset of this definition; types new in HubSpot go to the catch-all.
        # dagster-dlt drops the pipeline's local state before running; dlt restores it (cursors, schema) from the
        # warehouse, and `sync_session` has already loaded any package a killed run left.
        with sync_session(settings, mode=config.mode, objects=config.objects, custom_tables=custom) as session:
            events = list(
                DagsterDltResource().run(
                    context=context,
                    dlt_source=session.source,
                    dlt_pipeline=session.pipeline,
                    loader_file_format=LOADER_FILE_FORMAT,
                )
            )
        report = session.report()
        for warning in report.warnings:
            context.log.warning(warning)
        history_on = bool(session.prepared.property_history)
        for event in events:
            table = event.asset_key.path[-1]
            yield _merged(event, materialization_metadata(table, report, custom_tables=custom, history_on=history_on))

    return hubspot_raw_assets


# Without stored custom object tables: only the catch-all `custom_objects` asset for custom objects.
hubspot_raw_assets = build_hubspot_raw_assets()


__all__ = ["hubspot_raw_assets", "build_hubspot_raw_assets", "HubSpotTranslator", "SyncConfig", "DefinitionPipeline"]
