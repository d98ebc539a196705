"""Concurrent readers: keep several requests in flight so a sync runs at HubSpot's rate limits, not at its latency.

A full read of an object type (`read_all_records`) spends both of HubSpot's budgets at once, from both ends of the
id range:
- the list side climbs from the lowest id on the 10-second budget: list pages with the properties (narrow types), or
  for a wide type (hundreds of properties, too many for a URL) list pages of ids, each block of 100 ids read by a
  batch read, several in flight;
- the search side comes down from the highest id on the separate 5-per-second search budget: each search asks for
  the 200 highest ids below the lowest id it has read so far and above the highest id the list side has handed
  out, with every property (a POST body has no URL limit), one fresh query per page (never near the 10,000 cap).
They stop where they meet; each id is claimed by one side only, so no record is read twice. That relies on list
pages coming in ascending id order, which the list side checks on every page: if HubSpot ever answers out of order,
the search side stops and the list side reads every id below what the search side already covered, so nothing is
missed either way (a record read by both is then loaded once: the tables merge on the id).

Many full reads run at once (one per type); `SearchLanes` gives the shared search budget to the read with the most
work left, so the biggest type is not left to finish alone. List pages run ahead of their consumer on a thread of
their own (`read_ahead`), and a wide type keeps three search pages in flight (`_search_down`): one chain of
requests waiting for each answer cannot use a budget at HubSpot's latency.

`map_ordered` runs one call per item (e.g. the messages of each thread) a few at a time, results in order.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from hubspot_assets.hubspot.errors import HubSpotError
from hubspot_assets.hubspot.record_pages import RecordPage
from hubspot_assets.sources.metering import carry

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_WORKERS = 4
SEARCH_PAGE = 200  # records per search request (HubSpot's maximum)
SEARCH_OVERLAP = 5  # records shared by consecutive pages of one query (see `_search_down`)
QUERY_PAGES = 40  # pages asked of one search query (offsets up to 7,800: far from the 10,000 cap)
WIDE_URL_CHARS = 6000


def is_wide(properties: Sequence[str]) -> bool:
    """True when asking for these properties in a URL would pass HubSpot's URL limits (about 8,000 chars)."""
    return sum(len(p) + 3 for p in properties) > WIDE_URL_CHARS


def map_ordered(fn: Callable[[T], R], items: Iterable[T], workers: int = DEFAULT_WORKERS) -> Iterator[R]:
    """`fn(item)` for each item, `workers` at a time, yielded in the items' order (at most 2*workers pending)."""
    if workers <= 1:
        yield from (fn(item) for item in items)
        return
    as_caller = carry(fn)  # requests made in the pool count for the resource that asked
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hubspot-read") as pool:
        pending: deque[Future] = deque()
        try:
            for item in items:
                pending.append(pool.submit(as_caller, item))
                if len(pending) >= workers * 2:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def read_ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """`items`, produced on a thread of their own up to `depth` ahead of the consumer: the next request of a chain
    (list pages, one after another) goes out while the caller still works on the last answer, instead of the two
    taking turns. Errors reach the consumer; when the consumer stops, the producer stops after its current item."""
    yield from (item for _, item in side_by_side(items, depth=depth))


def side_by_side(*sources: Iterable[T], depth: int = 2) -> Iterator[tuple[int, T]]:
    """(index of the source, item) from every source at once, each run on its own thread up to `depth` items ahead,
    in the order the items come: independent request chains (a type's live records and its archived ones) overlap
    instead of one waiting for the other to end. Errors reach the consumer; when the consumer stops, each producer
    stops after its current item."""
    merged: queue.Queue = queue.Queue(maxsize=depth * len(sources))
    stop = threading.Event()
    done = object()

    def put(item: tuple[int, Any]) -> bool:
        while not stop.is_set():
            try:
                merged.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce(index: int, items: Iterable[T]) -> None:
        try:
            for item in items:
                if not put((index, item)):
                    return
        except BaseException as error:  # handed to the consumer, which raises it
            put((index, error))
        finally:
            put((index, done))

    for index, items in enumerate(sources):
        # carry(): requests made by a producer count for the resource that asked.
        threading.Thread(target=carry(produce), args=(index, items), name="hubspot-read-ahead", daemon=True).start()
    running = len(sources)
    try:
        while running:
            index, item = merged.get()
            if item is done:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield index, item
    finally:
        stop.set()


