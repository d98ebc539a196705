"""Links between records: associations (v4, with labels) and merges (which record lives on as which).

Both work from the records the record resources read in this run (`Extraction.changes` / `streaming`), so they cost
no search of their own: associations are read in blocks of 1,000 ids as the records come in, merges come from the
`hs_merged_object_ids` property read alongside.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dlt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources import DltResource

from hubspot_assets.sources.extraction import Extraction, metered_resource
from hubspot_assets.sources.readers import map_ordered
from hubspot_assets.sources.rows import association_table, chunks, merge_rows
from hubspot_assets.sources.settings import HARD_DELETE_COLUMN, MERGE, TABLE_ASSOCIATIONS, TABLE_MERGES


def merges(run: Extraction | None) -> DltResource:
    return metered_resource(run, _merge_rows, name=TABLE_MERGES, write_disposition=MERGE,
                            primary_key=("object_type", "merged_id"), parallelized=True)


def _merge_rows(run: Extraction) -> Iterator[list[dict]]:
    state = dlt.current.resource_state()
    for object_type in run.catalog.all:
        progress = run.progress(state, object_type)
        changes = run.changes(object_type, progress.cursor_ms)
        merged = changes.with_extra("hs_merged_object_ids", among=progress.pending(changes))
        rows = [row for record_id, merged_ids in merged for row in merge_rows(object_type, record_id, merged_ids)]
        if rows:
            yield rows
        progress.advance(changes)


def associations(run: Extraction | None) -> DltResource:
    return metered_resource(
        run, _association_tables, name=TABLE_ASSOCIATIONS, write_disposition=MERGE,
        primary_key=("from_object_type", "from_id", "to_object_type", "to_id", "type_id"),
        # A record's links to one type are replaced together: links removed in HubSpot go.
        merge_key=("from_object_type", "from_id", "to_object_type"),
        columns={HARD_DELETE_COLUMN: {"data_type": "bool", "hard_delete": True}},
        parallelized=True,
    )


def _association_tables(run: Extraction) -> Iterator[pa.Table]:
    """Links of the records due (changed ones; every one on a reconciliation), as Arrow tables; the links of records
    gone from HubSpot are deleted on a reconciliation."""
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

    tasks = refreshed_link_tasks(run) if run.refresh is not None else association_tasks(run, plan, state, complete)
    # Association batch reads are exempt from the 10-second budget: twice as many in flight as other reads.
    for result in map_ordered(read, tasks, run.workers * 2):
        if isinstance(result, pa.Table):
            yield result
            continue
        _, from_type, changes, progress = result
        if changes.complete:  # records gone from HubSpot: their links go too
            stored = run.stored.ids(
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


def refreshed_link_tasks(run: Extraction, block: int = 1000) -> Iterator[tuple]:
    """The association reads of a partial refresh: the links it names (`Extraction.refresh_links`), and for records
    whose every link is re-read, the links held on the other records' side (`linking_records`). Ids are known before
    any record is read, so reads start at once; no cursor moves and nothing else is deleted."""
    due = {(f, t): set(ids) for f, targets in (run.refresh_links or {}).items() for t, ids in targets.items()}
    for (from_type, to_type), ids in linking_records(run).items():
        due.setdefault((from_type, to_type), set()).update(ids)
    for (from_type, to_type), ids in due.items():
        yield from (("links", from_type, part, to_type) for part in chunks(sorted(ids), block))


def linking_records(run: Extraction) -> dict[tuple[str, str], set[int]]:
    """(from type, to type) -> the records of from type linked to the refreshed records of to type, as HubSpot says
    now (a read from the other side) or as the warehouse holds them (links that are gone): re-reading their links
    to that type puts the warehouse where a full sync would."""
    linking: dict[tuple[str, str], set[int]] = {}
    for to_type, holders in run.refresh_reverse.items():
        for from_type, ids in holders.items():
            found = linking.setdefault((from_type, to_type), set())
            found.update(run.stored.ids(
                "SELECT DISTINCT CAST(from_id AS BIGINT) FROM {table} WHERE from_object_type = ? AND to_object_type"
                " = ? AND to_id IN (SELECT unnest(?::BIGINT[]))", TABLE_ASSOCIATIONS, from_type, to_type, ids,
            ).tolist())
            for part in chunks(ids, 1000):
                links = run.client.association_links(run.api_name(to_type), run.api_name(from_type), part)
                found.update(to_id for _, to_id, *_ in links)
    return linking


def association_tasks(
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
