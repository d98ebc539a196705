"""CRM records: one merge resource per object type (custom ones too), named after its table.

Modes (`run.mode`):
- `incremental` (default): records modified since the stored cursor minus the look-back (search's index lags), or
  everything on the first run;
- `reconcile`: incremental, plus deletes (archived records become `archived = true` with `archived_at`; records gone
  from HubSpot, e.g. GDPR deletions, are removed) and records missed earlier;
- `full`: every record re-read, then reconciled;
- a partial refresh (`run.refresh`, any mode): only the chosen records; cursors do not move.

Each resource keeps its cursor (`cursor_ms`, the newest last-modified time loaded) in dlt resource state, which dlt
stores in the warehouse with each load: a run that fails half-way commits neither data nor cursor. dlt's own
`dlt.sources.incremental` cannot keep this cursor: a full read of a large portal takes longer than the look-back, so
its cursor must stop at the read's start (`Changes.newest_ms`), not at the newest record seen. Records are built as
typed Arrow tables (sources/columns.py) and loaded as parquet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import numpy as np
import pyarrow as pa
from dlt.sources import DltResource

from hubspot_assets.hubspot.record_pages import RecordPage
from hubspot_assets.sources.catalog import custom_table_name, custom_type_of
from hubspot_assets.sources.changes import Changes
from hubspot_assets.sources.extraction import Extraction, metered_resource
from hubspot_assets.sources.readers import side_by_side
from hubspot_assets.sources.rows import chunks, delete_markers
from hubspot_assets.sources.settings import CUSTOM_OBJECTS_RESOURCE, HARD_DELETE_COLUMN, MERGE

log = logging.getLogger(__name__)

# Records are buffered into Arrow tables of about this many values (rows x columns): a wide type (hundreds of
# properties) keeps few records in memory while thirty resources run at once. dlt still writes parquet row groups of
# 5,000 rows.
ARROW_BATCH_VALUES = 40_000

RECORD_HINTS: dict[str, Any] = {
    "write_disposition": MERGE,
    "primary_key": "id",
    "columns": {
        "id": {"data_type": "bigint", "nullable": False},
        "updated_at": {"dedup_sort": "desc"},  # the newest version of a record read twice in one load wins
        HARD_DELETE_COLUMN: {"data_type": "bool", "hard_delete": True},
    },
    "parallelized": True,
}


def record_resource(run: Extraction | None, table: str, object_type: str | None = None) -> DltResource:
    """The merge resource of one CRM object type, named after its table.

    `object_type` None: a custom object type, the one of the run's catalog whose table is `table`
    (`custom_table_name`), found at run time, so the resource can be built before anything is known of HubSpot.
    A type the run does not load (not in HUBSPOT_OBJECTS, or gone from HubSpot) yields nothing.
    """

    @dlt.resource(name=table, table_name=table, **RECORD_HINTS)
    def records() -> Iterator[Any]:
        if run is None:
            return
        name = object_type or custom_type_of(run.catalog, table)
        if name is None or name not in run.catalog.all:
            run.ended(table)
            run.skip(table, "no such custom object type in HubSpot now" if name is None
                     else "not in HUBSPOT_OBJECTS (or --objects)")
        if name is None:
            return
        try:
            if name in run.catalog.all:
                state = dlt.current.resource_state()
                cursor_ms = state.get("cursor_ms") if object_type else _custom_cursor(name, table)
                cursor = yield from run.metered(table, _records(run, name, cursor_ms, None if name == table else table))
                state["cursor_ms"] = cursor
        finally:
            run.finished(name)

    return records


def custom_objects_resource(run: Extraction | None, own_tables: Sequence[str]) -> DltResource:
    """The catch-all resource of the custom object types that have no resource of their own (`own_tables`): types
    created in HubSpot after the Dagster definitions were built. Each goes to its own table; it writes no table of
    its own."""

    return metered_resource(run, lambda run: _other_custom_objects(run, own_tables), name=CUSTOM_OBJECTS_RESOURCE,
                            **RECORD_HINTS)


def _other_custom_objects(run: Extraction, own_tables: Sequence[str]) -> Iterator[Any]:
    todo = [name for name in run.catalog.custom if custom_table_name(name) not in own_tables]
    cursors = dlt.current.resource_state().setdefault("cursor_ms", {})
    try:
        for name in todo:
            table = custom_table_name(name)
            try:
                cursors[name] = yield from _records(run, name, _custom_cursor(name, table), table)
            finally:
                run.finished(name)
    finally:
        for name in todo:
            run.finished(name)


def _custom_cursor(name: str, table: str) -> int | None:
    """The newest cursor kept for custom type `name`, by its own resource (`table`) or by the catch-all
    `custom_objects`: a type moves from the catch-all to a resource of its own when the definitions learn of it (and
    back if they lose the stored schema), and continues from where it was instead of reading everything again."""
    resources = dlt.current.source_state().get("resources") or {}
    own = (resources.get(table) or {}).get("cursor_ms")
    caught = (resources.get(CUSTOM_OBJECTS_RESOURCE) or {}).get("cursor_ms") or {}
    return max(filter(None, (own, caught.get(name) if isinstance(caught, dict) else None)), default=None)


def _batch_rows(layout: Any) -> int:
    return max(100, ARROW_BATCH_VALUES // max(1, len(layout.properties)))


def _arrow_hint(table: pa.Table, table_name: str | None = None) -> Any:
    return dlt.mark.with_table_name(table, table_name) if table_name else table


def _records(
    run: Extraction, object_type: str, cursor_ms: int | None, table_name: str | None = None
) -> Iterator[Any]:
    """Typed Arrow tables of the records of `object_type` that the mode asks for; returns the new cursor."""
    if run.refresh is not None:
        if run.refresh.get(object_type):
            yield from _refresh_records(run, object_type, table_name)
        return cursor_ms
    layout = run.layout(object_type)
    since = run.window_start(cursor_ms, complete=False)
    changes = run.stream(object_type, Changes(complete=since is None, since_ms=since))
    # The first run (no cursor) reads everything, archived records included, as a reconciliation does. Archived
    # records are listed alongside the live ones (two request chains at once), not after them.
    reconcile = run.mode in ("reconcile", "full") or cursor_ms is None
    sources = [run.record_pages(object_type, layout.properties, since)]
    if reconcile:
        sources.append(run.client.list_records(run.api_name(object_type), list(layout.properties), archived=True))
    batch_rows = _batch_rows(layout)
    buffer: list[RecordPage] = []  # pages as Arrow (see record_pages.py): typed a batch at a time
    buffered = 0
    archived_parts: list[np.ndarray] = []
    for source, page in side_by_side(*sources):
        if not isinstance(page, RecordPage):  # dicts (an incremental search, the archived listing)
            page = RecordPage.from_dicts(page, layout.properties)
        if source == 0:
            changes.add(page)
        else:
            archived_parts.append(page.ids)
        buffer.append(page)
        buffered += len(page)
        if buffered >= batch_rows:
            yield _arrow_hint(layout.table(RecordPage.concat(buffer)), table_name)
            buffer, buffered = [], 0
    if buffer:
        yield _arrow_hint(layout.table(RecordPage.concat(buffer)), table_name)
    changes.close()
    run.remember(object_type, changes)
    if reconcile:
        archived_ids = np.unique(np.concatenate(archived_parts)) if archived_parts else np.empty(0, np.int64)
        yield from _reconcile_records(run, object_type, changes, archived_ids, table_name)
    return max(filter(None, (cursor_ms, changes.newest_ms)), default=None)


def _refresh_records(run: Extraction, object_type: str, table_name: str | None) -> Iterator[Any]:
    """A partial refresh of chosen records: live ones re-read, archived ones flagged, vanished ones deleted."""
    layout = run.layout(object_type)
    ids = run.refresh.get(object_type, []) if run.refresh else []
    changes = Changes(complete=False, since_ms=None)
    api = run.api_name(object_type)
    props = list(layout.properties)
    for chunk in chunks(ids, 100):
        found = run.client.read_records(api, [str(i) for i in chunk], props).results
        missing = sorted(set(chunk) - {int(r["id"]) for r in found})
        archived = run.client.read_records(api, [str(i) for i in missing], props, archived=True).results if missing else []
        changes.add(found)
        if found or archived:
            yield _arrow_hint(layout.table([*found, *archived]), table_name)
        gone = set(missing) - {int(r["id"]) for r in archived}
        if gone:
            run.note_delete_markers(table_name or object_type, len(gone))
            yield _arrow_hint(delete_markers(gone), table_name)
    run.remember(object_type, changes)


def _reconcile_records(
    run: Extraction, object_type: str, seen: Changes, archived_ids: np.ndarray, table_name: str | None
) -> Iterator[Any]:
    """After the live and archived records (`archived_ids`, sorted) were read: live records the warehouse lacks or
    holds as archived -> re-read; records gone from HubSpot (GDPR deletions, merged away, purged) -> deleted."""
    layout = run.layout(object_type)
    # Id sets as sorted int64 arrays: a large portal has millions of records, and Python sets of them cost far more.
    live_ids = np.unique(run.changes(object_type, None, complete=True, wait=False).id_array())
    table = table_name or object_type
    held = run.stored.columns("SELECT CAST(id AS BIGINT) AS id, coalesce(archived, false) AS archived "
                                 "FROM {table}", table)
    stored = np.asarray(held.get("id", ()), dtype=np.int64)
    stored_live = np.unique(stored[~np.asarray(held.get("archived", ()), dtype=bool)])
    stored = np.unique(stored)
    # Live in HubSpot, but missing from the warehouse or held there as archived, and not read by this run.
    reread = live_ids[~np.isin(live_ids, stored_live, assume_unique=True)]
    reread = reread[~np.isin(reread, seen.id_array())]
    for ids in chunks(reread, 100):
        result = run.client.read_records(run.api_name(object_type), [str(i) for i in ids], list(layout.properties))
        if result.results:
            yield _arrow_hint(layout.table(result.results), table_name)
    gone = stored[~np.isin(stored, live_ids, assume_unique=True) & ~np.isin(stored, archived_ids, assume_unique=True)]
    if len(gone):
        log.info("%s: %d record(s) no longer in HubSpot are removed from the warehouse", object_type, len(gone))
        run.note_delete_markers(table_name or object_type, len(gone))
        yield _arrow_hint(delete_markers(gone), table_name)
