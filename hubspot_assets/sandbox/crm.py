"""CRM routes of the sandbox: objects (list, read, batch, search, writes, merge, GDPR delete), properties,
schemas, owners, pipelines and associations v4, in both the legacy (`/crm/v3/...`) and the dated
(`/crm/objects/2026-03/...`) path families, from one implementation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubspot_assets.sandbox.errors import HubSpotError, json_response, not_found, validation_error
from hubspot_assets.sandbox.generator import POOL_SIZE, iso, mix
from hubspot_assets.sandbox.mutations import Mutator
from hubspot_assets.sandbox.portal import (
    ASSOCIATIONS,
    PIPELINES,
    SPECS,
    PropertyDef,
    association_labels,
    resolve_type_name,
)
from hubspot_assets.sandbox.search import compile_filter, parse_search_request, to_number
from hubspot_assets.sandbox.store import LIVE, Store

MAX_PAGE = 100
MAX_PAGE_WITH_HISTORY = 50


# --- query parsing -----------------------------------------------------------------------------------------------

def query_list(request: Request, name: str) -> list[str]:
    """A list parameter given comma-separated, repeated, or both (`properties=a,b&properties=c`)."""
    out: list[str] = []
    for raw in request.query_params.getlist(name):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return out


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error(f"Invalid value for query parameter '{name}': '{raw}' is not an integer") from None
    if value < low or value > high:
        raise validation_error(f"Invalid value for query parameter '{name}': {value} must be between {low} and "
                               f"{high}")
    return value


def query_bool(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false").strip().lower()
    if raw in ("true", "1"):
        return True
    if raw in ("false", "0", ""):
        return False
    raise validation_error(f"Invalid value for query parameter '{name}': '{raw}' must be true or false")


def parse_after(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise validation_error(f"Invalid value for query parameter 'after': '{raw}' is not a valid paging cursor") \
            from None
    if value < 0:
        raise validation_error(f"Invalid value for query parameter 'after': '{raw}' is not a valid paging cursor")
    return value


def parse_record_id(raw: str, label: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise HubSpotError(404, f"resource not found: {label} {raw} does not exist", "OBJECT_NOT_FOUND",
                           context={"id": [raw]}) from None
    return value


def next_link(request: Request, after: str) -> str:
    return str(request.url.include_query_params(after=after))


# --- objects: list and read --------------------------------------------------------------------------------------

class ObjectsApi:
    """Object list/read/write handlers over one store."""

    def __init__(self, store: Store, dispatcher: Any = None, mutator: Mutator | None = None) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.mutator = mutator or Mutator(store, dispatcher)

    def _type(self, request: Request) -> str:
        return self.store.resolve_type(request.path_params["objectType"])

    def _with_associations(self, object_type: str, records: list[dict], to_types: list[str]) -> None:
        if not to_types:
            return
        targets = list(dict.fromkeys(self.store.resolve_type(raw) for raw in to_types))
        for record in records:
            assoc: dict[str, Any] = {}
            rid = int(record["id"])
            for to_type in targets:
                results = self.store.inline_associations(object_type, rid, to_type)
                if results:
                    assoc[to_type] = {"results": results}
            if assoc:
                record["associations"] = assoc

    def list_objects(self, request: Request) -> Response:
        object_type = self._type(request)
        history = query_list(request, "propertiesWithHistory")
        limit = query_int(request, "limit", 10, 1, MAX_PAGE_WITH_HISTORY if history else MAX_PAGE)
        after = parse_after(request.query_params.get("after"))
        archived = query_bool(request, "archived")
        properties = query_list(request, "properties")
        names = properties if properties else self.store.default_properties(object_type)
        ids, next_id = self.store.page_ids(object_type, after, limit, archived=archived)
        records = self.store.records(object_type, ids, names, history)
        self._with_associations(object_type, records, query_list(request, "associations"))
        body: dict[str, Any] = {"results": records}
        if next_id is not None:
            body["paging"] = {"next": {"after": str(next_id), "link": next_link(request, str(next_id))}}
        return json_response(body)

    def read_object(self, request: Request) -> Response:
        object_type = self._type(request)
        spec = self.store.spec(object_type)
        raw_id = request.path_params["objectId"]
        id_property = request.query_params.get("idProperty")
        archived = query_bool(request, "archived")
        if id_property:
            unique = self.store.unique_properties(object_type)
            if id_property not in unique:
                raise validation_error(f"idProperty must be a unique-value property of {object_type} "
                                       f"({', '.join(sorted(unique))}), got {id_property!r}")
            rid = self.store.find_by_property(object_type, id_property, raw_id)
            if rid is None:
                raise not_found(spec.label, raw_id)
        else:
            rid = parse_record_id(raw_id, spec.label)
        if not self.store.exists(object_type, rid, archived=archived):
            raise not_found(spec.label, raw_id)
        properties = query_list(request, "properties")
        names = properties if properties else self.store.default_properties(object_type)
        record = self.store.records(object_type, [rid], names, query_list(request, "propertiesWithHistory"))[0]
        self._with_associations(object_type, [record], query_list(request, "associations"))
        return json_response(record)


    # -- batch read ------------------------------------------------------------------------------------------------

    def batch_read(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        spec = self.store.spec(object_type)
        body = require_object(body)
        inputs = require_inputs(body, MAX_BATCH)
        id_property = body.get("idProperty")
        if id_property is not None and not isinstance(id_property, str):
            raise validation_error("idProperty must be a property name")
        properties = names_field(body, "properties")
        history = names_field(body, "propertiesWithHistory")
        archived = query_bool(request, "archived")
        started = now_iso(self.store)
        found: list[int] = []
        missing: list[str] = []
        for i, item in enumerate(inputs):
            raw = input_id(item, i)
            rid = self._lookup(object_type, raw, id_property)
            if rid is None or not self.store.exists(object_type, rid, archived=archived):
                missing.append(raw)
            elif rid not in found:
                found.append(rid)
        names = properties if properties else self.store.default_properties(object_type)
        results = self.store.records(object_type, found, names, history or ())
        body_out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                                    "completedAt": now_iso(self.store)}
        if missing:
            body_out["numErrors"] = 1
            body_out["errors"] = [{
                "status": "error", "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {spec.singular.upper()} objects, they may be deleted or not exist. "
                           "Check that ids are valid.",
                "context": {"ids": missing},
            }]
            return json_response(body_out, 207)
        return json_response(body_out)

    def _lookup(self, object_type: str, raw: str, id_property: str | None) -> int | None:
        if id_property and id_property != "hs_object_id":
            return self.store.find_by_property(object_type, id_property, raw)
        try:
            return int(raw)
        except ValueError:
            return None

    # -- search ----------------------------------------------------------------------------------------------------

    def search(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        known = set(self.store.property_names(object_type))
        req = parse_search_request(body, object_type=object_type, known_properties=known)
        spec = self.store.spec(object_type)
        st = self.store.types[object_type]
        n = st.cols.n
        ids, state, updated = st.cols.ids[:n], st.cols.state[:n], st.cols.updated[:n]
        created = st.cols.created[:n]
        visible = state == LIVE
        view = None
        lag = self.store.config.search_lag_ms
        if lag > 0:
            # The index lags: records created within the lag are not in it yet, and records changed within it
            # are still indexed as they were (old values, old dates, still live if archived or deleted since).
            cutoff = self.store.now_ms() - lag
            visible &= created <= cutoff
            view = self.store.indexed_view(object_type, cutoff)
            if view:
                changed = np.fromiter(view, dtype=np.int64, count=len(view))
                pos = np.searchsorted(ids, changed)
                updated = updated.copy()
                updated[pos] = [old.updated for old in view.values()]
                visible[pos] = np.array([old.state == LIVE for old in view.values()]) & (created[pos] <= cutoff)
        # Search answers always carry the id and both dates, on top of what was asked for.
        names = [*(req.properties or self.store.default_properties(object_type)), spec.createdate,
                 spec.lastmodified, "hs_object_id"]
        fast = fast_search(req, spec, ids, created, updated, visible)
        if fast is None:
            fast = vector_search(req, self.store, object_type, visible, updated, view)
        if fast is not None:
            total, page_ids = fast
            results = self.store.records(object_type, page_ids, names, req.properties_with_history or (), view)
        else:
            needed = sorted(req.needed_properties() & known)
            candidates = ids[visible]
            matched: list[dict] = []
            for start in range(0, len(candidates), 5000):
                chunk = candidates[start:start + 5000]
                matched += [r for r in self.store.records(object_type, chunk, needed, view=view) if req.matches(r)]
            total = len(matched)
            if req.sorts:
                matched = req.sort(matched)
            page_ids = [int(r["id"]) for r in matched[req.offset:req.offset + req.limit]]
            results = self.store.records(object_type, page_ids, names, req.properties_with_history or (), view)
        for record in results:
            record.pop("archivedAt", None)
        out: dict[str, Any] = {"total": total, "results": results}
        end = req.offset + req.limit
        if end < total and req.limit > 0:  # `limit: 0` only counts: a cursor that never moves would loop forever
            out["paging"] = {"next": {"after": str(end)}}
        return json_response(out)

    # -- writes ----------------------------------------------------------------------------------------------------

    def _associations_input(self, object_type: str, raw: Any, where: str) -> list[tuple[str, int, list]]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise validation_error(f"{where}associations must be a list of {{\"to\": {{\"id\"}}, \"types\": [...]}}")
        out = []
        for k, item in enumerate(raw):
            if not isinstance(item, dict) or not isinstance(item.get("to"), dict):
                raise validation_error(f"{where}associations[{k}] must have a 'to' object with an 'id'")
            to_id = int_field(item["to"].get("id"), f"{where}associations[{k}].to.id")
            types = parse_types(item.get("types"), f"{where}associations[{k}].types")
            if not types:
                raise validation_error(f"{where}associations[{k}].types must name at least one association type")
            to_type = self.store.type_for_association(object_type, types[0][1])
            if to_type is None:
                raise validation_error(f"{where}associations[{k}]: association type {types[0][1]} is not defined "
                                       f"for {object_type}")
            out.append((to_type, to_id, types))
        return out

    def _write_names(self, object_type: str, props: dict) -> list[str]:
        return list(dict.fromkeys([*self.store.default_properties(object_type), *props]))

    def create(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        body = require_object(body)
        props = body.get("properties", {})
        assoc = self._associations_input(object_type, body.get("associations"), "")
        rid = self.mutator.create(object_type, props, assoc)
        record = self.store.records(object_type, [rid], self._write_names(object_type, props))[0]
        return json_response(record, 201)

    def update(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        spec = self.store.spec(object_type)
        body = require_object(body)
        raw = request.path_params["objectId"]
        rid = self._lookup(object_type, raw, request.query_params.get("idProperty"))
        if rid is None or not self.store.exists(object_type, rid):
            raise not_found(spec.label, raw)
        props = body.get("properties", {})
        self.mutator.update(object_type, rid, props)
        record = self.store.records(object_type, [rid], self._write_names(object_type, props))[0]
        return json_response(record)

    def archive(self, request: Request) -> Response:
        object_type = self._type(request)
        raw = request.path_params["objectId"]
        try:
            rid = int(raw)
        except ValueError:
            return Response(status_code=204)
        self.mutator.archive(object_type, rid)
        return Response(status_code=204)

    # Batch writes validate every input first and then write under the store lock, so an answer never hides
    # records it wrote: inputs that cannot be written are named in `errors` (207) next to the written ones.

    def _checked(self, object_type: str, item: Any, i: int) -> dict[str, str | None]:
        if not isinstance(item, dict):
            raise validation_error(f"inputs[{i}] must be an object with 'properties'")
        try:
            return self.store.check_properties(object_type, item.get("properties", {}))
        except HubSpotError as exc:
            raise HubSpotError(400, f"inputs[{i}]: {exc.message}", exc.category, extra=exc.extra) from None

    def _email_conflict(self, object_type: str, i: int, rid: int | None, props: dict,
                        claimed: dict[str, int]) -> dict | None:
        """A CONFLICT error entry when input i would give a contact an email another contact (in the portal or
        earlier in this batch) has; records the email as claimed otherwise. `rid` is the record updated."""
        email = props.get("email") if object_type == "contacts" else None
        if not email:
            return None
        key = email.lower()
        if key in claimed:
            return batch_error("CONFLICT", f"inputs[{i}]: email {email} is also given to inputs[{claimed[key]}] of "
                                           "this batch", i, email=[email])
        existing = self.store.find_by_property("contacts", "email", email)
        if existing is not None and existing != rid:
            return batch_error("CONFLICT", f"Contact already exists. Existing ID: {existing}", i,
                               id=[str(existing)], email=[email])
        claimed[key] = i
        return None

    def _missing_targets(self, assoc: list[tuple[str, int, list]], i: int) -> None:
        for to_type, to_id, _ in assoc:
            if not self.store.exists(to_type, to_id):
                raise validation_error(f"inputs[{i}]: cannot associate with {to_type} {to_id}: it does not exist",
                                       context={"id": [str(to_id)]})

    def _batch_answer(self, results: list[dict], errors: list[dict], started: str, ok_status: int) -> Response:
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                               "completedAt": now_iso(self.store)}
        if errors:
            out["numErrors"] = len(errors)
            out["errors"] = errors
            return json_response(out, 207)
        return json_response(out, ok_status)

    def batch_create(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        inputs = require_inputs(require_object(body), MAX_BATCH)
        started = now_iso(self.store)
        with self.store.lock:
            plan, errors, claimed = [], [], {}
            for i, item in enumerate(inputs):
                props = self._checked(object_type, item, i)
                assoc = self._associations_input(object_type, item.get("associations"), f"inputs[{i}].")
                self._missing_targets(assoc, i)
                conflict = self._email_conflict(object_type, i, None, props, claimed)
                if conflict is not None:
                    errors.append(conflict)
                else:
                    plan.append((item.get("properties", {}), assoc))
            if errors and not plan:
                first = errors[0]
                raise HubSpotError(409, first["message"], "CONFLICT", context=first["context"],
                                   extra={"numErrors": len(errors), "errors": errors})
            results = []
            for props, assoc in plan:
                rid = self.mutator.create(object_type, props, assoc)
                results.append(self.store.records(object_type, [rid], self._write_names(object_type, props))[0])
        return self._batch_answer(results, errors, started, 201)

    def batch_update(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        spec = self.store.spec(object_type)
        inputs = require_inputs(require_object(body), MAX_BATCH)
        started = now_iso(self.store)
        raws = [input_id(item, i) for i, item in enumerate(inputs)]
        checked = [self._checked(object_type, item, i) for i, item in enumerate(inputs)]
        reject_duplicates(raws)
        with self.store.lock:
            work, errors, claimed = [], [], {}
            for i, (item, raw, props) in enumerate(zip(inputs, raws, checked)):
                rid = self._lookup(object_type, raw, item.get("idProperty"))
                if rid is None or not self.store.exists(object_type, rid):
                    errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                                   "message": f"Could not update {spec.singular} {raw}: it does not exist or is "
                                              "archived", "context": {"ids": [raw]}})
                    continue
                conflict = self._email_conflict(object_type, i, rid, props, claimed)
                if conflict is not None:
                    errors.append(conflict)
                else:
                    work.append((rid, item.get("properties", {})))
            results = []
            for rid, props in work:
                self.mutator.update(object_type, rid, props)
                results.append(self.store.records(object_type, [rid], self._write_names(object_type, props))[0])
        return self._batch_answer(results, errors, started, 200)

    def batch_upsert(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        inputs = require_inputs(require_object(body), MAX_BATCH)
        started = now_iso(self.store)
        unique = self.store.unique_properties(object_type)
        raws, id_properties = [], []
        for i, item in enumerate(inputs):
            raws.append(input_id(item, i))
            id_property = item.get("idProperty")
            if not isinstance(id_property, str) or id_property not in unique:
                raise validation_error(f"inputs[{i}].idProperty must name a unique-value property of {object_type} "
                                       f"({', '.join(sorted(unique))}), got {id_property!r}")
            id_properties.append(id_property)
        checked = [self._checked(object_type, item, i) for i, item in enumerate(inputs)]
        reject_duplicates([f"{p}={raw}" for p, raw in zip(id_properties, raws)])
        with self.store.lock:
            plan, errors, claimed = [], [], {}
            for i, (item, raw, id_property, props) in enumerate(zip(inputs, raws, id_properties, checked)):
                rid = self._lookup(object_type, raw, id_property)
                is_new = rid is None or not self.store.exists(object_type, rid)
                if is_new and id_property == "hs_object_id":
                    errors.append(batch_error("OBJECT_NOT_FOUND", f"Cannot upsert {object_type} {raw} by "
                                                                  "hs_object_id: it does not exist", i, ids=[raw]))
                    continue
                written = {**item.get("properties", {}), id_property: raw} if is_new else item.get("properties", {})
                effective = {**props, id_property: raw} if is_new else props
                conflict = self._email_conflict(object_type, i, None if is_new else rid, effective, claimed)
                if conflict is not None:
                    errors.append(conflict)
                    continue
                plan.append((rid, is_new, written, item.get("properties", {})))
            results = []
            for rid, is_new, written, props in plan:
                if is_new:
                    rid = self.mutator.create(object_type, written)
                else:
                    self.mutator.update(object_type, rid, written)
                record = self.store.records(object_type, [rid], self._write_names(object_type, props))[0]
                record["new"] = is_new
                results.append(record)
        return self._batch_answer(results, errors, started, 200)

    def batch_archive(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        inputs = require_inputs(require_object(body), MAX_BATCH)
        raws = [input_id(item, i) for i, item in enumerate(inputs)]
        with self.store.lock:
            for raw in raws:
                try:
                    self.mutator.archive(object_type, int(raw))
                except ValueError:
                    continue  # not an id: nothing to archive (HubSpot answers 204 for unknown ids too)
        return Response(status_code=204)

    def merge(self, request: Request, body: Any) -> Response:
        object_type = self._type(request)
        spec = self.store.spec(object_type)
        body = require_object(body)
        primary = int_field(body.get("primaryObjectId"), "primaryObjectId")
        merged = int_field(body.get("objectIdToMerge"), "objectIdToMerge")
        for rid in (primary, merged):
            if not self.store.exists(object_type, rid):
                raise not_found(spec.label, str(rid))
        self.mutator.merge(object_type, primary, merged)
        record = self.store.records(object_type, [primary],
                                    [*self.store.default_properties(object_type), "hs_merged_object_ids"])[0]
        return json_response(record)

    def gdpr_delete(self, request: Request, body: Any) -> Response:
        body = require_object(body)
        raw = body.get("objectId")
        if raw is None or isinstance(raw, (dict, list, bool)):
            raise validation_error("objectId is required: the contact id, or its email with idProperty=email")
        rid = self._lookup("contacts", str(raw), body.get("idProperty"))
        if rid is None or not self.store.exists("contacts", rid, archived=None):
            raise not_found("Contact", str(raw))
        self.mutator.gdpr_delete("contacts", rid)
        return Response(status_code=204)


# --- helpers -----------------------------------------------------------------------------------------------------

MAX_BATCH = 100
MAX_ASSOC_BATCH = 1000
ASSOC_PAGE = 500


def now_iso(store: Store) -> str:
    """Wall-clock time for batch `startedAt`/`completedAt` (the store's clock is for record changes)."""
    return iso(int(time.time() * 1000))


def require_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: the request body must be a JSON object")
    return body


def require_inputs(body: dict, maximum: int) -> list:
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation_error("Invalid input JSON: 'inputs' must be a list")
    if len(inputs) > maximum:
        raise validation_error(f"Too many inputs: {len(inputs)} given, at most {maximum} are allowed per batch",
                               context={"inputs": [str(len(inputs))]})
    return inputs


def input_id(item: Any, i: int) -> str:
    if not isinstance(item, dict) or isinstance(item.get("id"), (dict, list, bool)) or item.get("id") in (None, ""):
        raise validation_error(f"inputs[{i}] must be an object with an 'id' (string)")
    return str(item["id"])


def reject_duplicates(keys: list[str]) -> None:
    """HubSpot refuses a batch that names one record twice (nothing is written)."""
    seen: set[str] = set()
    dupes = [k for k in keys if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
    if dupes:
        raise validation_error(f"Duplicate IDs found in batch input: {sorted(set(dupes))}",
                               context={"ids": sorted(set(dupes))})


def batch_error(category: str, message: str, i: int, **context: list[str]) -> dict:
    """One `errors[]` entry of a 207 batch answer; `context.inputs` names the failing input's index."""
    return {"status": "error", "category": category, "message": message,
            "context": {"inputs": [str(i)], **context}}


def int_field(value: Any, name: str) -> int:
    if isinstance(value, bool) or value is None:
        raise validation_error(f"'{name}' is required and must be a record id")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"'{name}' must be a record id, got {value!r}") from None


def names_field(body: dict, name: str) -> list[str]:
    raw = body.get(name)
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise validation_error(f"'{name}' must be a list of property names")
    return [x.strip() for x in raw if x.strip()]


def parse_types(raw: Any, where: str) -> list[tuple[str, int]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation_error(f"{where} must be a list of {{\"associationCategory\", \"associationTypeId\"}}")
    out = []
    for k, item in enumerate(raw):
        if not isinstance(item, dict):
            raise validation_error(f"{where}[{k}] must be an object")
        category = item.get("associationCategory", "HUBSPOT_DEFINED")
        if category not in ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"):
            raise validation_error(f"{where}[{k}].associationCategory must be HUBSPOT_DEFINED, USER_DEFINED or "
                                   f"INTEGRATOR_DEFINED, got {category!r}")
        out.append((category, int_field(item.get("associationTypeId"), f"{where}[{k}].associationTypeId")))
    return out


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise validation_error(f"Invalid input JSON: {exc}") from None


def with_body(handler: Callable[[Request, Any], Response]) -> Callable[[Request], Awaitable[Response]]:
    """An async endpoint that reads the JSON body, then runs the (blocking) handler in the threadpool."""
    async def endpoint(request: Request) -> Response:
        body = await read_json(request)
        try:
            return await run_in_threadpool(handler, request, body)
        except KeyError as exc:  # a record vanished between the check and the write (concurrent request)
            raise HubSpotError(404, f"resource not found: {exc.args[0] if exc.args else ''} does not exist",
                               "OBJECT_NOT_FOUND", context={"id": [str(exc.args[0]) if exc.args else ""]}) \
                from None
    return endpoint


_FAST_OPS = {"EQ", "GT", "GTE", "LT", "LTE", "BETWEEN"}


def fast_search(req: Any, spec: Any, ids: np.ndarray, created: np.ndarray, updated: np.ndarray,
                visible: np.ndarray) -> tuple[int, list[int]] | None:
    """Vectorized search for the incremental-sync shape: one filter group of range filters on hs_object_id,
    the create date or the last-modified date, sorted by one of those (or unsorted). None when not applicable."""
    columns = {"hs_object_id": ids, spec.createdate: created, spec.lastmodified: updated}
    if req.query or len(req.filter_groups) > 1:
        return None
    if req.sorts and req.sorts[0].property_name not in columns:
        return None
    mask = visible.copy()
    for f in (req.filter_groups[0] if req.filter_groups else ()):
        if f.property_name not in columns or f.operator not in _FAST_OPS:
            return None
        low = to_number(f.value)
        high = to_number(f.high_value) if f.operator == "BETWEEN" else None
        if low is None or (f.operator == "BETWEEN" and high is None):
            return None
        col = columns[f.property_name]
        if f.operator == "EQ":
            mask &= col == low
        elif f.operator == "GT":
            mask &= col > low
        elif f.operator == "GTE":
            mask &= col >= low
        elif f.operator == "LT":
            mask &= col < low
        elif f.operator == "LTE":
            mask &= col <= low
        else:
            mask &= (col >= low) & (col <= high)
    hits = np.flatnonzero(mask)  # ascending positions, i.e. ascending ids
    total = len(hits)
    end = req.offset + req.limit
    if req.sorts and req.sorts[0].property_name == "hs_object_id":
        if req.sorts[0].descending:
            hits = hits[::-1]
    elif req.sorts and end < total:
        # Only the first `end` in order matter: pack (value, position) into one int64 key so ties stay in id
        # order, partition, then sort just those.
        values = columns[req.sorts[0].property_name][hits]
        signed = -values if req.sorts[0].descending else values
        if len(ids) < (1 << 21) and np.abs(values).max(initial=0) < (1 << 41):
            key = signed * (1 << 21) + hits
            top = np.argpartition(key, end - 1)[:end] if end > 0 else np.array([], dtype=np.intp)
            hits = hits[top[np.argsort(key[top])]]
        else:
            hits = hits[np.argsort(signed, kind="stable")]
    elif req.sorts:
        values = columns[req.sorts[0].property_name][hits]
        hits = hits[np.argsort(-values if req.sorts[0].descending else values, kind="stable")]
    page = hits[req.offset:end]
    return total, ids[page].tolist()


# --- properties, schemas, owners, pipelines ----------------------------------------------------------------------

# Property types HubSpot accepts on create, with the field types (form controls) each may use.
FIELD_TYPES: dict[str, tuple[str, ...]] = {
    "bool": ("booleancheckbox", "select", "radio"),
    "enumeration": ("booleancheckbox", "checkbox", "radio", "select", "calculation_equation"),
    "date": ("date",),
    "datetime": ("date",),
    "string": ("text", "textarea", "html", "file", "phonenumber"),
    "number": ("number", "calculation_equation"),
    "phone_number": ("phonenumber",),
}
PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")

class MetadataApi:
    """Properties, schemas, owners and pipelines (static per sandbox, computed once)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._properties: dict[str, list[dict]] = {}

    def properties_of(self, object_type: str) -> list[dict]:
        cached = self._properties.get(object_type)
        if cached is None:
            cached = [p.describe(i) for i, p in enumerate(self.store.property_defs(object_type))]
            for prop in cached:
                options = self._dynamic_options(object_type, prop["name"])
                if options is not None:
                    prop["options"] = [{"label": label, "value": value, "displayOrder": i, "hidden": False}
                                       for i, (label, value) in enumerate(options)]
            self._properties[object_type] = cached
        return cached

    def _dynamic_options(self, object_type: str, name: str) -> list[tuple[str, str]] | None:
        """Options that come from the portal's data: owners, pipelines and stages."""
        if name == "hubspot_owner_id":
            return [(f"{o['firstName']} {o['lastName']}".strip(), o["id"]) for o in self.store.owners
                    if not o["archived"]]
        pipelines = PIPELINES.get(object_type, ())
        if name in ("pipeline", "hs_pipeline") and pipelines:
            return [(p.label, p.id) for p in pipelines]
        if name in ("dealstage", "hs_pipeline_stage") and pipelines:
            return [(f"{s.label} ({p.label})", s.id) for p in pipelines for s in p.stages]
        return None

    def list_properties(self, request: Request) -> Response:
        object_type = self.store.resolve_type(request.path_params["objectType"])
        if query_bool(request, "archived"):
            return json_response({"results": []})
        wanted = query_list(request, "properties")
        results = self.properties_of(object_type)
        if wanted:
            results = [p for p in results if p["name"] in set(wanted)]
        return json_response({"results": results})

    def read_property(self, request: Request) -> Response:
        object_type = self.store.resolve_type(request.path_params["objectType"])
        name = request.path_params["propertyName"]
        for prop in self.properties_of(object_type):
            if prop["name"] == name:
                return json_response(prop)
        raise HubSpotError(404, f"Property {name} does not exist", "OBJECT_NOT_FOUND",
                           context={"propertyName": [name]})

    def create_property(self, request: Request, body: Any) -> Response:
        """`POST /crm/v3/properties/{objectType}`: 201 with the property; 409 if the name exists; 400 for a
        missing field, an unknown type or fieldType, or a fieldType that does not go with the type."""
        object_type = self.store.resolve_type(request.path_params["objectType"])
        if not isinstance(body, dict):
            raise validation_error("Invalid input JSON: the body must be a property object")
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName")
                   if not isinstance(body.get(k), str) or not body[k].strip()]
        if missing:
            raise validation_error(f"Property is missing required fields: {', '.join(missing)}",
                                   context={"missingFields": missing})
        name, kind, field_type = body["name"], body["type"], body["fieldType"]
        if not PROPERTY_NAME.fullmatch(name):
            raise validation_error(f"Property name '{name}' is invalid: use lowercase letters, digits and "
                                   "underscores, starting with a letter", context={"name": [name]})
        if kind not in FIELD_TYPES:
            raise validation_error(f"Invalid property type '{kind}'; valid types: {', '.join(FIELD_TYPES)}",
                                   context={"type": [kind]})
        if field_type not in FIELD_TYPES[kind]:
            raise validation_error(f"fieldType '{field_type}' is not valid for type '{kind}'; use one of "
                                   f"{', '.join(FIELD_TYPES[kind])}", context={"fieldType": [field_type]})
        options = body.get("options") or []
        if not isinstance(options, list) or not all(
                isinstance(o, dict) and isinstance(o.get("label"), str) and isinstance(o.get("value"), str)
                for o in options):
            raise validation_error("options must be a list of objects with a string label and value")
        if kind == "enumeration" and field_type != "booleancheckbox" and not options:
            raise validation_error(f"Property '{name}' of type enumeration needs options")
        groups = {prop.group for prop in self.store.property_defs(object_type)}
        if body["groupName"] not in groups:
            raise validation_error(f"Property group '{body['groupName']}' does not exist",
                                   context={"groupName": [body["groupName"]]})
        prop = PropertyDef(name=name, label=body["label"], type=kind, field_type=field_type, group=body["groupName"],
                           options=tuple((o["label"], o["value"]) for o in options), hubspot_defined=False,
                           null_rate=1.0, has_unique_value=bool(body.get("hasUniqueValue", False)))
        self.store.add_property(object_type, prop)
        self._properties.pop(object_type, None)  # the cached definitions now miss it
        created = next(p for p in self.properties_of(object_type) if p["name"] == name)
        return json_response(created, status=201)

    def groups_of(self, object_type: str) -> list[dict]:
        seen: dict[str, None] = {}
        for prop in self.store.property_defs(object_type):
            seen.setdefault(prop.group, None)
        return [{"name": name, "label": name.replace("_", " ").title(), "displayOrder": i, "archived": False}
                for i, name in enumerate(seen)]

    def list_groups(self, request: Request) -> Response:
        object_type = self.store.resolve_type(request.path_params["objectType"])
        return json_response({"results": self.groups_of(object_type)})

    def read_group(self, request: Request) -> Response:
        object_type = self.store.resolve_type(request.path_params["objectType"])
        name = request.path_params["groupName"]
        for group in self.groups_of(object_type):
            if group["name"] == name:
                return json_response(group)
        raise HubSpotError(404, f"Property group {name} does not exist", "OBJECT_NOT_FOUND",
                           context={"groupName": [name]})

    def schema(self, spec: Any) -> dict:
        associations = []
        for kind in ASSOCIATIONS:
            if spec.name in (kind.child, kind.parent):
                other = self.store.spec(kind.parent if kind.child == spec.name else kind.child)
                type_id = kind.child_to_parent if kind.child == spec.name else kind.parent_to_child
                associations.append({"fromObjectTypeId": spec.type_id, "toObjectTypeId": other.type_id,
                                     "name": f"{spec.singular}_to_{other.singular}".upper(), "id": str(type_id),
                                     "createdAt": "2022-06-01T00:00:00.000Z", "updatedAt": "2022-06-01T00:00:00.000Z"})
        return {
            "id": spec.type_id.split("-")[1],
            "name": spec.name,
            "labels": {"singular": spec.label, "plural": spec.label + "s"},
            "objectTypeId": spec.type_id,
            "fullyQualifiedName": spec.fully_qualified_name,
            "primaryDisplayProperty": spec.primary_display,
            "secondaryDisplayProperties": [p for p in spec.default_properties if p != spec.primary_display],
            "requiredProperties": [spec.primary_display],
            "searchableProperties": list(spec.default_properties),
            "properties": self.properties_of(spec.name),
            "associations": associations,
            "metaType": "PORTAL_SPECIFIC",
            "archived": False,
            "createdAt": "2022-06-01T00:00:00.000Z",
            "updatedAt": "2024-06-01T00:00:00.000Z",
        }

    def list_schemas(self, request: Request) -> Response:
        if query_bool(request, "archived"):
            return json_response({"results": []})
        return json_response({"results": [self.schema(s) for s in SPECS if s.custom]})

    def read_schema(self, request: Request) -> Response:
        raw = request.path_params["objectType"]
        name = resolve_type_name(raw)
        if name is None or not self.store.spec(name).custom:
            raise HubSpotError(404, f"Unable to find object schema for {raw}", "OBJECT_NOT_FOUND",
                               context={"objectType": [raw]})
        return json_response(self.schema(self.store.spec(name)))

    def list_owners(self, request: Request) -> Response:
        limit = query_int(request, "limit", 100, 1, 500)
        after = parse_after(request.query_params.get("after"))
        archived = query_bool(request, "archived")
        email = request.query_params.get("email")
        owners = [o for o in self.store.owners if o["archived"] == archived and int(o["id"]) >= after
                  and (email is None or o["email"].lower() == email.lower())]
        body: dict[str, Any] = {"results": owners[:limit]}
        if len(owners) > limit:
            nxt = owners[limit]["id"]
            body["paging"] = {"next": {"after": nxt, "link": next_link(request, nxt)}}
        return json_response(body)

    def read_owner(self, request: Request) -> Response:
        raw = request.path_params["ownerId"]
        id_property = request.query_params.get("idProperty", "id")
        if id_property not in ("id", "userId"):
            raise validation_error(f"idProperty must be id or userId, got {id_property!r}")
        archived = query_bool(request, "archived")
        for owner in self.store.owners:
            value = owner["id"] if id_property == "id" else str(owner["userId"])
            if value == raw and owner["archived"] == archived:
                return json_response(owner)
        raise HubSpotError(404, f"Owner {raw} does not exist", "OBJECT_NOT_FOUND", context={"id": [raw]})

    def _pipeline_type(self, request: Request) -> str:
        object_type = self.store.resolve_type(request.path_params["objectType"])
        if object_type not in PIPELINES:
            raise validation_error(f"Pipelines are only available for deals and tickets, not {object_type}")
        return object_type

    @staticmethod
    def pipeline_body(pipeline: Any) -> dict:
        stamp = "2022-01-01T00:00:00.000Z"
        return {
            "id": pipeline.id, "label": pipeline.label, "displayOrder": 0, "archived": False,
            "createdAt": stamp, "updatedAt": stamp,
            "stages": [{"id": s.id, "label": s.label, "displayOrder": i, "archived": False,
                        "metadata": dict(s.metadata), "createdAt": stamp, "updatedAt": stamp,
                        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}
                       for i, s in enumerate(pipeline.stages)],
        }

    def _pipeline(self, request: Request) -> Any:
        object_type = self._pipeline_type(request)
        pipeline_id = request.path_params["pipelineId"]
        for pipeline in PIPELINES[object_type]:
            if pipeline.id == pipeline_id:
                return pipeline
        raise HubSpotError(404, f"Pipeline {pipeline_id} does not exist", "OBJECT_NOT_FOUND",
                           context={"pipelineId": [pipeline_id]})

    def list_pipelines(self, request: Request) -> Response:
        object_type = self._pipeline_type(request)
        return json_response({"results": [self.pipeline_body(p) for p in PIPELINES[object_type]]})

    def read_pipeline(self, request: Request) -> Response:
        return json_response(self.pipeline_body(self._pipeline(request)))

    def list_stages(self, request: Request) -> Response:
        return json_response({"results": self.pipeline_body(self._pipeline(request))["stages"]})


# --- associations v4 ---------------------------------------------------------------------------------------------

class AssociationsApi:
    """Associations v4: batch read/create/archive, per-object list, create/remove, labels."""

    def __init__(self, store: Store, mutator: Mutator) -> None:
        self.store = store
        self.mutator = mutator
        self.page_size = min(ASSOC_PAGE, store.config.association_page_size)

    def _pair(self, request: Request, a: str = "fromObjectType", b: str = "toObjectType") -> tuple[str, str]:
        return self.store.resolve_type(request.path_params[a]), self.store.resolve_type(request.path_params[b])

    def _page(self, from_type: str, from_id: int, to_type: str, after: int, limit: int) -> tuple[list[dict],
                                                                                               int | None]:
        links = [(to_id, types) for to_id, types in self.store.links(from_type, from_id, to_type) if to_id >= after]
        page = [{"toObjectId": to_id, "associationTypes": types} for to_id, types in links[:limit]]
        return page, (links[limit][0] if len(links) > limit else None)

    def batch_read(self, request: Request, body: Any) -> Response:
        from_type, to_type = self._pair(request)
        inputs = require_inputs(require_object(body), MAX_ASSOC_BATCH)
        started = now_iso(self.store)
        results, missing = [], []
        for i, item in enumerate(inputs):
            raw = input_id(item, i)
            after = parse_after(str(item["after"])) if item.get("after") not in (None, "") else 0
            try:
                rid = int(raw)
            except ValueError:
                missing.append(raw)
                continue
            page, nxt = self._page(from_type, rid, to_type, after, self.page_size) if self.store.exists(
                from_type, rid) else ([], None)
            if not page:
                missing.append(raw)
                continue
            result: dict[str, Any] = {"from": {"id": raw}, "to": page}
            if nxt is not None:
                result["paging"] = {"next": {"after": str(nxt)}}
            results.append(result)
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                               "completedAt": now_iso(self.store)}
        if missing:
            from_label, to_label = self.store.spec(from_type).singular, self.store.spec(to_type).singular
            out["numErrors"] = len(missing)
            out["errors"] = [{
                "status": "error", "category": "OBJECT_NOT_FOUND",
                "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                "message": f"No {to_label} is associated with {from_label} {raw}.",
                "context": {"fromObjectId": [raw], "fromObjectType": [from_type], "toObjectType": [to_type]},
            } for raw in missing]
            return json_response(out, 207)
        return json_response(out)

    def list_for_object(self, request: Request) -> Response:
        from_type, to_type = self._pair(request, "objectType", "toObjectType")
        raw = request.path_params["objectId"]
        rid = parse_record_id(raw, self.store.spec(from_type).label)
        limit = query_int(request, "limit", 500, 1, 500)
        after = parse_after(request.query_params.get("after"))
        page, nxt = self._page(from_type, rid, to_type, after, limit) if self.store.exists(from_type, rid) \
            else ([], None)
        body: dict[str, Any] = {"results": page}
        if nxt is not None:
            body["paging"] = {"next": {"after": str(nxt), "link": next_link(request, str(nxt))}}
        return json_response(body)

    def _check_types(self, from_type: str, to_type: str, types: list[tuple[str, int]], where: str) -> None:
        known = {label["typeId"]: label["category"] for label in association_labels(from_type, to_type)}
        for category, type_id in types:
            if type_id not in known:
                raise validation_error(f"{where}: association type {type_id} is not defined from {from_type} to "
                                       f"{to_type} (known: {', '.join(map(str, sorted(known))) or 'none'})")
            if category != known[type_id]:
                raise validation_error(f"{where}: association type {type_id} from {from_type} to {to_type} is "
                                       f"{known[type_id]}, not {category}")

    def _link_body(self, from_type: str, from_id: int, to_type: str, to_id: int) -> dict:
        labels = [t["label"] for to, types in self.store.links(from_type, from_id, to_type) if to == to_id
                  for t in types if t["label"]]
        return {"fromObjectTypeId": self.store.spec(from_type).type_id, "fromObjectId": from_id,
                "toObjectTypeId": self.store.spec(to_type).type_id, "toObjectId": to_id, "labels": labels}

    def _require(self, object_type: str, rid: int) -> None:
        if not self.store.exists(object_type, rid):
            raise not_found(self.store.spec(object_type).label, str(rid))

    def create_one(self, request: Request, body: Any) -> Response:
        from_type, to_type = self._pair(request, "objectType", "toObjectType")
        from_id = parse_record_id(request.path_params["objectId"], self.store.spec(from_type).label)
        to_id = parse_record_id(request.path_params["toObjectId"], self.store.spec(to_type).label)
        types = parse_types(body, "body")
        if not types:
            raise validation_error("The body must list at least one {associationCategory, associationTypeId}")
        self._check_types(from_type, to_type, types, "body")
        self._require(from_type, from_id)
        self._require(to_type, to_id)
        self.mutator.associate(from_type, from_id, to_type, to_id, types)
        return json_response(self._link_body(from_type, from_id, to_type, to_id), 201)

    def create_default(self, request: Request, body: Any) -> Response:
        from_type, to_type = self._pair(request, "objectType", "toObjectType")
        from_id = parse_record_id(request.path_params["objectId"], self.store.spec(from_type).label)
        to_id = parse_record_id(request.path_params["toObjectId"], self.store.spec(to_type).label)
        self._require(from_type, from_id)
        self._require(to_type, to_id)
        self.mutator.associate(from_type, from_id, to_type, to_id)
        return json_response({"status": "COMPLETE", "results": [
            {"from": {"id": str(from_id)}, "to": {"id": str(to_id)},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED",
                                 "associationTypeId": association_labels(from_type, to_type)[0]["typeId"]
                                 if association_labels(from_type, to_type) else 1}}]})

    def remove_one(self, request: Request) -> Response:
        from_type, to_type = self._pair(request, "objectType", "toObjectType")
        try:
            from_id, to_id = int(request.path_params["objectId"]), int(request.path_params["toObjectId"])
        except ValueError:
            return Response(status_code=204)
        self.mutator.unassociate(from_type, from_id, to_type, to_id)
        return Response(status_code=204)

    def batch_create(self, request: Request, body: Any) -> Response:
        from_type, to_type = self._pair(request)
        inputs = require_inputs(require_object(body), MAX_ASSOC_BATCH)
        started = now_iso(self.store)
        plan, errors = [], []
        for i, item in enumerate(inputs):
            if not isinstance(item, dict) or not isinstance(item.get("from"), dict) or \
                    not isinstance(item.get("to"), dict):
                raise validation_error(f"inputs[{i}] must have 'from': {{\"id\"}} and 'to': {{\"id\"}}")
            from_id = int_field(item["from"].get("id"), f"inputs[{i}].from.id")
            to_id = int_field(item["to"].get("id"), f"inputs[{i}].to.id")
            types = parse_types(item.get("types"), f"inputs[{i}].types")
            self._check_types(from_type, to_type, types, f"inputs[{i}].types")
            if not self.store.exists(from_type, from_id) or not self.store.exists(to_type, to_id):
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                               "message": f"inputs[{i}]: {from_type} {from_id} or {to_type} {to_id} does not exist",
                               "context": {"fromObjectId": [str(from_id)], "toObjectId": [str(to_id)]}})
                continue
            plan.append((from_id, to_id, types))
        results = []
        with self.store.lock:
            for from_id, to_id, types in plan:
                self.mutator.associate(from_type, from_id, to_type, to_id, types)
                results.append(self._link_body(from_type, from_id, to_type, to_id))
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                               "completedAt": now_iso(self.store)}
        if errors:
            out["numErrors"] = len(errors)
            out["errors"] = errors
            return json_response(out, 207)
        return json_response(out, 201)

    def batch_archive(self, request: Request, body: Any) -> Response:
        from_type, to_type = self._pair(request)
        inputs = require_inputs(require_object(body), MAX_ASSOC_BATCH)
        pairs = []  # every input is checked before anything is removed
        for i, item in enumerate(inputs):
            if not isinstance(item, dict) or not isinstance(item.get("from"), dict) or \
                    not isinstance(item.get("to"), list):
                raise validation_error(f"inputs[{i}] must have 'from': {{\"id\"}} and 'to': [{{\"id\"}}, ...]")
            from_id = int_field(item["from"].get("id"), f"inputs[{i}].from.id")
            for k, to in enumerate(item["to"]):
                to_id = int_field(to.get("id") if isinstance(to, dict) else None, f"inputs[{i}].to[{k}].id")
                pairs.append((from_id, to_id))
        with self.store.lock:
            for from_id, to_id in pairs:
                self.mutator.unassociate(from_type, from_id, to_type, to_id)
        return Response(status_code=204)

    def labels(self, request: Request) -> Response:
        from_type, to_type = self._pair(request)
        return json_response({"results": association_labels(from_type, to_type)})