class SearchLanes:
    """Which full read sends the next search, when several share HubSpot's 5-per-second search budget: the one with
    the most work left, a few at a time.

    Shared evenly, fifteen types would each get a fifteenth of the budget, and the biggest type (often the wide
    contacts, whose list side costs two requests per 100 records) would be read last and alone, leaving most of both
    budgets unused at the end. Work left is what the read's last search answered as `total` (the records between the
    two sides), doubled for a wide type; a read that has not searched yet goes first (its size is unknown)."""

    def __init__(self, lanes: int = 3) -> None:
        self.lanes = lanes
        self._busy = 0
        self._waiting: dict[object, float] = {}  # ticket -> work left of the read waiting with it
        self._cond = threading.Condition()

    def acquire(self, work_left: float, stop: threading.Event) -> object | None:
        """Wait for a lane; returns the ticket to pass to `release`, or None once `stop` is set (the read no longer
        needs its search side)."""
        ticket = object()
        with self._cond:
            self._waiting[ticket] = work_left
            while self._busy >= self.lanes or max(self._waiting, key=self._waiting.__getitem__) is not ticket:
                if stop.is_set():
                    del self._waiting[ticket]
                    self._cond.notify_all()
                    return None
                self._cond.wait(0.1)
            del self._waiting[ticket]
            self._busy += 1
            self._cond.notify_all()  # the next in line may take another free lane
        return ticket

    def release(self, ticket: object) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()


