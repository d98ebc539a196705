"""CRM records of every object type: list, read one, batch read, writes, merge, GDPR delete.

Any number of properties, never a 414
-------------------------------------
HubSpot has no published URL limit, yet answers **414 URI Too Long** somewhere between ~8,000 and ~16,000
characters, which a wide portal (hundreds of custom properties) reaches with one `properties=` list. Every GET
this module builds is measured before it is sent (full URL, as `requests` encodes it; see `url_plan.py`) against
`max_url_length` (7,000 by default, safely under the lowest limit seen). When a list page would be too long,
two ways read the same page, and the cheaper is chosen per call:

* **split**: the property names are packed into N requests that each fit; all N ask for the same page (same
  `limit`, same `after` cursor), and the pages are joined by record id. HubSpot's list cursors are positional
  on the record id, so the N pages hold the same ids; this is verified on every page, and a page whose ids do
  not line up (a record created or archived between the N calls) is repaired by reading its ids' properties
  through batch read. Costs N requests per page.
* **ids then batch read**: one list request asks only for ids (plus inline associations), then
  `POST .../batch/read` fetches every property for those ids in the request body, where length does not
  matter. Costs 2 requests per page (batch read takes 100 ids, 50 with property history, the same as a page).

`list_records` uses split when N <= 2 and ids-then-batch-read when N > 2: the fewest requests, and on a tie
the split stays on the list endpoint alone (archived semantics and ordering exactly as listed). A read of one
record whose URL would be too long is a batch read of that one id (1 request; inline associations, which batch
read does not support, cost one more GET without properties).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.errors import NotFoundError
from hubspot_assets.hubspot.logging import get_logger
from hubspot_assets.hubspot.models import BatchError, BatchResult
from hubspot_assets.hubspot.record_pages import ArrowAnswer, RecordPage, decoder
from hubspot_assets.hubspot.responses import (
    Params,
    body_object,
    check_record,
    chunked,
    flag,
    next_after,
    parse_model,
    records_of,
    unique,
)
from hubspot_assets.hubspot.url_plan import UrlPlanner

log = get_logger(__name__)  # carries the redaction filter

LIST_PAGE_MAX = 100
HISTORY_PAGE_MAX = 50  # HubSpot's cap on list pages and batch reads that ask for property history
BATCH_MAX = 100


def dedupe_inline_associations(record: dict[str, Any]) -> dict[str, Any]:
    """Inline `associations` list one entry per (id, label): keep one entry per id, ids as strings."""
    assoc = record.get("associations")
    if not isinstance(assoc, Mapping):
        return record
    cleaned: dict[str, Any] = {}
    for to_type, block in assoc.items():
        if not isinstance(block, Mapping):
            continue
        seen: dict[str, dict[str, Any]] = {}
        for item in block.get("results") or []:
            if not isinstance(item, Mapping) or item.get("id") in (None, ""):
                continue
            key = str(item["id"])
            if key not in seen:
                seen[key] = {**item, "id": key}
        cleaned[to_type] = {**block, "results": list(seen.values())}
    record["associations"] = cleaned
    return record


def _as_inputs(ids: Sequence[Any]) -> list[dict[str, str]]:
    return [{"id": value} for value in unique(ids)]


class CrmApi(ApiArea):
    """Records of one portal; every object type (standard plural name, `0-x` or custom `2-x` id) works.
    Record-shaped data comes back as plain dicts in HubSpot's shape (`id`, `properties`, `createdAt`, `updatedAt`,
    `archived`, ...). Needs `url_planner` besides the transport and paths (see the module docstring)."""

    url_planner: UrlPlanner

    # -- list ------------------------------------------------------------------------------------------------
    def list_records(
        self,
        object_type: str,
        properties: Sequence[str] | None = None,
        *,
        archived: bool = False,
        associations: Sequence[str] = (),
        properties_with_history: Sequence[str] = (),
        page_size: int = LIST_PAGE_MAX,
    ) -> Iterator[list[dict[str, Any]]]:
        """Every record of a type, one list per page, fetched lazily as the caller iterates
        (`GET /crm/v3/objects/{objectType}`, with batch reads for long property lists).

        `properties=None` gives HubSpot's default properties; any number of names may be given (see the module
        docstring for how long lists avoid 414). Empty values may be null or left out of `properties`.
        `archived=True` lists only archived records. `associations` adds inline associations (one entry per
        associated id; HubSpot caps inline lists, so use `HubSpotClient.associations` for complete links).
        With `properties_with_history` the page size is at most 50 (HubSpot's limit).
        """
        path, endpoint = self.paths.objects(object_type)
        limit = max(1, min(page_size, HISTORY_PAGE_MAX if properties_with_history else LIST_PAGE_MAX))
        props = unique(properties or [])
        history = unique(properties_with_history)
        assoc_params: Params = [("associations", ",".join(unique(associations)))] if associations else []
        base: Params = [("limit", str(limit)), ("archived", flag(archived))]
        # The cursor is part of every URL: plan with a generous placeholder for it.
        sizing = [*base, ("after", "9" * 24)]
        plan = self.url_planner.plan_property_requests(path, sizing, props, history, first_extra=assoc_params)
        strategy = "single" if len(plan) == 1 else ("split" if len(plan) <= 2 else "batch")
        if strategy != "single":
            log.debug(
                "list %s: %d properties need %d URLs; strategy %s",
                object_type,
                len(props),
                len(plan),
                strategy,
            )
        chunks = [[kv for kv in q if kv[0] not in ("limit", "archived", "after")] for q in plan]

        after: str | None = None
        while True:
            cursor: Params = [("after", after)] if after is not None else []
            if strategy == "batch":
                page, nxt = self._page_ids_then_batch(
                    object_type, path, endpoint, [*base, *cursor], assoc_params, props, history, archived
                )
            else:
                page, nxt = self._page_split(
                    object_type, path, endpoint, [*base, *cursor], chunks, props, history, archived
                )
            if page:
                yield page
            if nxt is None or nxt == after:
                return
            after = nxt

    def _get_page(self, path: str, endpoint: str, params: Params) -> tuple[list[dict[str, Any]], str | None]:
        response = self.transport.request("GET", path, endpoint=endpoint, params=params)
        records = [dedupe_inline_associations(r) for r in records_of(response, "GET", endpoint)]
        return records, next_after(response, "GET", endpoint)

    def _page_split(
        self,
        object_type: str,
        path: str,
        endpoint: str,
        page_params: Params,
        chunks: list[Params],
        props: list[str],
        history: list[str],
        archived: bool,
    ) -> tuple[list[dict[str, Any]], str | None]:
        primary, nxt = self._get_page(path, endpoint, [*page_params, *chunks[0]])
        ids = [r["id"] for r in primary]
        aligned = True
        for chunk in chunks[1:]:
            others, _ = self._get_page(path, endpoint, [*page_params, *chunk])
            if [r["id"] for r in others] != ids:
                aligned = False
                break
            for record, other in zip(primary, others, strict=True):
                _merge_properties(record, other)
        if not aligned:
            # Records changed between the calls: read this page's properties in one POST body instead.
            log.info("list %s: split pages disagree on ids; reading this page by batch read", object_type)
            primary = self._fill_by_batch_read(object_type, primary, props, history, archived)
        return primary, nxt

    def _page_ids_then_batch(
        self,
        object_type: str,
        path: str,
        endpoint: str,
        page_params: Params,
        assoc_params: Params,
        props: list[str],
        history: list[str],
        archived: bool,
    ) -> tuple[list[dict[str, Any]], str | None]:
        listed, nxt = self._get_page(
            path, endpoint, [*page_params, *assoc_params, ("properties", "hs_object_id")]
        )
        return self._fill_by_batch_read(object_type, listed, props, history, archived), nxt

    def _fill_by_batch_read(
        self,
        object_type: str,
        listed: list[dict[str, Any]],
        props: list[str],
        history: list[str],
        archived: bool,
    ) -> list[dict[str, Any]]:
        """Replace each listed record's properties with a batch read of all of them (in the POST body)."""
        if not listed:
            return listed
        batch = self.read_records(
            object_type, [r["id"] for r in listed], props, properties_with_history=history, archived=archived
        )
        by_id = {r["id"]: r for r in batch.results}
        out: list[dict[str, Any]] = []
        for record in listed:
            full = by_id.get(record["id"])
            if full is None:
                # Gone between the list and the batch read (archived or merged meanwhile): the next run sees
                # it.
                log.warning(
                    "list %s: record %s vanished between list and batch read; skipped",
                    object_type,
                    record["id"],
                )
                continue
            record["properties"] = dict(full.get("properties") or {})
            if "propertiesWithHistory" in full:
                record["propertiesWithHistory"] = full["propertiesWithHistory"]
            out.append(record)
        return out

    # -- read one --------------------------------------------------------------------------------------------
    def get_record(
        self,
        object_type: str,
        object_id: str | int,
        properties: Sequence[str] | None = None,
        *,
        properties_with_history: Sequence[str] = (),
        associations: Sequence[str] = (),
        archived: bool = False,
        id_property: str | None = None,
    ) -> dict[str, Any]:
        """One record (`GET /crm/v3/objects/{objectType}/{objectId}`). Raises `NotFoundError` when it does not
        exist. `id_property` reads by a unique property (e.g. `email`) instead of the record id. Any number of
        properties (long lists go in a POST body)."""
        path, endpoint = self.paths.object(object_type, str(object_id))
        props = unique(properties or [])
        history = unique(properties_with_history)
        params: Params = [("archived", flag(archived))]
        if id_property:
            params.append(("idProperty", id_property))
        if associations:
            params.append(("associations", ",".join(unique(associations))))
        plan = self.url_planner.plan_property_requests(path, params, props, history)
        if len(plan) == 1:
            response = self.transport.request("GET", path, endpoint=endpoint, params=plan[0])
            return dedupe_inline_associations(
                check_record(body_object(response, "GET", endpoint), response, "GET", endpoint)
            )

        batch = self.read_records(
            object_type,
            [object_id],
            props,
            properties_with_history=history,
            id_property=id_property,
            archived=archived,
        )
        if not batch.results:
            # Let HubSpot say it in its own words (a typed NotFoundError with its correlation id).
            bare = [kv for kv in params if kv[0] != "associations"] + [("properties", "hs_object_id")]
            self.transport.request("GET", path, endpoint=endpoint, params=bare)
            raise _vanished(object_type, object_id, endpoint)
        record = batch.results[0]
        if associations:
            response = self.transport.request(
                "GET", path, endpoint=endpoint, params=[*params, ("properties", "hs_object_id")]
            )
            linked = dedupe_inline_associations(
                check_record(body_object(response, "GET", endpoint), response, "GET", endpoint)
            )
            if "associations" in linked:
                record["associations"] = linked["associations"]
        return record

    # -- batch read ------------------------------------------------------------------------------------------
    def read_records(
        self,
        object_type: str,
        ids: Sequence[str | int],
        properties: Sequence[str] | None = None,
        *,
        properties_with_history: Sequence[str] = (),
        id_property: str | None = None,
        archived: bool = False,
    ) -> BatchResult:
        """Many records by id (or by `id_property` values), 100 per request (50 with history)
        (`POST /crm/v3/objects/{objectType}/batch/read`).

        Ids HubSpot cannot find are not raised: they are in `.missing`, with HubSpot's errors in `.errors`.
        Repeated ids are read once. Inline associations are not available here (HubSpot's rule).
        """
        path, endpoint = self.paths.batch(object_type, "read")
        wanted = unique(ids)
        size = HISTORY_PAGE_MAX if properties_with_history else BATCH_MAX
        params: Params = [("archived", flag(archived))] if archived else []
        result = BatchResult()
        for chunk in chunked(wanted, size):
            names = unique(properties or [])
            if id_property and names and id_property not in names:
                names.append(id_property)  # to tell which inputs were found
            body: dict[str, Any] = {
                "inputs": [{"id": value} for value in chunk],
                "properties": names,
                "propertiesWithHistory": unique(properties_with_history),
            }
            if id_property:
                body["idProperty"] = id_property
            response = self.transport.request(
                "POST", path, endpoint=endpoint, params=params or None, json=body, idempotent=True
            )
            part = _batch_result(response, "POST", endpoint)
            # Which inputs came back: by record id, or by the id property's value (HubSpot matches emails
            # case-insensitively, so compare casefolded).
            found = set()
            for record in part.results:
                found.add(record["id"])
                if id_property:
                    value = (record.get("properties") or {}).get(id_property)
                    if value not in (None, ""):
                        found.add(str(value).casefold())
            key = (lambda i: i.casefold()) if id_property else (lambda i: i)
            # Without the id property values in the answer (default properties only), trust the errors.
            values_known = not id_property or any(
                id_property in (r.get("properties") or {}) for r in part.results
            )
            from_errors = [i for e in part.errors for i in e.ids if i in chunk]
            unreturned = [i for i in chunk if key(i) not in found] if values_known else []
            part.missing = [i for i in unique([*from_errors, *unreturned]) if key(i) not in found]
            result.extend(part)
        return result

    def read_record_page(
        self, object_type: str, ids: Sequence[str | int], properties: Sequence[str], *, archived: bool = False
    ) -> RecordPage:
        """At most 100 records by id as one Arrow `RecordPage`, every value parsed outside the interpreter's lock
        (see record_pages.py): the bulk form of `read_records`. Ids HubSpot cannot find are left out."""
        wanted = unique(ids)
        if len(wanted) > BATCH_MAX:
            raise ValueError(f"read_record_page reads at most {BATCH_MAX} ids, got {len(wanted)}")
        names = unique(properties)
        path, endpoint = self.paths.batch(object_type, "read")
        params: Params = [("archived", flag(archived))] if archived else []
        body = {"inputs": [{"id": value} for value in wanted], "properties": names, "propertiesWithHistory": []}
        response = self.transport.request(
            "POST", path, endpoint=endpoint, params=params or None, json=body, idempotent=True,
            decode=decoder(names),
        )
        if isinstance(response.data, ArrowAnswer):
            return response.data.page
        return RecordPage.from_dicts(_batch_result(response, "POST", endpoint).results, names)

    # -- writes ----------------------------------------------------------------------------------------------
    def create_record(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        *,
        associations: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Create one record (`POST /crm/v3/objects/{objectType}`, 201); returns it. `associations` uses HubSpot's
        create shape: `[{"to": {"id": "1"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
        "associationTypeId": 279}]}]`. Not sent again after an unclear failure (it would create a second record)."""
        path, endpoint = self.paths.objects(object_type)
        body: dict[str, Any] = {"properties": dict(properties)}
        if associations:
            body["associations"] = list(associations)
        # Not idempotent: sent again after an unclear failure it would create a second record.
        response = self.transport.request("POST", path, endpoint=endpoint, json=body, idempotent=False)
        return check_record(body_object(response, "POST", endpoint), response, "POST", endpoint)

    def update_record(
        self,
        object_type: str,
        object_id: str | int,
        properties: Mapping[str, Any],
        *,
        id_property: str | None = None,
    ) -> dict[str, Any]:
        """Update one record's properties (`PATCH .../{objectId}`); an empty string clears a value. Raises
        `NotFoundError` if absent."""
        path, endpoint = self.paths.object(object_type, str(object_id))
        params: Params = [("idProperty", id_property)] if id_property else []
        response = self.transport.request(
            "PATCH", path, endpoint=endpoint, params=params or None, json={"properties": dict(properties)}
        )
        return check_record(body_object(response, "PATCH", endpoint), response, "PATCH", endpoint)

    def archive_record(self, object_type: str, object_id: str | int) -> None:
        """Archive (soft-delete) one record (`DELETE .../{objectId}`); HubSpot keeps it restorable for 90 days."""
        path, endpoint = self.paths.object(object_type, str(object_id))
        self.transport.request("DELETE", path, endpoint=endpoint)

    # Short names, as HubSpot's own clients call them.
    create = create_record
    update = update_record
    archive = archive_record

    def batch_create(self, object_type: str, inputs: Sequence[Mapping[str, Any]]) -> BatchResult:
        """Create many records, 100 per request (`POST .../batch/create`). Each input is `{"properties": {...},
        "associations"?: [...]}` or just a property dict. Per-record failures (207) are in `.errors`; created
        records in `.results`."""
        return self._batch_write(object_type, "create", [_create_input(i) for i in inputs])

    def batch_update(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]], *, id_property: str | None = None
    ) -> BatchResult:
        """Update many records, 100 per request (`POST .../batch/update`). Each input is `{"id": "1",
        "properties": {...}}`; per-record failures (207) are in `.errors`."""
        return self._batch_write(
            object_type, "update", [_id_input(i, id_property, "batch_update") for i in inputs]
        )

    def batch_upsert(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]], *, id_property: str
    ) -> BatchResult:
        """Create or update by a unique property (`id_property`, e.g. `email`), 100 per request
        (`POST .../batch/upsert`). Each input is
        `{"id": "<value of id_property>", "properties": {...}}`; each result carries `"new": true|false`.
        HubSpot may answer 423 Locked on heavy upserts; the transport waits and retries."""
        return self._batch_write(
            object_type, "upsert", [_id_input(i, id_property, "batch_upsert") for i in inputs]
        )

    def batch_archive(self, object_type: str, ids: Sequence[str | int]) -> BatchResult:
        """Archive many records, 100 per request (`POST .../batch/archive`). Failures (207) are in `.errors`."""
        return self._batch_write(object_type, "archive", _as_inputs(ids))

    def _batch_write(self, object_type: str, action: str, inputs: list[dict[str, Any]]) -> BatchResult:
        path, endpoint = self.paths.batch(object_type, action)
        result = BatchResult()
        # Update, upsert (by a unique property) and archive give the same result when sent twice; create does not.
        idempotent = action != "create"
        for chunk in chunked(inputs, BATCH_MAX):
            response = self.transport.request(
                "POST", path, endpoint=endpoint, json={"inputs": chunk}, idempotent=idempotent
            )
            if response.status == 204 or response.data is None:
                continue
            result.extend(_batch_result(response, "POST", endpoint))
        return result

    def merge(self, object_type: str, primary_id: str | int, id_to_merge: str | int) -> dict[str, Any]:
        """Merge `id_to_merge` into `primary_id` (`POST /crm/v3/objects/{objectType}/merge`); returns the surviving
        record (its id may be new). Not retried after an unclear failure (it may have been done)."""
        path, endpoint = self.paths.merge(object_type)
        body = {"primaryObjectId": str(primary_id), "objectIdToMerge": str(id_to_merge)}
        response = self.transport.request("POST", path, endpoint=endpoint, json=body, idempotent=False)
        return check_record(body_object(response, "POST", endpoint), response, "POST", endpoint)

    def gdpr_delete(self, object_id: str | int, *, id_property: str | None = None) -> None:
        """Permanently delete a contact and its history under GDPR (`POST /crm/v3/objects/contacts/gdpr-delete`;
        contacts only; not restorable)."""
        path, endpoint = self.paths.gdpr_delete()
        body: dict[str, Any] = {"objectId": str(object_id)}
        if id_property:
            body["idProperty"] = id_property
        self.transport.request("POST", path, endpoint=endpoint, json=body, idempotent=False)


def _merge_properties(record: dict[str, Any], other: Mapping[str, Any]) -> None:
    props = record.setdefault("properties", {})
    if props is None:
        props = record["properties"] = {}
    props.update(other.get("properties") or {})
    if other.get("propertiesWithHistory"):
        record.setdefault("propertiesWithHistory", {}).update(other["propertiesWithHistory"])


def _batch_result(response: Any, method: str, endpoint: str) -> BatchResult:
    data = body_object(response, method, endpoint)
    results = [dedupe_inline_associations(r) for r in records_of(response, method, endpoint)]
    errors_raw = data.get("errors") or []
    if not isinstance(errors_raw, list):
        errors_raw = [errors_raw]
    errors = [
        parse_model(BatchError, e, response, method, endpoint) for e in errors_raw if isinstance(e, Mapping)
    ]
    return BatchResult(results=results, errors=errors)


def _create_input(item: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(item.get("properties"), Mapping):
        return dict(item)
    return {"properties": dict(item)}


def _id_input(item: Mapping[str, Any], id_property: str | None, what: str) -> dict[str, Any]:
    if item.get("id") in (None, ""):
        raise ValueError(f"{what}: every input needs an 'id' (got keys {sorted(item)})")
    out = {**item, "id": str(item["id"])}
    if not isinstance(out.get("properties"), Mapping):
        raise ValueError(f"{what}: input {out['id']} needs a 'properties' object")
    if id_property and "idProperty" not in out:
        out["idProperty"] = id_property
    return out


def _vanished(object_type: str, object_id: Any, endpoint: str) -> Exception:
    return NotFoundError(
        f"{object_type} {object_id} was not found",
        status=404,
        category="OBJECT_NOT_FOUND",
        method="GET",
        endpoint=endpoint,
    )