def crm_routes(store: Store, dispatcher: Any = None) -> list[Route]:
    """Every CRM route (legacy and 2026-03 families) over `store`; changes emit webhooks through `dispatcher`."""
    mutator = Mutator(store, dispatcher)
    objects = ObjectsApi(store, dispatcher, mutator)
    meta = MetadataApi(store)
    assoc = AssociationsApi(store, mutator)
    routes: list[Route] = []
    for prefix in ("/crm/v3/objects", "/crm/objects/2026-03"):
        routes += [
            Route(prefix + "/contacts/gdpr-delete", with_body(objects.gdpr_delete), methods=["POST"]),
            Route(prefix + "/{objectType}/batch/read", with_body(objects.batch_read), methods=["POST"]),
            Route(prefix + "/{objectType}/batch/create", with_body(objects.batch_create), methods=["POST"]),
            Route(prefix + "/{objectType}/batch/update", with_body(objects.batch_update), methods=["POST"]),
            Route(prefix + "/{objectType}/batch/upsert", with_body(objects.batch_upsert), methods=["POST"]),
            Route(prefix + "/{objectType}/batch/archive", with_body(objects.batch_archive), methods=["POST"]),
            Route(prefix + "/{objectType}/search", with_body(objects.search), methods=["POST"]),
            Route(prefix + "/{objectType}/merge", with_body(objects.merge), methods=["POST"]),
            Route(prefix + "/{objectType}", objects.list_objects, methods=["GET"]),
            Route(prefix + "/{objectType}", with_body(objects.create), methods=["POST"]),
            Route(prefix + "/{objectType}/{objectId}", objects.read_object, methods=["GET"]),
            Route(prefix + "/{objectType}/{objectId}", with_body(objects.update), methods=["PATCH"]),
            Route(prefix + "/{objectType}/{objectId}", objects.archive, methods=["DELETE"]),
        ]
    for prefix in ("/crm/v4/objects", "/crm/objects/2026-03"):
        base = prefix + "/{objectType}/{objectId}/associations"
        routes += [
            Route(base + "/default/{toObjectType}/{toObjectId}", with_body(assoc.create_default), methods=["PUT"]),
            Route(base + "/{toObjectType}", assoc.list_for_object, methods=["GET"]),
            Route(base + "/{toObjectType}/{toObjectId}", with_body(assoc.create_one), methods=["PUT"]),
            Route(base + "/{toObjectType}/{toObjectId}", assoc.remove_one, methods=["DELETE"]),
        ]
    for prefix in ("/crm/v4/associations", "/crm/associations/2026-03"):
        base = prefix + "/{fromObjectType}/{toObjectType}"
        routes += [
            Route(base + "/batch/read", with_body(assoc.batch_read), methods=["POST"]),
            Route(base + "/batch/create", with_body(assoc.batch_create), methods=["POST"]),
            Route(base + "/batch/archive", with_body(assoc.batch_archive), methods=["POST"]),
            Route(base + "/labels", assoc.labels, methods=["GET"]),
        ]
    for prefix in ("/crm/v3/properties", "/crm/properties/2026-03"):
        routes += [
            Route(prefix + "/{objectType}", meta.list_properties, methods=["GET"]),
            Route(prefix + "/{objectType}", with_body(meta.create_property), methods=["POST"]),
            Route(prefix + "/{objectType}/groups", meta.list_groups, methods=["GET"]),
            Route(prefix + "/{objectType}/groups/{groupName}", meta.read_group, methods=["GET"]),
            Route(prefix + "/{objectType}/{propertyName}", meta.read_property, methods=["GET"]),
        ]
    for prefix in ("/crm/v3/schemas", "/crm-object-schemas/v3/schemas", "/crm-object-schemas/2026-03/schemas",
                   "/crm/object-schemas/2026-03/schemas"):
        routes += [
            Route(prefix, meta.list_schemas, methods=["GET"]),
            Route(prefix + "/{objectType}", meta.read_schema, methods=["GET"]),
        ]
    for prefix in ("/crm/v3/owners", "/crm/owners/2026-03"):
        routes += [
            Route(prefix, meta.list_owners, methods=["GET"]),
            Route(prefix + "/", meta.list_owners, methods=["GET"]),
            Route(prefix + "/{ownerId}", meta.read_owner, methods=["GET"]),
        ]
    for prefix in ("/crm/v3/pipelines", "/crm/pipelines/2026-03"):
        routes += [
            Route(prefix + "/{objectType}", meta.list_pipelines, methods=["GET"]),
            Route(prefix + "/{objectType}/{pipelineId}", meta.read_pipeline, methods=["GET"]),
            Route(prefix + "/{objectType}/{pipelineId}/stages", meta.list_stages, methods=["GET"]),
        ]
    return routes


