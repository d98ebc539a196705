"""CRM search, including reads past HubSpot's 10,000-result cap.

HubSpot's search pages by offset and refuses any page that reaches past 10,000 results. To read more, this
module sorts by `hs_object_id` ascending and, when the next page would cross the cap, restarts the same query
with one more filter, `hs_object_id > <last id seen>`, added to every filter group (groups are OR-ed, so the
bound must be in each). The caller's filters are kept in every group.

HubSpot allows at most 6 filters in a group and 18 in all. When adding the bound to every group would pass 18,
the groups are split into several queries that each fit, run one after the other; a record matching groups in
two of them is returned once. A group that already holds 6 filters leaves no room for the bound: such a query
is fine up to 10,000 results and raises `SearchLimitError` beyond.

Searches spend the 5-requests-per-second search budget (`Budget.SEARCH`), not the 10-second budget.
Search is eventually consistent (recent changes may be missing for seconds to minutes) and never returns
archived records.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.errors import HubSpotError
from hubspot_assets.hubspot.record_pages import ArrowAnswer, RecordPage, decoder
from hubspot_assets.hubspot.responses import body_object, next_after, records_of, unique
from hubspot_assets.hubspot.transport import Budget

SEARCH_CAP = 10_000
SEARCH_PAGE_MAX = 200
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
ID_PROPERTY = "hs_object_id"


class SearchLimitError(HubSpotError, ValueError):
    """A search cannot be read completely within HubSpot's limits as written; the message says what to
    change. A `HubSpotError` like every other client error, and a `ValueError`: the caller's arguments are what
    must change, retrying cannot help."""


def _page_parts(response: Any, endpoint: str) -> tuple[list[dict[str, Any]], int | None, str | None]:
    """(records, total, next after) of one search answer parsed as JSON, checked."""
    total = body_object(response, "POST", endpoint).get("total")
    return (
        records_of(response, "POST", endpoint),
        int(total) if isinstance(total, (int, float)) or (isinstance(total, str) and total.isdigit()) else None,
        next_after(response, "POST", endpoint),
    )


def last_modified_property(object_type: str) -> str:
    """The last-modified property of a type: `lastmodifieddate` on contacts, `hs_lastmodifieddate`
    elsewhere."""
    return "lastmodifieddate" if object_type in ("contacts", "contact", "0-1") else "hs_lastmodifieddate"


def _normalize_groups(filter_groups: Sequence[Any]) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for group in filter_groups:
        if isinstance(group, Mapping):
            filters = list(group.get("filters") or [])
        else:  # a bare list of filters is one group
            filters = list(group)
        groups.append({"filters": [dict(f) for f in filters]})
    return groups


def _normalize_sorts(sorts: Sequence[Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for sort in sorts:
        if isinstance(sort, str):  # "name" ascending, "-name" descending
            desc = sort.startswith("-")
            out.append({"propertyName": sort.lstrip("-"), "direction": "DESCENDING" if desc else "ASCENDING"})
        else:
            out.append(
                {
                    "propertyName": str(sort["propertyName"]),
                    "direction": str(sort.get("direction", "ASCENDING")).upper(),
                }
            )
    if len(out) > 1:
        raise SearchLimitError("HubSpot search accepts one sort; pass a single sort")
    return out


def _pack_groups(groups: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split filter groups into queries in which each group can take one more filter within the 18 limit."""
    if not groups:
        return [[]]
    batches: list[list[dict[str, Any]]] = []
    sizes: list[int] = []
    for group in groups:
        need = len(group["filters"]) + 1
        for index, used in enumerate(sizes):
            if used + need <= MAX_FILTERS and len(batches[index]) < MAX_GROUPS:
                batches[index].append(group)
                sizes[index] += need
                break
        else:
            batches.append([group])
            sizes.append(need)
    return batches


def _with_bound(groups: list[dict[str, Any]], operator: str, last_id: str) -> list[dict[str, Any]]:
    bound = {"propertyName": ID_PROPERTY, "operator": operator, "value": last_id}
    if not groups:
        return [{"filters": [bound]}]
    bounded = copy.deepcopy(groups)
    for group in bounded:
        group["filters"].append(dict(bound))
    return bounded


