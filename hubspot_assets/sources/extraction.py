"""The state of one extraction run shared by the resources of the HubSpot source.

Resources are extracted one after another (dlt's `fifo` mode), so what one resource learned (the ids of the
records that changed, the property definitions) is reused by the next instead of asked from HubSpot again: a
run with no changes costs about one search per object type plus the metadata calls.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from pathlib import Path
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dlt
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hubspot_assets.hubspot.record_pages import RecordPage
from hubspot_assets.sources.columns import RecordLayout, _field, epoch_ms, timestamps
from hubspot_assets.sources.memory import release_free_memory
from hubspot_assets.sources.readers import DEFAULT_WORKERS, SearchLanes, read_all_records
from hubspot_assets.sources.settings import (
    ASSOCIATION_HUBS,
    DATASET_NAME,
    LINE_ITEM_TARGETS,
    PIPELINE_OBJECTS,
    STANDARD_OBJECTS,
)

log = logging.getLogger(__name__)

# Properties read alongside ids because other tables need them (transcripts, merges).
EXTRA_PROPERTIES = ("hs_call_transcription_id", "hs_merged_object_ids")


@dataclass(frozen=True)
class ObjectCatalog:
    """The object types a run loads: standard ones and the custom objects the account has (name -> type id)."""

    standard: tuple[str, ...]
    custom: Mapping[str, str] = field(default_factory=dict)

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.standard, *self.custom)

    def association_plan(self) -> dict[str, tuple[str, ...]]:
        """from type -> to types, so each link between two loaded types is read once, from one side."""
        loaded = set(self.all)
        plan: dict[str, list[str]] = {}
        hubs = [h for h in ASSOCIATION_HUBS if h in loaded]
        for i, left in enumerate(hubs):
            plan.setdefault(left, []).extend(hubs[i + 1 :])
        for name in self.all:
            if name in ASSOCIATION_HUBS:
                continue
            if name == "line_items":
                targets = [t for t in LINE_ITEM_TARGETS if t in loaded]
            elif name == "products":  # products link to nothing; their line items link to deals
                targets = []
            else:  # engagements, quotes, custom objects
                targets = hubs
            plan.setdefault(name, []).extend(targets)
        return {k: tuple(v) for k, v in plan.items() if v}


@dataclass
class Changes:
    """Records seen for one object type in this run: all live ones (`complete`) or those modified since `since_ms`.

    Ids and last-modified times are kept in compact arrays (a full sync of a large portal sees millions)."""

    complete: bool
    since_ms: int | None
    ids: array = field(default_factory=lambda: array("q"))
    updated_ms: array = field(default_factory=lambda: array("q"))  # 0 when unknown
    max_updated_ms: int | None = None
    extras: dict[int, dict[str, Any]] = field(default_factory=dict)
    started_ms: int | None = field(default_factory=lambda: int(time.time() * 1000))  # when the read began
    # False while the record resource of this run is still adding records (see `Extraction.stream`): work that
    # only needs the ids (associations) takes them block by block as they come, instead of after the whole read.
    closed: bool = True
    grown: threading.Condition = field(default_factory=threading.Condition, repr=False, compare=False)

    @property
    def newest_ms(self) -> int | None:
        """The cursor these records justify: the newest last-modified time seen, but for a complete read no later
        than the read's start. A record changed while a long full read ran may have been read before it changed;
        its new last-modified time is after the start, so the next incremental run finds it."""
        if self.complete and self.max_updated_ms is not None and self.started_ms is not None:
            return min(self.max_updated_ms, self.started_ms)
        return self.max_updated_ms

    def add(self, records: Sequence[Mapping[str, Any]] | RecordPage) -> None:
        if isinstance(records, RecordPage):
            self._add_page(records)
            return
        for record in records:
            record_id = int(record["id"])
            updated = epoch_ms(record.get("updatedAt"))
            self.updated_ms.append(updated or 0)  # before the id: a reader taking the first n ids finds n times
            self.ids.append(record_id)
            if updated is not None and (self.max_updated_ms is None or updated > self.max_updated_ms):
                self.max_updated_ms = updated
            props = record.get("properties") or {}
            extra = {name: props[name] for name in EXTRA_PROPERTIES if props.get(name)}
            if extra:
                self.extras[record_id] = extra
        if not self.closed:  # work waiting for more ids of an open read (`wait_for_more`)
            with self.grown:
                self.grown.notify_all()

    def _add_page(self, page: RecordPage) -> None:
        if not len(page):
            return
        updated = timestamps(page.field("updatedAt"))
        millis = pc.fill_null(pc.divide(updated.cast(pa.int64()), 1000), 0).to_numpy(zero_copy_only=False)
        self.updated_ms.extend(millis.astype(np.int64).tolist())  # before the ids (see `add`)
        self.ids.extend(page.ids.tolist())
        newest = pc.max(updated).as_py()
        if newest is not None:
            newest_ms = int(newest.timestamp() * 1000)
            if self.max_updated_ms is None or newest_ms > self.max_updated_ms:
                self.max_updated_ms = newest_ms
        asked = set(page.property_names)
        for name in EXTRA_PROPERTIES:
            if name not in asked:
                continue
            values = page.values(name)
            present = pc.and_(pc.is_valid(values), pc.not_equal(values, "")).to_numpy(zero_copy_only=False)
            for index in np.flatnonzero(present):
                self.extras.setdefault(int(page.ids[index]), {})[name] = values[int(index)].as_py()
        if not self.closed:
            with self.grown:
                self.grown.notify_all()

    def close(self) -> None:
        """Every record of the read has been added."""
        with self.grown:
            self.closed = True
            self.grown.notify_all()

    def wait_for_more(self, seen: int, timeout: float) -> None:
        """Return once more than `seen` ids are there, the read is closed, or `timeout` has passed."""
        with self.grown:
            if not self.closed and len(self.ids) <= seen:
                self.grown.wait(timeout)

    def id_array(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """The ids (from position `start` to `end`, default all) as an int64 array (a copy: 8 bytes per record,
        where a set of Python ints costs about 60). Safe while the read still adds records (see `_copy`)."""
        return _copy(self.ids, start, end)

    def updated_array(self, start: int = 0, end: int | None = None) -> np.ndarray:
        return _copy(self.updated_ms, start, end)

    def with_extra(self, name: str, among: np.ndarray | None = None) -> list[tuple[int, Any]]:
        """(id, value) of the records that carry the extra property `name`, in id order; only ids in `among` when
        given. Few records do (merged records, calls with a transcript), so this never walks every id."""
        hits = sorted((i, extra[name]) for i, extra in self.extras.items() if extra.get(name))
        if among is None or not hits:
            return hits
        keep = np.isin(np.fromiter((i for i, _ in hits), dtype=np.int64, count=len(hits)), among)
        return [hit for hit, kept in zip(hits, keep.tolist(), strict=True) if kept]

    def covers(self, since_ms: int | None) -> bool:
        """True when these records include every record modified since `since_ms` (None: every live record)."""
        if self.complete:
            return True
        return since_ms is not None and self.since_ms is not None and self.since_ms <= since_ms


def _copy(values: array, start: int, end: int | None) -> np.ndarray:
    """`values[start:end]` as an int64 array. The slice is taken in one step under the GIL; numpy then reads the
    private slice, never `values` itself: an array that exports its buffer cannot grow, and another thread may be
    appending to it."""
    part = values[start:end]
    return np.frombuffer(part, dtype=np.int64) if len(part) else np.zeros(0, dtype=np.int64)


class _Caller(threading.local):
    resource: str | None = None


# The resource a thread is working for (set by `Extraction.metered`, carried into reader threads by map_ordered).
CALLER = _Caller()


class CountingClient:
    """The HubSpot client, counting the calls each resource makes (one per call or per page of results)."""

    def __init__(self, client: Any, counter: Counter) -> None:
        self._client = client
        self._counter = counter
        self._lock = threading.Lock()

    @property
    def transport(self) -> Any:
        return getattr(self._client, "transport", None)

    def _count(self, calls: int = 1) -> None:
        with self._lock:
            self._counter[CALLER.resource or "other"] += calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            if name in ("associations", "association_links", "read_records"):  # 1,000 / 100 ids per request
                links = name != "read_records"
                ids = args[2] if links else (args[1] if len(args) > 1 else kwargs.get("ids", ()))
                self._count(max(1, -(-len(ids) // (1000 if links else 100))))
                return result
            if isinstance(result, Iterator):
                return self._pages(result)
            self._count()
            return result

        return call

    def _pages(self, items: Iterator[Any]) -> Iterator[Any]:
        """Pages (lists) count one call each; single items (owners, inboxes...) one call per 100."""
        seen = 0
        for item in items:
            if isinstance(item, list) or seen % 100 == 0:
                self._count()
            seen += 1
            yield item


class Progress:
    """The cursor of one (resource, object type) in dlt resource state, stored in the warehouse with each load:
    `cursor_ms` (newest last-modified time handled) and `recent` (id -> last-modified of the records handled inside
    the look-back window), so the overlap re-read for search's lag does not redo records already handled."""

    def __init__(self, entry: dict[str, Any], lookback_ms: int, *, frozen: bool = False) -> None:
        self.entry = entry
        self.lookback_ms = lookback_ms
        self.frozen = frozen  # a partial refresh reads chosen records and never moves the cursors

    @property
    def cursor_ms(self) -> int | None:
        return self.entry.get("cursor_ms")

    def pending(self, changes: Changes, start: int = 0, end: int | None = None) -> np.ndarray:
        """Ids of `changes` (those from position `start` to `end`, default all) not handled yet at their current
        last-modified time (all of them for a complete read), sorted and unique, as an int64 array (a full sync of a
        large portal has millions)."""
        ids = changes.id_array(start, end)
        recent = self.entry.get("recent") or {}
        if changes.complete or not recent or self.frozen:
            return np.unique(ids)
        updated = changes.updated_array(start, end).tolist()
        keep = [recent.get(str(i)) != (u or None) for i, u in zip(ids.tolist(), updated, strict=True)]
        return np.unique(ids[np.array(keep, dtype=bool)])

    def advance(self, changes: Changes) -> None:
        """Move the cursor past `changes` (never backwards) and remember what was handled near it."""
        newest = max(filter(None, (self.cursor_ms, changes.newest_ms)), default=None)
        if newest is None or self.frozen:
            return
        floor = newest - self.lookback_ms
        recent = {k: v for k, v in (self.entry.get("recent") or {}).items() if v is not None and v >= floor}
        updated = changes.updated_array()
        near = (updated >= floor) & (updated > 0)
        recent.update(zip(map(str, changes.id_array()[near].tolist()), updated[near].tolist(), strict=True))
        self.entry["cursor_ms"] = newest
        self.entry["recent"] = recent


