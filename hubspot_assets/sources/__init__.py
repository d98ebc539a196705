"""The HubSpot dlt source: every CRM object type (custom ones discovered), their properties, owners, pipelines,
associations (v4), merges, property history, conversations and call transcripts, into `hubspot_raw`.

One resource per table, named after it (what dagster-dlt turns into one asset each). Custom object types get a
resource each too (`pets`, `vehicles`...): from the run's catalog, or from the `custom_tables` the caller already
knows (the Dagster definitions, built without an API call); a custom type with no resource of its own is loaded
by the catch-all resource `custom_objects` into its own table.

Write path: every table merges on its key (dlt `merge`, `delete-insert`), so full loads, incremental loads,
reconciliations and partial refreshes all go through the same resources and a record loaded twice is one row.
Metadata tables (properties, pipelines, owners, inboxes...) are small complete snapshots and are replaced.

Modes (`mode=`):
- `incremental` (default): records modified since the stored cursor minus `lookback_s` (search's index lags), or
  everything on the first run; associations, history, merges and transcripts of the changed records.
- `reconcile`: incremental, plus deletes (archived records become `archived = true` with `archived_at`; records
  gone from HubSpot, e.g. GDPR deletions, are removed), records missed earlier, and every association re-read.
- `full`: every record re-read, then reconciled.

- `record_ids=` (any mode): a partial refresh of chosen records, e.g. from webhooks; cursors do not move.

Cursors live in dlt's resource state, which dlt stores in the warehouse with each load (table
`_dlt_pipeline_state`), so a run that fails half-way commits neither data nor cursor and the next run redoes it.

Resources run side by side in dlt's extract threads (`parallelized`); those that work from the records another
resource read (associations, merges, history, transcripts, messages) wait for it and reuse what it read
(sources/extraction.py), so a run costs about one search per object type plus the metadata calls when nothing
changed. Record tables are built as typed Arrow tables (sources/columns.py) and loaded as parquet.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources import DltResource

from hubspot_assets.hubspot.record_pages import RecordPage
from hubspot_assets.sources.extraction import (
    Changes,
    Extraction,
    ObjectCatalog,
    discover_catalog,
    parse_property_history,
)
from hubspot_assets.sources.helpers import (
    association_table,
    chunks,
    delete_markers,
    history_rows,
    merge_rows,
    message_row,
    owner_row,
    participant_rows,
    pipeline_rows,
    property_rows,
    thread_row,
    utterance_rows,
)
from hubspot_assets.sources.readers import map_ordered, side_by_side
from hubspot_assets.sources.settings import (
    CUSTOM_OBJECTS_RESOURCE,
    HARD_DELETE_COLUMN,
    MODES,
    STANDARD_OBJECTS,
    TABLE_ASSOCIATIONS,
    TABLE_CHANNEL_ACCOUNTS,
    TABLE_CHANNELS,
    TABLE_INBOXES,
    TABLE_MERGES,
    TABLE_MESSAGE_PARTICIPANTS,
    TABLE_MESSAGES,
    TABLE_OWNERS,
    TABLE_PIPELINE_STAGES,
    TABLE_PIPELINES,
    TABLE_PROPERTIES,
    TABLE_PROPERTY_HISTORY,
    TABLE_PROPERTY_OPTIONS,
    TABLE_THREADS,
    TABLE_TRANSCRIPT_UTTERANCES,
)

__all__ = [
    "hubspot",
    "discover_catalog",
    "parse_property_history",
    "ObjectCatalog",
    "RESOURCE_DESCRIPTIONS",
    "FIXED_TABLES",
    "custom_table_name",
    "custom_type_of",
    "is_custom_table",
]

log = logging.getLogger(__name__)

# Records are buffered into Arrow tables of about this many values (rows x columns); a wide type (hundreds of
# properties) keeps few records in memory. dlt still writes parquet row groups of 5,000 rows. Measured on a
# 100,000-contact full sync (all tables, no conversations): 200,000 values -> extract peak 748 MB, 40,000 -> 534 MB,
# same speed: thirty resources each held a batch of Python dicts.
ARROW_BATCH_VALUES = 40_000


def _batch_rows(layout: Any) -> int:
    return max(100, ARROW_BATCH_VALUES // max(1, len(layout.properties)))

MERGE = {"disposition": "merge", "strategy": "delete-insert"}
RECORD_COLUMNS_HINTS = {
    "id": {"data_type": "bigint", "nullable": False},
    "updated_at": {"dedup_sort": "desc"},
    HARD_DELETE_COLUMN: {"data_type": "bool", "hard_delete": True},
}

MESSAGE_TEXT_COLUMNS = ("assigned_from", "assigned_to", "subject", "rich_text", "truncation_status", "status")
PARTICIPANT_TEXT_COLUMNS = ("actor_id", "name", "delivery_type", "delivery_value", "recipient_field")
UTTERANCE_TEXT_COLUMNS = ("utterance_id", "speaker_id", "speaker_name", "speaker_email", "text", "language_code",
                          "transcript_source")
HISTORY_TEXT_COLUMNS = ("value", "source_type", "source_id", "source_label", "updated_by_user_id")

RESOURCE_DESCRIPTIONS: dict[str, str] = {
    **{name: f"HubSpot {name.replace('_', ' ')}: one row per record, every property as a typed column." for name in STANDARD_OBJECTS},
    CUSTOM_OBJECTS_RESOURCE: (
        "Custom object types that have no asset of their own yet (before the first run: all of them; later: those "
        "created in HubSpot since the code location loaded), each loaded into a table named after it. Each such "
        "table becomes its own asset `hubspot_raw/<table>` when the code location is reloaded after the run."
    ),
    TABLE_OWNERS: "HubSpot owners (users and queues), active and archived; `hubspot_owner_id` on records joins `id`.",
    TABLE_PIPELINES: "Deal and ticket pipelines.",
    TABLE_PIPELINE_STAGES: "Stages of each pipeline, with probability (deals) or ticket state (tickets).",
    TABLE_PROPERTIES: "Property definitions of every loaded object type (label, type, group).",
    TABLE_PROPERTY_OPTIONS: "Option values and labels of enumeration properties.",
    TABLE_ASSOCIATIONS: "Links between records (v4 API): one row per link and association type, with category and label.",
    TABLE_MERGES: "Records merged into another: merged_id now lives on as survivor_id.",
    TABLE_PROPERTY_HISTORY: "Every historical value of the properties chosen in HUBSPOT_PROPERTY_HISTORY.",
    TABLE_INBOXES: "Conversations inboxes.",
    TABLE_CHANNELS: "Conversations channels (live chat, email, Facebook Messenger...).",
    TABLE_CHANNEL_ACCOUNTS: "Conversations channel accounts (one per connected chat widget, mailbox, page...).",
    TABLE_THREADS: "Conversation threads.",
    TABLE_MESSAGES: "Every message of every thread (messages, comments, welcome messages, assignments, status changes).",
    TABLE_MESSAGE_PARTICIPANTS: "Senders and recipients of each message.",
    TABLE_TRANSCRIPT_UTTERANCES: "Call transcripts, one row per utterance (speaker, text, times), linked to the call.",
}

# Resource and table names that are not custom object tables (a custom object with one of these names is stored
# as `custom_<name>`).
MESSAGES_RAW_RESOURCE = "conversation_messages_raw"
FIXED_TABLES: frozenset[str] = frozenset({*STANDARD_OBJECTS, *RESOURCE_DESCRIPTIONS, MESSAGES_RAW_RESOURCE})


def _arrow_hint(table: pa.Table, table_name: str | None = None) -> Any:
    return dlt.mark.with_table_name(table, table_name) if table_name else table


def _records(
    run: Extraction, object_type: str, cursor_ms: int | None, table_name: str | None = None
) -> Iterator[Any]:
    """Typed Arrow tables of the records of `object_type` that the mode asks for; returns the new cursor."""
    layout = run.layout(object_type)
    if run.refresh is not None:
        yield from _refresh_records(run, object_type, table_name)
        return cursor_ms
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
    # Id sets as sorted int64 arrays: a large portal has millions of records, and Python sets of them cost ~10x.
    live_ids = np.unique(run.changes(object_type, None, complete=True, wait=False).id_array())
    table = table_name or object_type
    held = run.warehouse_columns("SELECT CAST(id AS BIGINT) AS id, coalesce(archived, false) AS archived "
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


def _association_tasks(
    run: Extraction, plan: dict[str, tuple[str, ...]], state: dict, complete: bool, block: int = 1000
) -> Iterator[tuple]:
    """The association reads of this run, lazily: ("links", from type, <= `block` ids, to type) for every block of
    records whose links are due, then ("done", from type, changes, progress) once a type's blocks are all out.

    A type whose records this run is reading (`Extraction.streaming`) gives its blocks while the read goes on, so
    links are read alongside the records instead of after the slowest type; other types start once their records
    are known (read by their resource, or by `run.changes` here)."""
    open_types: dict[str, list[Any]] = {}  # from type -> [changes, progress, ids handed out so far]
    waiting = list(plan)
    while waiting:
        moved = False
        for from_type in list(waiting):
            entry = open_types.get(from_type)
            if entry is None:
                progress = run.progress(state, from_type)
                changes = run.streaming(from_type, run.window_start(progress.cursor_ms, complete=complete))
                if changes is None:
                    if not run.ready(from_type):
                        continue
                    changes = run.changes(from_type, progress.cursor_ms, complete=complete, wait=False)
                entry = open_types[from_type] = [changes, progress, 0]
            changes, progress, handed = entry
            closed = changes.closed  # read before the count: ids added after it are taken on the next round
            available = len(changes.ids)
            while available - handed >= block or (closed and handed < available):
                end = min(handed + block, available)
                ids = progress.pending(changes, handed, end)
                handed = entry[2] = end
                moved = True
                if len(ids):
                    yield from (("links", from_type, ids.tolist(), to_type) for to_type in plan[from_type])
            if closed:
                waiting.remove(from_type)
                moved = True
                yield ("done", from_type, changes, progress)
        if not moved:
            if run.aborted.is_set():
                raise RuntimeError("stopped waiting: another resource of this run failed")
            first_open = next((open_types[t] for t in waiting if t in open_types), None)
            if first_open is not None:
                first_open[0].wait_for_more(first_open[2] + block - 1, 0.2)
            else:
                time.sleep(0.2)


def _object_resource(run_ref: dict, table: str, object_type: str | None = None) -> DltResource:
    """The merge resource of one CRM object type, named after its table.

    `object_type` None: a custom object type, the one of the run's catalog whose table is `table`
    (`custom_table_name`), found at run time, so the resource can be built before anything is known of HubSpot.
    A type the run does not load (not in HUBSPOT_OBJECTS, or gone from HubSpot) yields nothing.
    """

    @dlt.resource(
        name=table,
        table_name=table,
        write_disposition=MERGE,
        primary_key="id",
        columns=RECORD_COLUMNS_HINTS,
        parallelized=True,
    )
    def records() -> Iterator[Any]:
        run: Extraction | None = run_ref.get("run")
        if run is None:
            return
        name = object_type or custom_type_of(run.catalog, table)
        if name is None or name not in run.catalog.all:
            run.ended(table)
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


def _custom_cursor(name: str, table: str) -> int | None:
    """The newest cursor kept for custom type `name`, by its own resource (`table`) or by the catch-all
    `custom_objects`: a type moves from the catch-all to a resource of its own when the definitions learn of it (and
    back if they lose the stored schema), and continues from where it was instead of reading everything again."""
    resources = dlt.current.source_state().get("resources") or {}
    own = (resources.get(table) or {}).get("cursor_ms")
    caught = (resources.get(CUSTOM_OBJECTS_RESOURCE) or {}).get("cursor_ms") or {}
    return max(filter(None, (own, caught.get(name) if isinstance(caught, dict) else None)), default=None)


def custom_table_name(name: str) -> str:
    """The table of a custom object: its name, prefixed when it would collide with another hubspot_raw table."""
    return f"custom_{name}" if name in FIXED_TABLES else name


def custom_type_of(catalog: ObjectCatalog, table: str) -> str | None:
    """The custom object type of `catalog` whose table is `table` (None when the catalog has none)."""
    return next((name for name in catalog.custom if custom_table_name(name) == table), None)


def is_custom_table(table: str) -> bool:
    """Whether a `hubspot_raw` table holds a custom object (every table the source writes that is not fixed)."""
    return table not in FIXED_TABLES and not table.startswith("_dlt")


@dlt.source(name="hubspot", max_table_nesting=0)
def hubspot(
    client: Any = None,
    catalog: ObjectCatalog | None = None,
    mode: str = "incremental",
    lookback_s: int = 300,
    property_history: dict[str, Sequence[str]] | None = None,
    extraction: Extraction | None = None,
    record_ids: dict[str, Sequence[int | str]] | None = None,
    custom_tables: Sequence[str] | None = None,
) -> Sequence[DltResource]:
    """Every HubSpot entity as dlt resources (see the module docstring for modes and write paths).

    Args:
        client: a `HubSpotClient`. None builds the resources without any API call (Dagster asset specs); such a
            source yields nothing.
        catalog: the object types to load (`discover_catalog(client, objects)`); default: discovered here.
        mode: `incremental`, `reconcile` or `full`.
        lookback_s: overlap subtracted from the stored cursors, so records search had not indexed yet are read.
        property_history: object type -> properties whose history to load (`parse_property_history`).
        extraction: the run state to use (lets the caller read `api_calls` and `warnings` afterwards).
        record_ids: a partial refresh (e.g. from webhooks): object type -> ids. Only these records are read (live
            ones merged, archived ones flagged, vanished ones deleted), with their associations, merges, history
            and transcripts, through the same merge write path; `{"threads": [...]}` re-reads those threads'
            messages. Cursors do not move.
        custom_tables: the custom object tables that get a resource each (named after the table, e.g. `pets`), as
            the Dagster definitions know them from the stored dlt schema (`defs/catalog.stored_custom_tables`),
            without an API call. None: one per custom object of the run's catalog (none without a client). Custom
            types of the catalog with no resource here are loaded by the catch-all `custom_objects` resource,
            each into its own table, so a type created in HubSpot after the definitions were built is still loaded.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
    run_ref: dict[str, Extraction] = {}
    if extraction is not None:
        run_ref["run"] = extraction
    elif client is not None:
        catalog = catalog or discover_catalog(client)
        run_ref["run"] = Extraction(client, catalog, mode=mode, lookback_s=lookback_s, refresh=record_ids)
    history = dict(property_history or {})
    run = run_ref.get("run")
    if custom_tables is None:
        custom_tables = [custom_table_name(name) for name in run.catalog.custom] if run is not None else []
    own_tables = sorted({t for t in custom_tables if is_custom_table(t)})
    if run is not None:  # which resource reads each custom type: resources that reuse its records wait for it
        run.readers.update(
            {name: (t if (t := custom_table_name(name)) in own_tables else CUSTOM_OBJECTS_RESOURCE)
             for name in run.catalog.custom}
        )

    def active() -> Extraction | None:
        return run_ref.get("run")

    def metered(name: str):
        """Count the HTTP requests a resource makes (asset metadata `api_requests`)."""

        def decorate(fn):
            @functools.wraps(fn)
            def wrapper():
                run = active()
                if run is None:
                    return
                yield from run.metered(name, fn())

            return wrapper

        return decorate

    # -- metadata ----------------------------------------------------------------------------------------------
    @dlt.resource(
        name=TABLE_PROPERTIES,
        write_disposition="replace",
        primary_key=("object_type", "name"),
        columns={
            **{c: {"data_type": "text"} for c in ("label", "type", "field_type", "group_name", "description")},
            **{c: {"data_type": "bool"} for c in ("calculated", "hubspot_defined", "has_unique_value", "hidden")},
        },
    )
    @metered(TABLE_PROPERTIES)
    def properties() -> Iterator[list[dict]]:
        run = active()
        if run is None:
            return
        for object_type in run.catalog.all:
            yield [property_rows(object_type, p)[0] for p in run.properties(object_type)]

    @dlt.resource(
        name=TABLE_PROPERTY_OPTIONS,
        write_disposition="replace",
        primary_key=("object_type", "property_name", "value"),
    )
    @metered(TABLE_PROPERTY_OPTIONS)
    def property_options() -> Iterator[list[dict]]:
        run = active()
        if run is None:
            return
        for object_type in run.catalog.all:
            rows = [opt for p in run.properties(object_type) for opt in property_rows(object_type, p)[1]]
            if rows:
                yield rows

    @dlt.resource(name=TABLE_OWNERS, write_disposition="replace", primary_key="id")
    @metered(TABLE_OWNERS)
    def owners() -> Iterator[list[dict]]:
        run = active()
        if run is None:
            return
        for archived in (False, True):
            rows = [owner_row(o) | {"archived": archived} for o in run.client.owners(archived=archived)]
            if rows:
                yield rows

    @dlt.resource(name=TABLE_PIPELINES, write_disposition="replace", primary_key=("object_type", "id"))
    @metered(TABLE_PIPELINES)
    def pipelines() -> Iterator[list[dict]]:
        run = active()
        if run is None:
            return
        for object_type in run.pipeline_objects():
            yield [pipeline_rows(object_type, p)[0] for p in run.pipelines(object_type)]

    @dlt.resource(
        name=TABLE_PIPELINE_STAGES, write_disposition="replace", primary_key=("object_type", "pipeline_id", "id")
    )
    @metered(TABLE_PIPELINE_STAGES)
    def pipeline_stages() -> Iterator[list[dict]]:
        run = active()
        if run is None:
            return
        for object_type in run.pipeline_objects():
            yield [s for p in run.pipelines(object_type) for s in pipeline_rows(object_type, p)[1]]

    # -- custom objects: one resource per known type, plus a catch-all for the others -----------------------------
    @dlt.resource(
        name=CUSTOM_OBJECTS_RESOURCE,
        write_disposition=MERGE,
        primary_key="id",
        columns=RECORD_COLUMNS_HINTS,
        parallelized=True,
    )
    @metered(CUSTOM_OBJECTS_RESOURCE)
    def custom_objects() -> Iterator[Any]:
        run = active()
        if run is None:
            return
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

    # -- merges, associations, history, transcripts (reuse what the record resources read) ------------------------
    @dlt.resource(
        name=TABLE_MERGES, write_disposition=MERGE, primary_key=("object_type", "merged_id"), parallelized=True
    )
    @metered(TABLE_MERGES)
    def merges() -> Iterator[list[dict]]:
        run = active()
        if run is None:
            return
        state = dlt.current.resource_state()
        for object_type in run.catalog.all:
            progress = run.progress(state, object_type)
            changes = run.changes(object_type, progress.cursor_ms)
            merged = changes.with_extra("hs_merged_object_ids", among=progress.pending(changes))
            rows = [row for record_id, merged_ids in merged for row in merge_rows(object_type, record_id, merged_ids)]
            if rows:
                yield rows
            progress.advance(changes)

    @dlt.resource(
        name=TABLE_ASSOCIATIONS,
        write_disposition=MERGE,
        primary_key=("from_object_type", "from_id", "to_object_type", "to_id", "type_id"),
        merge_key=("from_object_type", "from_id", "to_object_type"),
        columns={HARD_DELETE_COLUMN: {"data_type": "bool", "hard_delete": True}},
        parallelized=True,
    )
    @metered(TABLE_ASSOCIATIONS)
    def associations() -> Iterator[pa.Table]:
        run = active()
        if run is None:
            return
        state = dlt.current.resource_state()
        complete = run.mode in ("reconcile", "full")
        plan = run.catalog.association_plan()

        def read(task: tuple) -> Any:
            if task[0] == "done":
                return task
            _, from_type, ids, to_type = task
            links = run.client.association_links(run.api_name(from_type), run.api_name(to_type), [str(i) for i in ids])
            table = association_table(from_type, to_type, links, ids)
            run.note_delete_markers(TABLE_ASSOCIATIONS, pc.sum(table.column(HARD_DELETE_COLUMN)).as_py() or 0)
            return table

        # Association batch reads are exempt from the 10-second budget: twice as many in flight as other reads.
        for result in map_ordered(read, _association_tasks(run, plan, state, complete), run.workers * 2):
            if isinstance(result, pa.Table):
                yield result
                continue
            _, from_type, changes, progress = result
            if changes.complete:  # records gone from HubSpot: their links go too
                stored = run.warehouse_ids(
                    "SELECT DISTINCT CAST(from_id AS BIGINT) FROM {table} WHERE from_object_type = ?",
                    TABLE_ASSOCIATIONS,
                    from_type,
                )
                stale = stored[~np.isin(stored, changes.id_array())]
                for to_type in plan[from_type]:
                    for ids in chunks(stale, 10_000):
                        run.note_delete_markers(TABLE_ASSOCIATIONS, len(ids))
                        yield association_table(from_type, to_type, [], ids)
            progress.advance(changes)

    @dlt.resource(
        name=TABLE_PROPERTY_HISTORY,
        write_disposition=MERGE,
        primary_key="history_id",
        parallelized=True,
        columns={
            **{name: {"data_type": "text"} for name in HISTORY_TEXT_COLUMNS},
            "object_id": {"data_type": "bigint"},
            "timestamp": {"data_type": "timestamp"},
        },
    )
    @metered(TABLE_PROPERTY_HISTORY)
    def property_history_resource() -> Iterator[list[dict]]:
        run = active()
        if run is None or not history:
            return
        state = dlt.current.resource_state()
        for object_type, props in history.items():
            if object_type not in run.catalog.all:
                continue
            progress = run.progress(state, object_type)
            changes = run.changes(object_type, progress.cursor_ms)

            def read_history(task: tuple[Sequence[int], Sequence[str]], object_type: str = object_type) -> list:
                ids, names = task
                result = run.client.read_records(
                    run.api_name(object_type), [str(i) for i in ids], ["hs_object_id"], properties_with_history=list(names)
                )
                return [row for record in result.results for row in history_rows(object_type, record)]

            tasks: Iterator[tuple[Sequence[int], Sequence[str]]] = (
                (ids, props) for ids in chunks(progress.pending(changes), 100)
            )
            # Properties added to HUBSPOT_PROPERTY_HISTORY since the last run: their history for every record.
            handled = progress.entry.get("properties")
            added = [p for p in props if handled is not None and p not in handled]
            if added and not changes.complete and run.refresh is None:
                every = run.changes(object_type, None, complete=True)
                tasks = itertools.chain(tasks, ((ids, added) for ids in chunks(np.unique(every.id_array()), 100)))
            for rows in map_ordered(read_history, tasks, run.workers):
                if rows:
                    yield rows
            progress.advance(changes)
            if run.refresh is None:
                progress.entry["properties"] = sorted({*(handled or ()), *props})

    @dlt.resource(
        name=TABLE_TRANSCRIPT_UTTERANCES,
        write_disposition=MERGE,
        primary_key=("transcript_id", "position"),
        merge_key="transcript_id",
        parallelized=True,
        columns={
            **{name: {"data_type": "text"} for name in UTTERANCE_TEXT_COLUMNS},
            "call_id": {"data_type": "bigint"},
            "start_time_ms": {"data_type": "bigint"},
            "end_time_ms": {"data_type": "bigint"},
            "transcript_created_at": {"data_type": "timestamp"},
        },
    )
    @metered(TABLE_TRANSCRIPT_UTTERANCES)
    def call_transcript_utterances() -> Iterator[list[dict]]:
        run = active()
        if run is None or "calls" not in run.catalog.all:
            return
        from hubspot_assets.hubspot.errors import MissingScopesError, NotFoundError

        state = dlt.current.resource_state()
        progress = run.progress(state, "calls")
        changes = run.changes("calls", progress.cursor_ms, complete=run.mode == "full")
        # Transcripts skipped earlier for lack of scope (call id -> transcript id), read as soon as it is granted.
        skipped: dict[str, str] = dict(state.get("skipped") or {})
        # Retry them when the credentials changed, when this run reads transcripts anyway, or on a reconciliation
        # (a private app's scopes can be edited); a no-change run with the same refused token asks nothing.
        retry = bool(skipped) and (
            state.get("refused_credentials") != run.credentials_id or run.mode != "incremental"
        )
        wanted = dict(skipped) if retry else {}
        for call_id, transcript_id in changes.with_extra("hs_call_transcription_id", among=progress.pending(changes)):
            wanted[str(call_id)] = str(transcript_id)
        # Transcripts HubSpot answered 404 or empty for (call id -> transcript id): not asked again until the id
        # changes.
        absent: dict[str, str] = dict(state.get("absent") or {})
        if run.mode != "full":
            # Only transcripts not loaded yet: a call's transcript changes only with its transcription id, and a
            # reconciliation (which sees every call) must not re-read every transcript each night.
            loaded = set(run.warehouse_query("SELECT DISTINCT CAST(call_id AS VARCHAR), transcript_id FROM {table}",
                                             TABLE_TRANSCRIPT_UTTERANCES))
            wanted = {c: t for c, t in wanted.items() if (c, t) not in loaded and absent.get(c) != t}
        def scope_missing() -> None:
            run.warn_once(
                "transcripts",
                "Call transcripts skipped: the credentials lack the scope crm.extensions_calling_transcripts.read "
                "(it needs an OAuth app: run `hubspot-elt auth login`); the next run with it loads them. "
                "Everything else is loaded.",
            )

        if wanted and not retry:
            wanted.update(skipped)  # a request is made anyway: retry the skipped ones along
        elif skipped and not retry:  # still refused (same credentials): say so without asking again
            scope_missing()
        done: set[str] = set()
        for call_id, transcript_id in sorted(wanted.items()):
            try:
                transcript = run.client.transcript(transcript_id)
            except MissingScopesError:
                state["refused_credentials"] = run.credentials_id
                scope_missing()
                break
            except NotFoundError:
                absent[call_id] = transcript_id
                done.add(call_id)
                continue
            done.add(call_id)
            rows = utterance_rows(transcript, int(call_id))
            if rows:
                absent.pop(call_id, None)
                yield rows
            else:  # an empty transcript loads no row: remember it, or every reconciliation would ask again
                absent[call_id] = transcript_id
        state["skipped"] = {**skipped, **{c: t for c, t in wanted.items() if c not in done}}
        for call_id in done:
            state["skipped"].pop(call_id, None)
        state["absent"] = absent
        state.pop("scope_missing", None)  # the flag of earlier versions, replaced by `skipped`
        progress.advance(changes)

    # -- conversations -----------------------------------------------------------------------------------------
    def _conversations_call(fn, what: str):
        from hubspot_assets.hubspot.errors import MissingScopesError

        try:
            return list(fn())
        except MissingScopesError:
            run = active()
            if run is not None:
                run.warn_once("conversations", f"Conversations {what} skipped: the credentials lack conversations.read.")
            return None

    def _simple(name: str, method: str) -> DltResource:
        @dlt.resource(name=name, write_disposition="replace", primary_key="id")
        @metered(name)
        def snapshot() -> Iterator[list[dict]]:
            run = active()
            if run is None:
                return
            items = _conversations_call(lambda: getattr(run.client, method)(), name)
            if items:
                from hubspot_assets.sources.helpers import flatten

                yield [flatten(item) for item in items]

        return snapshot

    thread_memo: dict[str, Any] = {}

    @dlt.resource(name=TABLE_THREADS, write_disposition=MERGE, primary_key="id", parallelized=True)
    @metered(TABLE_THREADS)
    def threads() -> Iterator[list[dict]]:
        run = active()
        if run is None:
            return
        try:
            yield from _threads(run)
        finally:
            run.finished(TABLE_THREADS)

    def _threads(run: Extraction) -> Iterator[list[dict]]:
        if run.refresh is not None:  # threads are not re-listed by a partial refresh; their messages are
            return
        state = dlt.current.resource_state()
        rows, since, newest = _read_threads(run, state.get("cursor_ms"))
        if rows is None:
            return
        thread_memo["read"] = (since, _thread_times(rows), newest)
        if rows:
            yield rows
        state["cursor_ms"] = max(filter(None, (state.get("cursor_ms"), newest)), default=None)

    def _read_threads(run: Extraction, cursor_ms: int | None) -> tuple[list[dict] | None, int | None, int | None]:
        from hubspot_assets.sources.helpers import max_epoch_ms

        since = run.window_start(cursor_ms, complete=False)
        pages = _conversations_call(lambda: run.client.threads(latest_message_after_ms=since), "threads")
        if pages is None:
            return None, since, None
        rows = [thread_row(t) for page in pages for t in page]
        if run.mode in ("reconcile", "full") or cursor_ms is None:  # the first run reads archived threads too
            archived = _conversations_call(lambda: run.client.threads(archived=True), "archived threads") or []
            rows += [thread_row(t) | {"archived": True} for page in archived for t in page]
        newest = max_epoch_ms((r.get("latest_message_timestamp") for r in rows), None)
        return rows, since, newest

    @dlt.resource(name=MESSAGES_RAW_RESOURCE, selected=False, parallelized=True)
    @metered(TABLE_MESSAGES)
    def raw_messages() -> Iterator[list[dict]]:
        run = active()
        if run is None:
            return
        run.wait_for(TABLE_THREADS, TABLE_THREADS)
        if run.refresh is not None:
            yield from _messages_of(run, [str(t) for t in run.refresh.get(TABLE_THREADS, ())])
            return
        state = dlt.current.resource_state()
        cursor = state.get("cursor_ms")
        since = run.window_start(cursor, complete=False)
        known = thread_memo.get("read")
        if known is not None and (known[0] is None or (since is not None and known[0] <= since)):
            threads_read, newest = known[1], known[2]
        else:
            rows, _, newest = _read_threads(run, cursor)
            if rows is None:
                return
            threads_read = _thread_times(rows)
        # Threads re-read only because of the look-back overlap, with no newer message, are skipped.
        recent = state.get("recent") or {}
        todo = [
            thread_id
            for thread_id, latest in threads_read.items()
            if since is None or latest is None or recent.get(str(thread_id)) != latest
        ]

        yield from _messages_of(run, todo)
        if newest is not None:
            newest = max(filter(None, (cursor, newest)), default=None)
            floor = newest - run.lookback_ms
            merged = {**recent, **{str(k): v for k, v in threads_read.items()}}
            state["cursor_ms"] = newest
            state["recent"] = {k: v for k, v in merged.items() if v is not None and v >= floor}

    def _messages_of(run: Extraction, thread_ids: Sequence[str]) -> Iterator[list[dict]]:
        def thread_messages(thread_id: str) -> list[dict]:
            return [
                m | {"conversationsThreadId": m.get("conversationsThreadId") or thread_id}
                for page in run.client.messages(thread_id)
                for m in page
            ]

        # One request per thread (HubSpot has no bulk read of messages): a few threads at a time.
        batch: list[dict] = []
        for found in map_ordered(thread_messages, thread_ids, run.workers):
            batch.extend(found)
            if len(batch) >= 1000:
                yield batch
                batch = []
        if batch:
            yield batch

    def _thread_times(rows: list[dict]) -> dict[str, int | None]:
        """thread id -> latest message time (epoch ms) of the threads read, archived ones included: HubSpot still
        serves their messages, which then carry the thread's archived flag."""
        from hubspot_assets.sources.helpers import max_epoch_ms

        return {str(r["id"]): max_epoch_ms([r.get("latest_message_timestamp")]) for r in rows}

    @dlt.transformer(
        data_from=raw_messages,
        name=TABLE_MESSAGES,
        write_disposition=MERGE,
        primary_key="id",
        # Often null in a whole load (an assignment from nobody, a message without subject): typed up front, so the
        # column exists and dlt does not warn that it could not infer its type.
        columns={name: {"data_type": "text"} for name in MESSAGE_TEXT_COLUMNS},
    )
    def messages(page: list[dict]) -> Iterator[list[dict]]:
        yield [message_row(m) for m in page]

    @dlt.transformer(
        data_from=raw_messages,
        name=TABLE_MESSAGE_PARTICIPANTS,
        write_disposition=MERGE,
        primary_key=("message_id", "role", "position"),
        merge_key="message_id",
        columns={name: {"data_type": "text"} for name in PARTICIPANT_TEXT_COLUMNS},
    )
    def message_participants(page: list[dict]) -> Iterator[list[dict]]:
        rows = [row for m in page for row in participant_rows(m)]
        if rows:
            yield rows

    return [
        properties,
        property_options,
        owners,
        pipelines,
        pipeline_stages,
        *[_object_resource(run_ref, name, name) for name in STANDARD_OBJECTS],
        *[_object_resource(run_ref, table) for table in own_tables],
        custom_objects,
        merges,
        associations,
        property_history_resource,
        call_transcript_utterances,
        _simple(TABLE_INBOXES, "inboxes"),
        _simple(TABLE_CHANNELS, "channels"),
        _simple(TABLE_CHANNEL_ACCOUNTS, "channel_accounts"),
        threads,
        messages,
        message_participants,
    ]