class _Meeting:
    """Where the two sides of a full read stand. Each id is claimed by one side only, under the lock: the list side
    claims ids below `searched_from`, the search side ids above `listed_to`, so no record is read twice (while list
    pages come in id order) and none is left out (each side stops only where the other has been)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.listed_to = 0  # the list side has claimed every live id up to here (while `ordered`)
        self.searched_from: int | None = None  # the search side has claimed every live id from here up
        self.ordered = True  # list pages have come in ascending id order so far
        self.stop = threading.Event()  # the search side must stop (the list side is done, or order broke)
        self.last_listed = 0

    def claim_listed(self, ids: Sequence[int]) -> tuple[list[int], bool]:
        """The ids of one list page the list side reads, and whether it can stop (it has met the search side:
        every later list page would be above the meeting point)."""
        with self.lock:
            for record_id in ids:
                if record_id <= self.last_listed and self.ordered:
                    self.ordered = False
                    self.stop.set()
                    log.warning("list pages are not in id order; the list side reads every id the search side has "
                                "not read")
                self.last_listed = max(self.last_listed, record_id)
            ceiling = self.searched_from
            keep = list(ids) if ceiling is None else [i for i in ids if i < ceiling]
            if self.ordered and keep:
                self.listed_to = max(self.listed_to, max(keep))
            return keep, self.ordered and len(keep) < len(ids)

    def claim_searched(self, page: RecordPage, full: bool) -> tuple[RecordPage | None, bool]:
        """The records of one search page (descending ids; `full`: HubSpot answered a whole page) the search side
        hands over (None: none), and whether it is done."""
        with self.lock:
            if not self.ordered:  # the list side now reads everything below `searched_from`
                return None, True
            keep = page.take(page.ids > self.listed_to)
            if len(keep):
                lowest = int(keep.ids.min())
                self.searched_from = lowest if self.searched_from is None else min(self.searched_from, lowest)
            # Done when the page reached the list side, or was short (nothing more between the two sides).
            return (keep if len(keep) else None), len(keep) < len(page) or not full


def read_all_records(
    client: Any,
    object_type: str,
    properties: Sequence[str],
    *,
    workers: int = DEFAULT_WORKERS,
    use_search: bool = True,
    lanes: SearchLanes | None = None,
    search_wave: int | None = None,
) -> Iterator[RecordPage]:
    """Pages of every live record of `object_type` with all `properties`, read from both ends at once (see the
    module doc), as Arrow `RecordPage`s. Pages come in no particular order. `lanes`: shared by the full reads running
    at the same time, so the search budget goes to the one with the most work left. `search_wave`: search pages in flight at once
    (default 3 for a wide type, whose answers are large and slow, else 1)."""
    props = list(properties)
    meeting = _Meeting()

    def list_side() -> Iterator[RecordPage]:
        yield from (page for page in _list_side(client, object_type, props, meeting, workers) if len(page))
        meeting.stop.set()  # the list side has read everything below the meeting point: the search side stops

    sides: list[Iterable[RecordPage]] = [list_side()]
    if use_search:
        wave = search_wave or (3 if is_wide(props) else 1)
        sides.append(_search_down(client, object_type, props, meeting, lanes, wave))
    try:
        # Each side on a thread of its own (the next request goes out while the consumer works on the last answer),
        # a few pages ahead at most (bounded: memory).
        yield from (page for _, page in side_by_side(*sides, depth=3))
    finally:
        meeting.stop.set()


def _list_side(client: Any, object_type: str, props: list[str], meeting: _Meeting, workers: int) -> Iterator[RecordPage]:
    """Pages climbing from the lowest id, up to the meeting point (list pages, or ids + batch reads when wide)."""
    if not is_wide(props):

        def pages() -> Iterator[RecordPage]:
            for page in client.list_records(object_type, props):
                keep, stop = meeting.claim_listed([int(r["id"]) for r in page])
                wanted = set(keep)
                yield RecordPage.from_dicts([r for r in page if int(r["id"]) in wanted], props)
                if stop:
                    return

        yield from pages()
        return

    def blocks() -> Iterator[list[str]]:
        held: list[str] = []
        for page in client.list_records(object_type, ["hs_object_id"]):
            keep, stop = meeting.claim_listed([int(r["id"]) for r in page])
            held.extend(str(i) for i in keep)
            while len(held) >= 100:
                yield held[:100]
                held = held[100:]
            if stop:
                break
        if held:
            yield held

    def read(ids: list[str]) -> RecordPage:
        return client.read_record_page(object_type, ids, props)

    # The id pages run ahead on their own thread: the batch reads, not the next id page, set the pace.
    # Twice the usual batch reads in flight: they wait on the general budget, not on the machine.
    yield from map_ordered(read, read_ahead(blocks(), depth=workers), workers * 2)


def _search_down(
    client: Any, object_type: str, props: list[str], meeting: _Meeting, lanes: SearchLanes | None, wave: int = 1
) -> Iterator[RecordPage]:
    """Pages coming down from the highest id until the range between the two sides is empty. Stops quietly on an
    error HubSpot gives (a type that cannot be searched, a failing search endpoint): the list side then reads
    what the search side did not.

    `wave` > 1 keeps that many pages of one query in flight (offsets 0, 195, 390...; the next is asked as soon as
    the oldest is answered, up to `QUERY_PAGES`): one chain of requests waits for each answer before the next, so a
    wide type, whose answers are large and slow, needs more than one to use the search budget. Consecutive pages
    overlap by `SEARCH_OVERLAP` records: a page is used only if it reaches up to the lowest id of the page before
    (records archived in between shift the offsets), else the pages asked after it are dropped and a fresh query
    starts below what was kept, so no record is skipped."""
    weight = 2.0 if is_wide(props) else 1.0  # the list side reads a wide type at half the speed
    work_left = float("inf")  # not searched yet: first in line, its size is learned from the answer

    @carry
    def fetch(body: dict) -> tuple[RecordPage, int | None] | None:
        ticket = lanes.acquire(work_left, meeting.stop) if lanes is not None else None
        if lanes is not None and ticket is None:
            return None  # the list side has finished the read
        try:
            page, total, _ = client.search_record_page(object_type, body)
            return page, total
        finally:
            if ticket is not None:
                lanes.release(ticket)

    # One page per query when one is in flight (a fresh query below the last page read is exact); with more, the
    # pages of one query at successive offsets, a new one asked as soon as the oldest is answered.
    pages_per_query = 1 if wave <= 1 else QUERY_PAGES
    pool = ThreadPoolExecutor(max_workers=wave, thread_name_prefix="hubspot-search") if wave > 1 else None
    pending: deque[Future] = deque()
    try:
        while not meeting.stop.is_set():
            with meeting.lock:
                floor, ceiling = meeting.listed_to, meeting.searched_from
            filters = [{"propertyName": "hs_object_id", "operator": "GT", "value": str(floor)}]
            if ceiling is not None:
                filters.append({"propertyName": "hs_object_id", "operator": "LT", "value": str(ceiling)})
            asked = 0
            lowest_before: int | None = None
            while True:
                while len(pending) < wave and asked < pages_per_query:
                    body = {
                        "filterGroups": [{"filters": filters}],
                        "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}],
                        "properties": props,
                        "limit": SEARCH_PAGE,
                    }
                    if asked:
                        body["after"] = str(asked * (SEARCH_PAGE - SEARCH_OVERLAP))
                    asked += 1
                    if pool is not None:
                        pending.append(pool.submit(fetch, body))
                    else:
                        done: Future = Future()
                        try:
                            done.set_result(fetch(body))
                        except BaseException as error:  # raised below, where pooled errors are
                            done.set_exception(error)
                        pending.append(done)
                if not pending:
                    break  # every page of this query was read: a fresh query below the last one
                try:
                    answer = pending.popleft().result()
                except HubSpotError as error:
                    log.info("%s: reading by search stopped (%s); the list side reads the rest", object_type, error)
                    return
                if answer is None:
                    return
                page, total = answer
                if lowest_before is None:  # the first page of this query
                    fresh = page
                    if total is not None:
                        work_left = weight * max(total - pages_per_query * SEARCH_PAGE, 0)
                elif not len(page) or int(page.ids[0]) < lowest_before:
                    break  # not contiguous with the page before (or nothing more): a fresh query starts here
                else:
                    fresh = page.take(page.ids < lowest_before)
                records, met = meeting.claim_searched(fresh, full=len(page) >= SEARCH_PAGE)
                if records is not None:
                    yield records
                if met:
                    return
                lowest_before = int(page.ids[-1])
            for future in pending:  # asked of a query that broke off: their answers are not used
                future.cancel()
            pending.clear()
    finally:
        for future in pending:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