class Extraction:
    """What one run knows: the client, the mode, the catalog and the caches the resources share."""

    def __init__(
        self,
        client: Any,
        catalog: ObjectCatalog,
        *,
        mode: str,
        lookback_s: int,
        workers: int = DEFAULT_WORKERS,
        warehouse: Path | str | None = None,
        refresh: Mapping[str, Sequence[int | str]] | None = None,
        credentials_id: str | None = None,
    ) -> None:
        self.warehouse = warehouse
        # Which credentials this run uses (a short hash, never the token): transcripts skipped for lack of scope are
        # retried on a no-change run only when these differ from the credentials that were refused.
        self.credentials_id = credentials_id
        # A partial refresh: only these records (object type -> ids) are read, cursors stay where they are.
        self.refresh = None if refresh is None else {t: sorted({int(i) for i in ids}) for t, ids in refresh.items()}
        self.api_calls: Counter[str] = Counter()  # API calls (requests, pages) per resource, for asset metadata
        # Rows per table that only tell the merge to delete (records gone from HubSpot, links no longer there): dlt
        # counts them among the rows it normalized, but they add nothing to the table.
        self.delete_markers: Counter[str] = Counter()
        self.client = CountingClient(client, self.api_calls)
        self.workers = workers
        self.search_lanes = SearchLanes()  # full reads running side by side share the search budget by work left
        self.catalog = catalog
        self.mode = mode
        self.lookback_ms = lookback_s * 1000
        self._properties: dict[str, list[Any]] = {}
        self._layouts: dict[str, RecordLayout] = {}
        self._changes: dict[str, Changes] = {}
        self._streams: dict[str, Changes] = {}
        self._pipelines: dict[str, list[dict]] = {}
        self._warned: set[str] = set()
        self._lock = threading.RLock()
        self._key_locks: dict[tuple[int, str], threading.Lock] = {}
        self._finished: dict[str, threading.Event] = {}
        self._selected: frozenset[str] | None = None
        self._done: set[str] = set()  # resources that have ended
        # object type -> the resource that reads its records, when not named after the type (custom objects: their
        # table's resource, or the catch-all `custom_objects`); set by the source.
        self.readers: dict[str, str] = {}
        self.aborted = threading.Event()
        self.warnings: list[str] = []
        self.created = time.monotonic()

    def metered(self, name: str, items: Iterator[Any]) -> Iterator[Any]:
        """Pass `items` through; the API calls made while producing them count for `api_calls[name]`."""
        iterator = iter(items)
        while True:
            previous = CALLER.resource
            CALLER.resource = name
            try:
                item = next(iterator)
            except StopIteration as stop:
                self.ended(name)
                release_free_memory()  # what this resource held (pages, buffers) goes back to the system
                log.debug("%s: extracted after %.1f s, %d API calls", name, time.monotonic() - self.created,
                          self.api_calls[name])
                return stop.value
            except BaseException:
                self.aborted.set()  # resources waiting for this one must not wait forever
                raise
            finally:
                CALLER.resource = previous
            yield item

    def ended(self, name: str) -> None:
        """Resource `name` has ended (`metered` says so). Once every resource of this extraction has ended, nothing
        reuses the records read: the per-type id arrays (16 bytes a record: 60 MB for a 3.6M-record portal) are
        dropped before the load needs the memory."""
        with self._lock:
            self._done.add(name)
            if self.selected(name) and self._selected and self._done >= self._selected:
                self._changes.clear()
                self._streams.clear()

    @property
    def types_held(self) -> int:
        """How many object types' records (ids, last-modified times) this run still holds."""
        with self._lock:
            return len(self._changes.keys() | self._streams.keys())

    def note_delete_markers(self, table: str, rows: int) -> None:
        """Count `rows` delete markers written to `table` (see `delete_markers`)."""
        if rows:
            with self._lock:
                self.delete_markers[table] += rows

    def api_name(self, object_type: str) -> str:
        """What to put in API paths: the type id for custom objects (HubSpot's advice), the name otherwise."""
        return self.catalog.custom.get(object_type) or object_type

    # -- metadata caches -------------------------------------------------------------------------------------------
    def _cached(self, cache: dict[str, Any], key: str, read: Callable[[], Any]) -> Any:
        """`cache[key]`, read once (by the first thread that asks; others asking for the same key wait for it).
        One lock per key: the first requests of a run (every type's property definitions) go out side by side."""
        with self._lock:
            if key in cache:
                return cache[key]
            lock = self._key_locks.setdefault((id(cache), key), threading.Lock())
        with lock:
            with self._lock:
                if key in cache:
                    return cache[key]
            value = read()
            with self._lock:
                cache[key] = value
            return value

    def properties(self, object_type: str) -> list[Any]:
        return self._cached(
            self._properties, object_type, lambda: list(self.client.properties(self.api_name(object_type)))
        )

    def layout(self, object_type: str) -> RecordLayout:
        return self._cached(
            self._layouts, object_type,
            lambda: RecordLayout.from_properties(object_type, self.properties(object_type)),
        )

    def pipelines(self, object_type: str) -> list[dict]:
        return self._cached(self._pipelines, object_type, lambda: list(self.client.pipelines(object_type)))

    # -- resources run in parallel: later ones wait for what earlier ones read ---------------------------------
    def _event(self, key: str) -> threading.Event:
        with self._lock:
            return self._finished.setdefault(key, threading.Event())

    def finished(self, key: str) -> None:
        """Tell waiting resources that the resource reading `key` (an object type, or "threads") is done."""
        self._event(key).set()

    def selected(self, resource_name: str) -> bool:
        """Whether this run extracts `resource_name` (a Dagster subset or `with_resources` may leave it out)."""
        if self._selected is None:
            try:
                self._selected = frozenset(dlt.current.source().selected_resources)
            except Exception:  # not inside an extraction: nothing to wait for
                self._selected = frozenset()
        return resource_name in self._selected

    def wait_for(self, key: str, resource_name: str | None = None) -> None:
        """Block until the resource reading `key` has finished, when it runs in this extraction: its records are
        then reused instead of read again."""
        name = resource_name or self.readers.get(key, key)
        if not self.selected(name):
            return
        event = self._event(key)
        while not event.wait(0.2):
            if self.aborted.is_set():
                raise RuntimeError(f"stopped waiting for {name}: another resource of this run failed")

    def pipeline_objects(self) -> tuple[str, ...]:
        return tuple(t for t in PIPELINE_OBJECTS if t in self.catalog.all)

    def warn_once(self, key: str, message: str) -> None:
        """Record a note for the run's report the first time `key` is seen (e.g. a missing scope), never again.

        The report is where it is shown, once: `hubspot-elt sync` prints `warnings`, the Dagster asset logs them.
        So it is only logged at DEBUG here (a WARNING would show it a second time)."""
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
            self.warnings.append(message)
        log.debug(message)

    def progress(self, state: dict[str, Any], object_type: str) -> Progress:
        """The cursor entry of `object_type` inside a resource's state dict."""
        entry = state.setdefault("types", {}).setdefault(object_type, {})
        return Progress(entry, self.lookback_ms, frozen=self.refresh is not None)

    # -- what changed ----------------------------------------------------------------------------------------------
    def window_start(self, cursor_ms: int | None, *, complete: bool) -> int | None:
        """The `since` of a read: None (every record) on a full run, a first run or a reconciliation; otherwise the
        stored cursor minus the look-back overlap that covers search's indexing lag."""
        if complete or self.mode == "full" or cursor_ms is None:
            return None
        return max(0, cursor_ms - self.lookback_ms)

    def stream(self, object_type: str, changes: Changes) -> Changes:
        """Register `changes` as the records this run's resource for `object_type` is reading now (open until it
        calls `changes.close()`); `streaming` hands it to work that can start on the first ids."""
        changes.closed = False
        with self._lock:
            self._streams[object_type] = changes
        return changes

    def streaming(self, object_type: str, since_ms: int | None) -> Changes | None:
        """The records of `object_type` this run reads or has read (open or closed), when they cover every record
        modified since `since_ms` (None: every live record); else None."""
        with self._lock:
            changes = self._streams.get(object_type)
        return changes if changes is not None and changes.covers(since_ms) else None

    def ready(self, object_type: str) -> bool:
        """Whether the records of `object_type` are known: its resource is not part of this extraction, or has
        finished."""
        return not self.selected(self.readers.get(object_type, object_type)) or self._event(object_type).is_set()

    def remember(self, object_type: str, changes: Changes) -> None:
        known = self._changes.get(object_type)
        if known is None or changes.complete or not known.covers(changes.since_ms):
            self._changes[object_type] = changes

    def changes(
        self, object_type: str, cursor_ms: int | None, *, complete: bool = False, wait: bool = True
    ) -> Changes:
        """The records of `object_type` modified since `cursor_ms` (minus look-back), or all live ones when
        `complete`; answered from what the record resource of this run read when that covers the window (waiting
        for it to finish when it runs in this extraction, unless `wait` is False)."""
        if wait:
            self.wait_for(object_type)
        if self.refresh is not None:  # a partial refresh: the records its record resource read, or just their ids
            known = self._changes.get(object_type)
            if known is None:
                known = Changes(complete=False, since_ms=None)
                known.ids.extend(self.refresh.get(object_type, ()))
                known.updated_ms.extend(0 for _ in known.ids)
            return known
        since = self.window_start(cursor_ms, complete=complete)
        known = self._changes.get(object_type)
        if known is not None and known.covers(since):
            return known
        wanted = ["hs_object_id"]
        names = {_field(p, "name") for p in self.properties(object_type)}
        wanted += [name for name in EXTRA_PROPERTIES if name in names]
        changes = Changes(complete=since is None, since_ms=since)
        for page in self.record_pages(object_type, wanted, since):
            changes.add(page)
        self.remember(object_type, changes)
        return changes

    def record_pages(
        self, object_type: str, properties: Sequence[str], since_ms: int | None
    ) -> Iterator[list[dict]]:
        """Pages of live records: all of them (list endpoint from the lowest id and search from the highest at
        once, see readers.py) or those modified since `since_ms` (search, which the client restarts past 10,000
        results)."""
        if since_ms is None:
            return read_all_records(self.client, self.api_name(object_type), properties, workers=self.workers,
                                    lanes=self.search_lanes)
        return self.client.modified_since(self.api_name(object_type), since_ms, list(properties))

    # -- the warehouse as it stands (reconciliation compares it with HubSpot) ---------------------------------------
    def warehouse_query(self, sql_template: str, table: str, *args: Any) -> list[tuple]:
        """Rows of a read-only query on a `hubspot_raw` table (`{table}` in the template, `?` parameters); [] when
        the warehouse or the table does not exist yet (first run) or no warehouse was given.

        Opens its own read-only DuckDB connection: resources run in threads, and dlt's own SQL client is not
        safe to use from several threads at once. No writer holds the file while dlt extracts.
        """
        result = self._warehouse_execute(sql_template, table, args)
        return [] if result is None else result.fetchall()

    def warehouse_ids(self, sql_template: str, table: str, *args: Any) -> np.ndarray:
        """The first column of a read-only query (ids, cast to BIGINT in the SQL) as a sorted int64 array; empty
        when the warehouse or the table does not exist yet. For id sets of millions of records."""
        columns = self.warehouse_columns(sql_template, table, *args)
        column = next(iter(columns.values()), np.empty(0))
        return np.unique(np.asarray(column, dtype=np.int64))

    def warehouse_columns(self, sql_template: str, table: str, *args: Any) -> dict[str, np.ndarray]:
        """The columns of a read-only query as numpy arrays (no NULLs: coalesce them in the SQL); {} when the
        warehouse or the table does not exist yet."""
        result = self._warehouse_execute(sql_template, table, args)
        return {} if result is None else result.fetchnumpy()

    def _warehouse_execute(self, sql_template: str, table: str, args: Sequence[Any]) -> Any:
        if self.warehouse is None or not Path(self.warehouse).exists():
            return None
        import duckdb

        connection = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            sql = sql_template.format(table=f'{DATASET_NAME}."{table}"')
            return _Detached(connection, connection.execute(sql, list(args)))
        except duckdb.CatalogException:  # the table does not exist yet
            connection.close()
            return None


