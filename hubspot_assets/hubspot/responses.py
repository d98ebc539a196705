"""Reading HubSpot's answers: shape checks and cursor paging, shared by every API module.

HubSpot's bodies are read leniently (unknown fields, missing optional fields), but an answer whose shape is
wrong where it matters (no `results` list, a record without `id`) raises `MalformedResponseError` naming the
endpoint and what was expected, instead of failing later with a KeyError far from the cause.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from hubspot_assets.hubspot.errors import MalformedResponseError
from hubspot_assets.hubspot.transport import Budget, HubSpotResponse, Transport

M = TypeVar("M", bound=BaseModel)

Params = list[tuple[str, str]]


def malformed(
    method: str, endpoint: str, expected: str, response: HubSpotResponse | None = None
) -> MalformedResponseError:
    """The error for an answer that is JSON but not the shape HubSpot documents."""
    return MalformedResponseError(
        f"unexpected answer shape: expected {expected}",
        status=response.status if response is not None else None,
        correlation_id=response.correlation_id if response is not None else None,
        method=method,
        endpoint=endpoint,
        hint="HubSpot may have changed this endpoint; check HUBSPOT_API_VERSION and report it",
    )


def body_object(response: HubSpotResponse, method: str, endpoint: str) -> dict[str, Any]:
    """The answer body as a JSON object."""
    if not isinstance(response.data, Mapping):
        raise malformed(method, endpoint, f"a JSON object, got {type(response.data).__name__}", response)
    return dict(response.data)


def results_of(response: HubSpotResponse, method: str, endpoint: str, *, key: str = "results") -> list[Any]:
    """`body[key]` as a list (a missing key reads as an empty list; anything else but a list is malformed)."""
    data = body_object(response, method, endpoint)
    results = data.get(key)
    if results is None:
        return []
    if not isinstance(results, list):
        raise malformed(method, endpoint, f'"{key}" to be a list, got {type(results).__name__}', response)
    return results


def records_of(
    response: HubSpotResponse, method: str, endpoint: str, *, key: str = "results"
) -> list[dict[str, Any]]:
    """`body[key]` as a list of objects that each carry an `id` (stringified when HubSpot sent a number)."""
    out: list[dict[str, Any]] = []
    for item in results_of(response, method, endpoint, key=key):
        out.append(check_record(item, response, method, endpoint))
    return out


def check_record(item: Any, response: HubSpotResponse | None, method: str, endpoint: str) -> dict[str, Any]:
    """One record-shaped object: a dict with an `id`; `properties`, when present, must be an object."""
    if not isinstance(item, Mapping) or item.get("id") in (None, ""):
        raise malformed(method, endpoint, 'each result to be an object with an "id"', response)
    record = dict(item)
    if not isinstance(record["id"], str):
        record["id"] = str(record["id"])
    props = record.get("properties")
    if props is not None and not isinstance(props, Mapping):
        raise malformed(method, endpoint, '"properties" to be an object', response)
    return record


def next_after(response: HubSpotResponse, method: str, endpoint: str) -> str | None:
    """The `paging.next.after` cursor, or None on the last page (paging absent or empty)."""
    data = body_object(response, method, endpoint)
    paging = data.get("paging")
    if not paging:
        return None
    if not isinstance(paging, Mapping):
        raise malformed(method, endpoint, '"paging" to be an object', response)
    nxt = paging.get("next")
    if not nxt:
        return None
    if not isinstance(nxt, Mapping):
        raise malformed(method, endpoint, '"paging.next" to be an object', response)
    after = nxt.get("after")
    if after in (None, ""):
        return None
    return str(after)


def parse_model(model: type[M], item: Any, response: HubSpotResponse | None, method: str, endpoint: str) -> M:
    """Validate one item into a model, turning a validation failure into `MalformedResponseError`."""
    try:
        return model.model_validate(item)
    except PydanticValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())) or "the item"
        raise malformed(
            method, endpoint, f"a {model.__name__} ({where}: {first.get('msg', 'invalid')})", response
        ) from None


def iter_pages(
    transport: Transport,
    path: str,
    endpoint: str,
    params: Sequence[tuple[str, str]] = (),
    *,
    budget: Budget = Budget.GENERAL,
    key: str = "results",
    records: bool = True,
    auth: bool = True,
) -> Iterator[list[Any]]:
    """GET pages of a cursor-paged collection (`paging.next.after`), one list per page, lazily.

    Stops when HubSpot sends no cursor, or (defensively) when it repeats the cursor it was just given, which
    would otherwise loop forever.
    """
    after: str | None = None
    while True:
        query: Params = list(params)
        if after is not None:
            query.append(("after", after))
        response = transport.request("GET", path, endpoint=endpoint, params=query, budget=budget, auth=auth)
        page = (
            records_of(response, "GET", endpoint, key=key)
            if records
            else results_of(response, "GET", endpoint, key=key)
        )
        yield page
        nxt = next_after(response, "GET", endpoint)
        if nxt is None or nxt == after:
            return
        after = nxt


def flag(value: bool) -> str:
    """HubSpot's query-string booleans."""
    return "true" if value else "false"


def chunked(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def unique(values: Sequence[Any]) -> list[str]:
    """Stringified values without repeats, first occurrence order kept."""
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(str(value), None)
    return list(seen)
