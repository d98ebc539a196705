"""CRM routes of the sandbox: objects (list, read, batch, search, writes, merge, GDPR delete), properties,
schemas, owners, pipelines and associations v4, in both the legacy (`/crm/v3/...`) and the dated
(`/crm/objects/2026-03/...`) path families, from one implementation.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hubspot_assets.sandbox.errors import HubSpotError, json_response, not_found, validation_error
from hubspot_assets.sandbox.store import Store

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

    def __init__(self, store: Store, dispatcher: Any = None) -> None:
        self.store = store
        self.dispatcher = dispatcher

    def _type(self, request: Request) -> str:
        return self.store.resolve_type(request.path_params["objectType"])

    def _with_associations(self, object_type: str, records: list[dict], to_types: list[str]) -> None:
        if not to_types:
            return
        targets = []
        for raw in to_types:
            targets.append((raw, self.store.resolve_type(raw)))
        for record in records:
            assoc: dict[str, Any] = {}
            rid = int(record["id"])
            for raw, to_type in targets:
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


def crm_routes(store: Store, dispatcher: Any = None) -> list[Route]:
    """Every CRM route (legacy and 2026-03 families) over `store`; changes emit webhooks through `dispatcher`."""
    objects = ObjectsApi(store, dispatcher)
    routes: list[Route] = []
    for prefix in ("/crm/v3/objects", "/crm/objects/2026-03"):
        routes += [
            Route(prefix + "/{objectType}", objects.list_objects, methods=["GET"]),
            Route(prefix + "/{objectType}/{objectId}", objects.read_object, methods=["GET"]),
        ]
    return routes
