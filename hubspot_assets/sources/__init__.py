"""The HubSpot dlt source: every CRM object type (custom ones discovered), their properties, owners, pipelines,
associations (v4), merges, property history, conversations and call transcripts, into `hubspot_raw`.

One resource per table, named after it (what dagster-dlt turns into one asset each), built by a factory of its area:
- `records.py`: one merge resource per CRM object type, custom ones too (`pets`, `vehicles`...: from the run's
  catalog, or from the `custom_tables` the caller already knows), and the catch-all `custom_objects` for custom types
  that have no resource of their own;
- `metadata.py`: property definitions and options, owners, pipelines and stages;
- `associations.py`: associations and merges; `history.py`: property history and call transcripts;
- `conversations.py`: inboxes, channels, channel accounts, threads, messages and their participants.
Every factory takes the run context (`extraction.Extraction`: client, mode, catalog, what the resources read); this
function only assembles them.

Write path: every record table and every table derived from records merges on its key (dlt `merge`,
`delete-insert`), so full loads, incremental loads, reconciliations and partial refreshes all go through the same
resources and a record loaded twice is one row. Modes are described in `records.py`.

Resources run side by side in dlt's extract threads (`parallelized`); those that work from the records another
resource read wait for it and reuse what it read (extraction.py), so a run costs about one search per object type
plus the metadata calls when nothing changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dlt
from dlt.sources import DltResource

from hubspot_assets.sources import associations, conversations, history, metadata, records
from hubspot_assets.sources.catalog import (
    ObjectCatalog,
    custom_table_name,
    custom_type_of,
    discover_catalog,
    is_custom_table,
    parse_property_history,
)
from hubspot_assets.sources.descriptions import RESOURCE_DESCRIPTIONS, table_description
from hubspot_assets.sources.extraction import Extraction
from hubspot_assets.sources.settings import CUSTOM_OBJECTS_RESOURCE, FIXED_TABLES, MODES, STANDARD_OBJECTS

__all__ = [
    "hubspot",
    "discover_catalog",
    "parse_property_history",
    "Extraction",
    "ObjectCatalog",
    "RESOURCE_DESCRIPTIONS",
    "FIXED_TABLES",
    "custom_table_name",
    "custom_type_of",
    "is_custom_table",
    "table_description",
]


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot(
    client: Any = None,
    catalog: ObjectCatalog | None = None,
    mode: str = "incremental",
    lookback_s: int = 300,
    property_history: dict[str, Sequence[str]] | None = None,
    extraction: Extraction | None = None,
    record_ids: dict[str, Sequence[int | str]] | None = None,
    link_ids: dict[str, dict[str, Sequence[int | str]]] | None = None,
    custom_tables: Sequence[str] | None = None,
) -> Sequence[DltResource]:
    """Every HubSpot entity as dlt resources.

    Args:
        client: a `HubSpotClient`. None (and no `extraction`) builds the resources without any API call (Dagster asset
            specs); such a source yields nothing.
        catalog: the object types to load (`discover_catalog(client, objects)`); default: discovered here.
        mode: `incremental`, `reconcile` or `full` (see records.py).
        lookback_s: overlap subtracted from the stored cursors, so records search had not indexed yet are read.
        property_history: object type -> properties whose history to load (`parse_property_history`).
        extraction: the run context to use instead of one built from the arguments above (lets the caller read
            `api_calls`, `skipped` and `warnings` afterwards).
        record_ids: a partial refresh (e.g. from webhooks): object type -> ids. Only these records are read (live
            ones merged, archived ones flagged, vanished ones deleted), with their associations, merges, history
            and transcripts, through the same merge write path; `{"threads": [...]}` re-reads those threads'
            messages. Cursors do not move.
        link_ids: the links such a refresh re-reads, from type -> to type (or "*", every type) -> ids; None: every
            link of the `record_ids` records (see `catalog.refresh_link_ids`).
        custom_tables: the custom object tables that get a resource each (named after the table, e.g. `pets`), as
            the Dagster definitions know them from the stored dlt schema, without an API call. None: one per custom
            object of the run's catalog (none without a client). Custom types of the catalog with no resource here
            are loaded by the catch-all `custom_objects` resource, each into its own table.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    run = extraction
    if run is None and client is not None:
        run = Extraction(client, catalog or discover_catalog(client), mode=mode, lookback_s=lookback_s,
                         refresh=record_ids, refresh_links=link_ids, property_history=property_history)
    if custom_tables is None:
        custom_tables = [custom_table_name(name) for name in run.catalog.custom] if run is not None else []
    own_tables = sorted({t for t in custom_tables if is_custom_table(t)})
    if run is not None:  # which resource reads each custom type: resources that reuse its records wait for it
        run.readers.update(
            {name: (t if (t := custom_table_name(name)) in own_tables else CUSTOM_OBJECTS_RESOURCE)
             for name in run.catalog.custom}
        )
    return [
        *metadata.metadata_resources(run),
        *[records.record_resource(run, name, name) for name in STANDARD_OBJECTS],
        *[records.record_resource(run, table) for table in own_tables],
        records.custom_objects_resource(run, own_tables),
        associations.merges(run),
        associations.associations(run),
        history.property_history(run),
        history.call_transcript_utterances(run),
        *conversations.conversation_resources(run),
    ]