def vector_search(req: Any, store: Store, object_type: str, visible: np.ndarray, updated_all: np.ndarray,
                  view: dict | None = None) -> tuple[int, list[int]] | None:
    """Filter evaluation without building every record: a pooled property's filter is decided once per pool
    value and gathered per record; computed properties are evaluated per record on one column; changed and
    created records are checked exactly (as the index holds them: `view`, `updated_all`). None (use the
    record-by-record path) when a free-text query is given."""
    if req.query:
        return None
    st = store.types[object_type]
    gen = st.gen
    positions = np.flatnonzero(visible)
    ids = st.cols.ids[positions]
    base = positions < st.base_n
    base_ids = ids[base]
    created = st.cols.created[positions][base]
    updated = updated_all[positions][base]
    groups = req.filter_groups or ((),)
    final = np.zeros(len(base_ids), dtype=bool)
    for group in groups:
        mask = np.ones(len(base_ids), dtype=bool)
        for f in group:
            predicate = compile_filter(f)
            name = f.property_name
            j = gen.index[name] if name in gen.index else None
            if name in gen.computed:
                fn = gen.computed[name]
                values = [fn(i, c, u) for i, c, u in zip(base_ids.tolist(), created.tolist(), updated.tolist())]
                hits = np.fromiter((predicate({name: v}) for v in values), dtype=bool, count=len(values))
            elif j is not None:
                pool = gen.flatpool[j * POOL_SIZE:(j + 1) * POOL_SIZE]
                decided = np.array([predicate({name: v}) for v in pool], dtype=bool)
                hits = decided[(mix(base_ids, gen.salts[j]) % np.uint64(POOL_SIZE)).astype(np.intp)]
            else:
                return None
            mask &= hits
        final |= mask
    matched = set(base_ids[final].tolist())
    # Created records and records changed through the API are decided on their real values.
    exact = ids[~base].tolist()
    if st.overrides or view:
        changed = np.fromiter([*st.overrides, *(view or ())], dtype=np.int64)
        exact += np.unique(changed[np.isin(changed, base_ids)]).tolist()
    if exact:
        needed = sorted(req.needed_properties() & set(gen.names))
        for record in store.records(object_type, exact, needed, view=view):
            if req.matches(record):
                matched.add(int(record["id"]))
            else:
                matched.discard(int(record["id"]))
    ordered = sorted(matched)
    total = len(ordered)
    if req.sorts:
        records = []
        for start in range(0, total, 5000):
            records += store.records(object_type, ordered[start:start + 5000], [req.sorts[0].property_name],
                                     view=view)
        ordered = [int(r["id"]) for r in req.sort(records)]
    return total, ordered[req.offset:req.offset + req.limit]
