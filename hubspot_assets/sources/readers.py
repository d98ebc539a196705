"""Concurrent readers: keep several requests in flight so a sync runs at HubSpot's rate limits, not at its latency.

A wide object type (hundreds of properties) cannot be listed with all its properties in one URL, so the client
lists ids and then reads the properties in a POST body anyway: two requests per 100 records. `read_all_records`
does the same work concurrently and spends both of HubSpot's budgets: the ids are listed page by page (10-second
budget), and each block of ids is read either by a batch read (100 ids, 10-second budget) or by a search on an
`hs_object_id` range (200 records, the separate 5-per-second search budget). Results come back in id order; at
most `workers * 2` blocks are held in memory.

`map_ordered` runs one call per item (e.g. the messages of each thread) a few at a time, results in order.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_WORKERS = 4
# Share of 200-record blocks read through search. Per 100 records a batch read costs 1 + 1 general requests
# (id page + batch), a search 1 general + 0.5 search; with 190/10 s and 5/s, both budgets run out together near 0.6.
SEARCH_SHARE = 0.6
WIDE_URL_CHARS = 6000


def is_wide(properties: Sequence[str]) -> bool:
    """True when asking for these properties in a URL would pass HubSpot's URL limits (about 8,000 chars)."""
    return sum(len(p) + 3 for p in properties) > WIDE_URL_CHARS


def map_ordered(fn: Callable[[T], R], items: Iterable[T], workers: int = DEFAULT_WORKERS) -> Iterator[R]:
    """`fn(item)` for each item, `workers` at a time, yielded in the items' order (at most 2*workers pending)."""
    if workers <= 1:
        yield from (fn(item) for item in items)
        return
    from hubspot_assets.sources.extraction import CALLER

    caller = CALLER.resource

    def as_caller(item: T) -> R:  # API calls made in the pool count for the resource that asked
        CALLER.resource = caller
        return fn(item)

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


def read_all_records(
    client: Any,
    object_type: str,
    properties: Sequence[str],
    *,
    workers: int = DEFAULT_WORKERS,
    search_share: float = SEARCH_SHARE,
) -> Iterator[list[dict]]:
    """Pages of every live record of `object_type` with all `properties`, read concurrently (see module doc)."""
    props = list(properties)

    def blocks() -> Iterator[tuple[str, list[str]]]:
        credit = 0.0
        held: list[str] = []
        for page in client.list_records(object_type, ["hs_object_id"]):
            held.extend(str(r["id"]) for r in page)
            while len(held) >= 200:
                block, held = held[:200], held[200:]
                credit += search_share
                if credit >= 1.0:
                    credit -= 1.0
                    yield "search", block
                else:
                    yield "batch", block[:100]
                    yield "batch", block[100:]
        for start in range(0, len(held), 100):
            yield "batch", held[start : start + 100]

    def read(block: tuple[str, list[str]]) -> list[dict]:
        how, ids = block
        if how == "search":
            found = _search_range(client, object_type, ids, props)
            missing = [i for i in ids if i not in found]
            if missing:  # changed or created too recently for the search index: read those directly
                found.update(_batch(client, object_type, missing, props))
        else:
            found = _batch(client, object_type, ids, props)
        return [found[i] for i in ids if i in found]

    for records in map_ordered(read, blocks(), workers):
        if records:
            yield records


def _batch(client: Any, object_type: str, ids: list[str], props: list[str]) -> dict[str, dict]:
    result = client.read_records(object_type, ids, props)
    return {str(r["id"]): r for r in result.results}


def _search_range(client: Any, object_type: str, ids: list[str], props: list[str]) -> dict[str, dict]:
    low, high = min(ids, key=int), max(ids, key=int)
    filters = [
        {"propertyName": "hs_object_id", "operator": "GTE", "value": low},
        {"propertyName": "hs_object_id", "operator": "LTE", "value": high},
    ]
    wanted = set(ids)
    found: dict[str, dict] = {}
    for page in client.search_records(
        object_type,
        filter_groups=[{"filters": filters}],
        sorts=[{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        properties=props,
        page_size=200,
    ):
        for record in page:
            if str(record["id"]) in wanted:
                found[str(record["id"])] = record
    return found