class SearchApi(ApiArea):
    """`POST /crm/v3/objects/{objectType}/search` with lazy paging and restarts past 10,000 results. Every call
    spends the search budget (5 requests per second)."""

    search_cap: int = SEARCH_CAP
    """HubSpot's 10,000-result cap; a lower value only restarts sooner (same results, more requests)."""

    def search_page(
        self, object_type: str, body: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], int | None, str | None]:
        """One search request with HubSpot's own body (`filterGroups`, `sorts`, `properties`, `limit`, `after`):
        (records, `total` matching, next `after` or None). No restart past 10,000 results (`search_records`
        does that)."""
        path, endpoint = self.paths.search(object_type)
        response = self.transport.request(
            "POST", path, endpoint=endpoint, json=dict(body), budget=Budget.SEARCH, idempotent=True
        )
        return _page_parts(response, endpoint)

    def search_record_page(
        self, object_type: str, body: Mapping[str, Any]
    ) -> tuple[RecordPage, int | None, str | None]:
        """`search_page` with the records as an Arrow `RecordPage` (every value parsed outside the interpreter's
        lock, see record_pages.py), for bulk reads of many properties: (records, total, next after).
        `body["properties"]` are the page's properties."""
        path, endpoint = self.paths.search(object_type)
        names = unique(body.get("properties") or [])
        response = self.transport.request(
            "POST", path, endpoint=endpoint, json=dict(body), budget=Budget.SEARCH, idempotent=True,
            decode=decoder(names, searched=True),
        )
        if isinstance(response.data, ArrowAnswer):
            return response.data
        records, total, after = _page_parts(response, endpoint)
        return RecordPage.from_dicts(records, names), total, after

    def search_records(
        self,
        object_type: str,
        *,
        filter_groups: Sequence[Any] = (),
        sorts: Sequence[Any] = (),
        query: str | None = None,
        properties: Sequence[str] | None = None,
        page_size: int = SEARCH_PAGE_MAX,
    ) -> Iterator[list[dict[str, Any]]]:
        """Every record matching the search, one list per page, lazily; continues past 10,000 results.

        `filter_groups`: HubSpot's `[{"filters": [{"propertyName", "operator",
        "value"|"values"|"highValue"}]}]` (a bare list of filters counts as one group). `sorts`: at most one,
        a HubSpot sort dict or a property name (`"-name"` for descending). Without a sort, results come by
        `hs_object_id` ascending, which is what allows reading past 10,000. With a sort on another property a
        search matching more than 10,000 records raises `SearchLimitError` before returning anything (narrow
        the filters or drop the sort).
        `hs_object_id` sorted descending also continues (bound `<`).
        """
        groups = _normalize_groups(filter_groups)
        if len(groups) > MAX_GROUPS:
            raise SearchLimitError(
                f"HubSpot search accepts at most {MAX_GROUPS} filter groups, got {len(groups)}"
            )
        sort_list = _normalize_sorts(sorts) or [{"propertyName": ID_PROPERTY, "direction": "ASCENDING"}]
        sort = sort_list[0]
        restartable = sort["propertyName"] == ID_PROPERTY
        operator = "LT" if sort["direction"] == "DESCENDING" else "GT"
        limit = max(1, min(page_size, SEARCH_PAGE_MAX))
        props = unique(properties) if properties is not None else None
        if props is not None and ID_PROPERTY not in props and restartable:
            props.append(ID_PROPERTY)

        def body_for(groups_: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
            body: dict[str, Any] = {"filterGroups": groups_, "sorts": sort_list, "limit": limit}
            if query:
                body["query"] = query
            if props is not None:
                body["properties"] = props
            if after is not None:
                body["after"] = after
            return body

        # First, the query exactly as asked: most searches end here, within 10,000.
        records, total, after = self.search_page(object_type, body_for(groups, None))
        if total is not None and total > self.search_cap and not restartable:
            raise SearchLimitError(
                f"search on {object_type} matches {total} records, more than HubSpot's {self.search_cap} "
                f"cap, and is sorted by {sort['propertyName']}; only a search sorted by {ID_PROPERTY} can "
                "continue past the cap: drop the sort or narrow the filters"
            )
        last_id: str | None = None
        if records:
            yield records
            last_id = records[-1]["id"]
        while after is not None and (not after.isdigit() or int(after) + limit <= self.search_cap):
            records, _, nxt = self.search_page(object_type, body_for(groups, after))
            if records:
                yield records
                last_id = records[-1]["id"]
            if nxt is None or nxt == after:
                return
            after = nxt
        if after is None or last_id is None:
            return
        if not restartable:  # total was unknown or understated; HubSpot refuses the next page
            raise SearchLimitError(
                f"search on {object_type} reached HubSpot's {self.search_cap}-result cap while sorted by "
                f"{sort['propertyName']}; drop the sort or narrow the filters"
            )
        yield from self._search_past_cap(object_type, groups, operator, last_id, body_for, limit)

    def _search_past_cap(
        self,
        object_type: str,
        groups: list[dict[str, Any]],
        operator: str,
        last_id: str,
        body_for: Any,
        limit: int,
    ) -> Iterator[list[dict[str, Any]]]:
        """Continue past the cap: re-run the query from `hs_object_id > last_id`, once per batch of groups."""
        for group in groups:
            if len(group["filters"]) >= MAX_FILTERS_PER_GROUP:
                raise SearchLimitError(
                    f"search on {object_type} has more than {self.search_cap} results and a filter group "
                    f"with {len(group['filters'])} filters; continuing past the cap needs one free slot for "
                    f"an {ID_PROPERTY} bound: use at most {MAX_FILTERS_PER_GROUP - 1} filters per group"
                )
        batches = _pack_groups(groups)
        dedupe = len(batches) > 1
        seen: set[int] = set()
        for batch in batches:
            bound_id = last_id  # every batch restarts after what the first query already returned
            while True:
                after: str | None = None
                page_last: str | None = None
                while True:
                    records, _, nxt = self.search_page(
                        object_type, body_for(_with_bound(batch, operator, bound_id), after)
                    )
                    if dedupe:
                        fresh = []
                        for record in records:
                            key = int(record["id"]) if record["id"].isdigit() else hash(record["id"])
                            if key not in seen:
                                seen.add(key)
                                fresh.append(record)
                    else:
                        fresh = records
                    if fresh:
                        yield fresh
                    if records:
                        page_last = records[-1]["id"]
                    if nxt is None or nxt == after:
                        break
                    if nxt.isdigit() and int(nxt) + limit > self.search_cap:
                        break  # the next page would cross the cap: restart from the last id
                    after = nxt
                if nxt is None or page_last is None:
                    break  # this batch is exhausted
                bound_id = page_last

    def modified_since(
        self,
        object_type: str,
        since_ms: int,
        properties: Sequence[str] | None = None,
        *,
        until_ms: int | None = None,
        page_size: int = SEARCH_PAGE_MAX,
    ) -> Iterator[list[dict[str, Any]]]:
        """Records whose last-modified date is >= `since_ms` (and < `until_ms`), epoch milliseconds, by
        `hs_object_id` ascending, continuing past 10,000 results.

        Uses `lastmodifieddate` on contacts and `hs_lastmodifieddate` elsewhere; that property is always among
        the returned properties. Search lags behind writes and never shows archived records or association
        changes (they do not touch the last-modified date): incremental readers need a look-back overlap and
        another way to see deletes.
        """
        prop = last_modified_property(object_type)
        filters: list[dict[str, Any]] = [
            {"propertyName": prop, "operator": "GTE", "value": str(int(since_ms))}
        ]
        if until_ms is not None:
            filters.append({"propertyName": prop, "operator": "LT", "value": str(int(until_ms))})
        props = None if properties is None else unique([*properties, prop])
        return self.search_records(
            object_type, filter_groups=[{"filters": filters}], properties=props, page_size=page_size
        )
