"""What a run of the `hubspot_raw` assets tells a user about each table.

A table written gets a materialization: the table, its columns with HubSpot's labels and descriptions, its rows
after the load (`dagster/row_count`), what this run wrote and asked HubSpot for it, and the run's totals. Nothing of
dagster-dlt's own metadata is kept beyond that (its load-job list carries local paths). A table the run wrote
nothing for (`skipped_tables`) gets an observation saying why instead, so it never looks materialized.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import dagster as dg

from hubspot_assets.defs.snapshot import Column, PropertyText, Snapshot
from hubspot_assets.defs.translator import TABLE_NAME
from hubspot_assets.sources import custom_table_name, is_custom_table
from hubspot_assets.sources.columns import column_name
from hubspot_assets.sources.pipeline import SyncReport
from hubspot_assets.sources.settings import (
    CUSTOM_OBJECTS_RESOURCE,
    DATASET_NAME,
    HARD_DELETE_COLUMN,
    STANDARD_OBJECTS,
)

NO_TABLE = (
    "no table written: this run read no rows for it (its object type is not in HUBSPOT_OBJECTS, or HubSpot holds "
    "none yet)"
)

ROW_COUNT = "dagster/row_count"
COLUMN_SCHEMA = "dagster/column_schema"

RECORD_COLUMN_TEXT = {
    "id": "HubSpot record id (hs_object_id); the key of the table.",
    "created_at": "When the record was created in HubSpot (createdAt).",
    "updated_at": "When the record last changed in HubSpot (updatedAt); incremental runs read from here on.",
    "archived": "True for a record archived in HubSpot (kept here; flagged by the first run and by reconciliation).",
    "archived_at": "When the record was archived in HubSpot (null for live records).",
}
INTERNAL_COLUMN_TEXT = {
    HARD_DELETE_COLUMN: "Internal: the loader's delete marker (rows carrying it are removed); always null in stored "
    "rows.",
    "_dlt_load_id": "Internal (dlt): the load that last wrote this row; joins hubspot_raw._dlt_loads.load_id.",
    "_dlt_id": "Internal (dlt): a unique id of the row.",
}


def is_record_table(table: str) -> bool:
    """Whether `table` holds CRM records of one object type (standard or custom)."""
    return table in STANDARD_OBJECTS or (is_custom_table(table) and table != CUSTOM_OBJECTS_RESOURCE)


def object_type_of(table: str, known_types: Sequence[str]) -> str | None:
    """The object type whose records `table` holds, among `known_types` (a custom object named like a fixed table is
    stored as `custom_<name>`)."""
    return next((t for t in known_types if (t if t in STANDARD_OBJECTS else custom_table_name(t)) == table), None)


def _property_text(text: PropertyText) -> str | None:
    parts = [p for p in (text.label, text.description) if p]
    return ": ".join(parts) if parts else None


def column_schema(
    table: str, columns: Sequence[Column], key: Sequence[str], properties: Mapping[str, PropertyText]
) -> dg.TableSchema:
    """The table's columns as the warehouse holds them, described: HubSpot's label and description for each
    property column (`properties`: name -> text, of the table's object type), the record columns, the internal
    ones; `key` marks the primary key."""
    by_column = {column_name(name): text for name, text in properties.items()}
    record = is_record_table(table)
    described = []
    for column in columns:
        if record and column.name in RECORD_COLUMN_TEXT:
            description = RECORD_COLUMN_TEXT[column.name]
        elif column.name in by_column:
            description = _property_text(by_column[column.name])
        else:
            description = INTERNAL_COLUMN_TEXT.get(column.name)
        described.append(
            dg.TableColumn(
                name=column.name,
                type=column.type,
                description=description,
                constraints=dg.TableColumnConstraints(
                    nullable=column.nullable, other=["primary key"] if column.name in key else None
                ),
            )
        )
    return dg.TableSchema(columns=described)


def table_metadata(
    table: str, snapshot: Snapshot, key: Sequence[str], properties: Mapping[str, Mapping[str, PropertyText]]
) -> dict[str, Any]:
    """Table name, column schema and `dagster/row_count` (rows in the table after the load), from the snapshot."""
    object_type = object_type_of(table, list(properties)) if is_record_table(table) else None
    texts = properties.get(object_type, {}) if object_type else {}
    return {
        TABLE_NAME: f"{DATASET_NAME}.{table}",
        COLUMN_SCHEMA: dg.MetadataValue.table_schema(column_schema(table, snapshot.columns(table), key, texts)),
        ROW_COUNT: dg.MetadataValue.int(snapshot.row_count(table)),
    }


def skipped_tables(tables: Iterable[str], report: SyncReport, present: AbstractSet[str]) -> dict[str, str]:
    """The tables of `tables` this run wrote no table for, each with why (shown instead of a materialization):
    the source's own reasons (`SyncReport.skipped`: history off, a scope missing, not in HUBSPOT_OBJECTS...), or
    no table in the warehouse after the load."""
    reasons = report.skipped
    skipped = {}
    for table in tables:
        if table == CUSTOM_OBJECTS_RESOURCE:  # writes no table of its own: always materialized, with its tables
            continue
        if table in reasons:
            skipped[table] = reasons[table]
        elif table not in present:
            skipped[table] = NO_TABLE
    return skipped


def run_metadata(table: str, report: SyncReport, *, custom_tables: Sequence[str]) -> dict[str, Any]:
    """What the run did for one asset (rows written, HubSpot API calls made for it) and the run's totals."""
    extra: dict[str, Any] = {}
    if table == CUSTOM_OBJECTS_RESOURCE:
        # The custom object tables this code location has no asset for yet (rows per table).
        known = set(custom_tables)
        loaded = {
            name: report.rows_loaded(name) for name in report.row_counts if is_custom_table(name) and name not in known
        }
        extra["custom_object_tables"] = dg.MetadataValue.json(loaded)
        extra["rows_loaded"] = dg.MetadataValue.int(sum(loaded.values()))
        if loaded:
            extra["note"] = "reload the code location to see each of these tables as its own asset"
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
