"""The run context of one extraction: what the resources of the HubSpot source share while they run side by side.

Resources run in dlt's extract threads at the same time. What one resource learns (the records that changed, the
property definitions) is reused by the others instead of asked from HubSpot again: those that work from another's
records wait for it (`wait_for`, `changes`) or take its ids as they come (`streaming`), so a run with no changes
costs about one search per object type plus the metadata calls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dlt
from dlt.sources import DltResource

from hubspot_assets.sources.catalog import ObjectCatalog, refresh_link_ids, reverse_link_ids
from hubspot_assets.sources.changes import EXTRA_PROPERTIES, Changes, Progress
from hubspot_assets.sources.columns import RecordLayout, field_value
from hubspot_assets.sources.memory import release_free_memory
from hubspot_assets.sources.metering import RequestCounter, working_for
from hubspot_assets.sources.readers import DEFAULT_WORKERS, SearchLanes, read_all_records
from hubspot_assets.sources.settings import HARD_DELETE_COLUMN, MESSAGES_RAW_RESOURCE
from hubspot_assets.sources.stored import StoredTables

log = logging.getLogger(__name__)

# A resource that yielded fewer rows held too little to be worth handing memory back when it ends: the collection
# that does it walks the whole heap, a tenth of a second on the main thread that every resource would wait on.
RELEASE_AFTER_ROWS = 20_000


class Extraction:
    """What one run knows: the client, the mode, the catalog, the records read so far and the caches the resources
    share. Every resource factory of the source takes it (None: a source built without a client, whose resources
    yield nothing: the Dagster definitions)."""

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
        refresh_links: Mapping[str, Mapping[str, Sequence[int | str]]] | None = None,
        credentials_id: str | None = None,
        property_history: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.stored = StoredTables(warehouse)
        # object type -> properties whose history to load (HUBSPOT_PROPERTY_HISTORY).
        self.property_history = {t: tuple(props) for t, props in (property_history or {}).items()}
        # Which credentials this run uses (a short hash, never the token): transcripts skipped for lack of scope are
        # retried on a no-change run only when these differ from the credentials that were refused.
        self.credentials_id = credentials_id
        # A partial refresh: only these records (object type -> ids) are read, cursors stay where they are.
        self.refresh = None if refresh is None else {t: sorted({int(i) for i in ids}) for t, ids in refresh.items()}
        # ... and these records' links: from type -> to type -> ids, and those held on the other records' side.
        self.refresh_links = None if self.refresh is None else refresh_link_ids(catalog, self.refresh, refresh_links)
        self.refresh_reverse = {} if self.refresh is None else reverse_link_ids(catalog, self.refresh, refresh_links)
        # HTTP answers per resource, for asset metadata, counted by a hook on the client's session.
        self.requests = RequestCounter()
        session = getattr(getattr(client, "transport", None), "session", None)
        if session is not None:
            self.requests.attach(session)
        # Rows per table that only tell the merge to delete (records gone from HubSpot, links no longer there): dlt
        # counts them among the rows it normalized, but they add nothing to the table.
        self.delete_markers: Counter[str] = Counter()
        # Tables this run writes nothing to, and why (property history off, a scope missing): not "loaded" at all.
        self.skipped: dict[str, str] = {}
        self.client = client
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
        self._subset = False
        self._done: set[str] = set()  # resources that have ended
        # object type -> the resource that reads its records, when not named after the type (custom objects: their
        # table's resource, or the catch-all `custom_objects`); set by the source.
        self.readers: dict[str, str] = {}
        # The threads the `threads` resource listed (since, thread id -> latest message ms, newest ms): the messages
        # resource reads their messages instead of listing them again.
        self.threads_read: tuple[int | None, dict[str, int | None], int | None] | None = None
        self.aborted = threading.Event()
        self.warnings: list[str] = []
        self.created = time.monotonic()

    @property
    def api_calls(self) -> Counter[str]:
        """HTTP requests answered per resource (retries and 429s included: they cost budget too)."""
        return self.requests.counts

    def close(self) -> None:
        """Stop counting the client's requests for this run (the client may serve later runs)."""
        session = getattr(getattr(self.client, "transport", None), "session", None)
        if session is not None:
            self.requests.detach(session)

    def metered(self, name: str, items: Iterator[Any]) -> Iterator[Any]:
        """Pass `items` through; the requests made while producing them count for `api_calls[name]`."""
        iterator = iter(items)
        rows = 0
        while True:
            try:
                with working_for(name):
                    item = next(iterator)
            except StopIteration as stop:
                self.ended(name)
                if rows >= RELEASE_AFTER_ROWS:
                    release_free_memory()  # what this resource held (pages, buffers) goes back to the system
                log.debug("%s: extracted after %.1f s, %d API calls", name, time.monotonic() - self.created,
                          self.api_calls[name])
                return stop.value
            except BaseException:
                self.aborted.set()  # resources waiting for this one must not wait forever
                raise
            rows += _row_count(item)
            yield item

    def ended(self, name: str) -> None:
        """Resource `name` has ended (`metered` says so). Once every resource of this extraction has ended, nothing
        reuses the records read: the per-type id arrays (16 bytes a record) are
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

    @property
    def types_read(self) -> tuple[str, ...]:
        """The object types whose records this run reads: the catalog's, or on a partial refresh those it names."""
        if self.refresh is None:
            return self.catalog.all
        return tuple(t for t in self.catalog.all if self.refresh.get(t))

    def skip(self, table: str, reason: str) -> None:
        """Table `table` gets nothing from this run, for `reason` (shown instead of a row count)."""
        with self._lock:
            self.skipped[table] = reason

    def note_delete_markers(self, table: str, rows: int) -> None:
        """Count `rows` delete markers written to `table` (see `delete_markers`)."""
        if rows:
            with self._lock:
                self.delete_markers[table] += rows

    def whole_list(self, table: str, rows: list[dict], key: str = "id") -> list[dict]:
        """`rows`, all of a list HubSpot answers whole (owners, inboxes, ...), and a delete marker for each row of
        `table` that is not among them any more. Such a table is merged, not replaced: a run that does not read the
        list (narrowed, a partial refresh, a scope missing) leaves it as it is, where dlt would empty a replaced
        table that got no rows."""
        present = {str(row[key]) for row in rows}
        stored = {str(row[0]) for row in self.stored.rows(f"SELECT DISTINCT CAST({key} AS VARCHAR) FROM {{table}}",
                                                            table)}
        gone = sorted(stored - present)
        self.note_delete_markers(table, len(gone))
        return rows + [{key: value, HARD_DELETE_COLUMN: True} for value in gone]

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
        self._read_selection()
        return resource_name in self._selected

    def reads_area(self, named: bool) -> bool:
        """Whether an area that HUBSPOT_OBJECTS can leave out (owners, conversations) is read: when it is `named`
        (or nothing narrows the run), or when this run was asked for some tables only (a Dagster selection,
        `resources=`): the tables asked for are read."""
        self._read_selection()
        return named or self._subset

    def _read_selection(self) -> None:
        if self._selected is not None:
            return
        try:
            source = dlt.current.source()
        except Exception:  # not inside an extraction: nothing to wait for
            self._selected, self._subset = frozenset(), False
            return
        self._selected = frozenset(source.selected_resources)
        # Resources built unselected (the raw messages, pulled in by their transformers) say nothing of a subset.
        self._subset = any(name not in self._selected and name != MESSAGES_RAW_RESOURCE for name in source.resources)

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
        names = {field_value(p, "name") for p in self.properties(object_type)}
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


def metered_resource(
    run: Extraction | None,
    body: Callable[[Extraction], Iterator[Any]],
    *,
    name: str,
    counted_as: str | None = None,
    **hints: Any,
) -> DltResource:
    """A dlt resource `name` (with dlt's `hints`: write disposition, keys, columns...) whose items are `body(run)`,
    its requests counted for `counted_as` (default `name`); it yields nothing when `run` is None (a source built
    without a client)."""

    def items() -> Iterator[Any]:
        if run is not None:
            yield from run.metered(counted_as or name, body(run))

    return dlt.resource(items, name=name, **hints)


def _row_count(item: Any) -> int:
    """Rows in what a resource yielded: an Arrow table, a list of rows, or one row."""
    rows = getattr(item, "num_rows", None)
    if rows is not None:
        return int(rows)
    return len(item) if isinstance(item, list) else 1