class _Detached:
    """A DuckDB result that closes its connection once fetched."""

    def __init__(self, connection: Any, result: Any) -> None:
        self._connection, self._result = connection, result

    def fetchall(self) -> list[tuple]:
        try:
            return self._result.fetchall()
        finally:
            self._connection.close()

    def fetchnumpy(self) -> dict[str, np.ndarray]:
        try:
            return self._result.fetchnumpy()
        finally:
            self._connection.close()


def discover_catalog(client: Any, objects: Sequence[str] | None = None) -> ObjectCatalog:
    """Ask HubSpot which object types exist (standard + custom schemas) and check the requested ones.

    Raises ValueError naming the unknown types and the valid ones when `objects` (HUBSPOT_OBJECTS) names a type the
    account does not have. This is the first call of every run, so a wrong token or base URL fails here, fast.
    """
    types = list(client.object_types())
    custom: dict[str, str] = {}
    known_names: dict[str, str] = {}
    for object_type in types:
        name = _field(object_type, "name")
        type_id = str(_field(object_type, "object_type_id") or _field(object_type, "objectTypeId") or "")
        known_names[name] = name
        if type_id:
            known_names[type_id] = name
        if type_id.startswith("2-") or (name not in STANDARD_OBJECTS and _field(object_type, "custom", False)):
            custom[name] = type_id
    for name in STANDARD_OBJECTS:
        known_names.setdefault(name, name)
    if objects:
        wanted = [o.strip() for o in objects if o and o.strip()]
        unknown = [o for o in wanted if o not in known_names]
        if unknown:
            valid = ", ".join(sorted({*STANDARD_OBJECTS, *custom}))
            raise ValueError(
                f"Unknown HubSpot object type(s) in HUBSPOT_OBJECTS / --objects: {', '.join(unknown)}. "
                f"Set it to a comma-separated list of: {valid}"
            )
        names = [known_names[o] for o in wanted]
        return ObjectCatalog(
            standard=tuple(n for n in STANDARD_OBJECTS if n in names),
            custom={n: custom[n] for n in names if n in custom},
        )
    return ObjectCatalog(standard=STANDARD_OBJECTS, custom=custom)


def parse_property_history(spec: str | None, catalog: ObjectCatalog | None = None) -> dict[str, tuple[str, ...]]:
    """'contacts:lifecyclestage,email;deals:dealstage' -> {"contacts": ("lifecyclestage", "email"), ...}.

    Raises ValueError with the expected format (or the unknown object type) for a bad HUBSPOT_PROPERTY_HISTORY.
    """
    result: dict[str, tuple[str, ...]] = {}
    for part in (spec or "").split(";"):
        part = part.strip()
        if not part:
            continue
        object_type, sep, names = part.partition(":")
        props = tuple(n.strip() for n in names.split(",") if n.strip())
        if not sep or not object_type.strip() or not props:
            raise ValueError(
                f"HUBSPOT_PROPERTY_HISTORY entry {part!r} is not '<object type>:<property>[,<property>...]' "
                "(example: 'contacts:lifecyclestage,email;deals:dealstage')"
            )
        object_type = object_type.strip()
        if catalog is not None and object_type not in catalog.all:
            raise ValueError(
                f"HUBSPOT_PROPERTY_HISTORY names object type {object_type!r}, which this run does not load; "
                f"use one of: {', '.join(catalog.all)}"
            )
        result[object_type] = props
    return result
