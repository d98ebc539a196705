"""Associations v4: batch reads with per-input paging, labels, and creating or removing links.

Reading: `POST /crm/v4/associations/{from}/{to}/batch/read` takes up to 1,000 ids and spends the associations
budget (outside HubSpot's 10-second limit). Each input's links may be paged (`paging.next.after` on that
input); the rest are read with the per-record `GET /crm/v4/objects/{from}/{id}/associations/{to}` (10-second
budget). An input without links comes back as a 207 error with subCategory
`crm.associations.NO_ASSOCIATIONS_FOUND`: that means zero links, not a failure. `toObjectId` is a JSON number
in real answers and a string in the published description: both are read, and ids are returned as strings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.logging import get_logger
from hubspot_assets.hubspot.models import Association, AssociationLabel, BatchError
from hubspot_assets.hubspot.responses import (
    body_object,
    chunked,
    malformed,
    next_after,
    parse_model,
    results_of,
    unique,
)
from hubspot_assets.hubspot.transport import Budget, HubSpotResponse

log = get_logger(__name__)  # carries the redaction filter

ASSOCIATIONS_BATCH_MAX = 1_000
OBJECT_ASSOCIATIONS_PAGE = 500
NO_ASSOCIATIONS = "NO_ASSOCIATIONS_FOUND"


def _says_no_associations(raw: Mapping[str, Any]) -> bool:
    """Whether a batch error only says an id has no links (zero links, not a failure)."""
    return any(isinstance(raw.get(key), str) and NO_ASSOCIATIONS in raw[key] for key in ("subCategory", "category"))


class LinkRow(NamedTuple):
    """One labelled link as plain values: the bulk read's rows, with no pydantic model built per link."""

    from_id: int
    to_id: int
    type_id: int
    category: str
    label: str | None


def _link_rows(from_id: int, targets: Any, response: HubSpotResponse, method: str, endpoint: str) -> list[LinkRow]:
    """The links of one source record from HubSpot's `to` list (or a per-record GET's results), checked."""
    if targets is None:
        return []
    if not isinstance(targets, list):
        raise malformed(method, endpoint, '"to" to be a list of linked records', response)
    out: list[LinkRow] = []
    for target in targets:
        if not isinstance(target, Mapping):
            raise malformed(method, endpoint, "each linked record to be an object", response)
        to_id = _record_id(target.get("toObjectId", target.get("id")))
        if to_id is None:
            raise malformed(method, endpoint, 'each linked record to carry "toObjectId"', response)
        for kind in target.get("associationTypes") or []:
            type_id = kind.get("typeId") if isinstance(kind, Mapping) else None
            if type_id is None or isinstance(type_id, bool):
                raise malformed(method, endpoint, 'each association type to carry "typeId"', response)
            try:
                type_id = int(type_id)
            except (TypeError, ValueError):
                raise malformed(method, endpoint, 'each association type\'s "typeId" to be a number', response) from None
            out.append(LinkRow(from_id, to_id, type_id, str(kind.get("category") or "HUBSPOT_DEFINED"),
                               kind.get("label") or None))
    return out


def _record_id(value: Any) -> int | None:
    """A record id given as a JSON number or a string of digits (HubSpot sends both), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _as_model(row: LinkRow) -> Association:
    return Association(from_id=row.from_id, to_id=row.to_id, type_id=row.type_id, category=row.category,
                       label=row.label)


class AssociationsApi(ApiArea):
    """Associations between records of two types."""

    _last_association_errors: Sequence[BatchError] = ()  # each read binds its own list here

    @property
    def association_errors(self) -> list[BatchError]:
        """Per-id errors other than NO_ASSOCIATIONS_FOUND (e.g. unknown ids) from the last `associations` or
        `association_links` read of this client; a copy."""
        return list(self._last_association_errors)

    def associations(
        self,
        from_type: str,
        to_type: str,
        ids: Sequence[str | int],
        *,
        errors: list[BatchError] | None = None,
    ) -> Iterator[Association]:
        """Every link from each of `ids` to records of `to_type`, lazily, one `Association` per (pair, label).

        1,000 ids per request (`POST /crm/v4/associations/{from}/{to}/batch/read`, the associations budget); an
        input whose links are paged is completed with the per-record GET. Ids without links yield nothing. Other
        per-input errors (such as an id that does not exist) are logged and appended to `errors` (when given)
        and to `association_errors`, not raised, so one bad id does not stop a load. Pass `errors` when several
        threads share this client (`association_errors` holds the last read of any thread).
        """
        return (_as_model(row) for row in self.association_links(from_type, to_type, ids, errors=errors))

    def association_links(
        self,
        from_type: str,
        to_type: str,
        ids: Sequence[str | int],
        *,
        errors: list[BatchError] | None = None,
    ) -> Iterator[LinkRow]:
        """What `associations` reads, as `LinkRow` tuples of plain values (ids as ints), for bulk loads: no model
        per link."""
        path, endpoint = self.paths.associations_batch(from_type, to_type, "read")
        found_errors: list[BatchError] = []
        self._last_association_errors = found_errors
        for chunk in chunked(unique(ids), ASSOCIATIONS_BATCH_MAX):
            response = self.transport.request(
                "POST",
                path,
                endpoint=endpoint,
                json={"inputs": [{"id": i} for i in chunk]},
                budget=Budget.ASSOCIATIONS,
                idempotent=True,  # a read
            )
            data = body_object(response, "POST", endpoint)
            for item in results_of(response, "POST", endpoint):
                source = item.get("from") if isinstance(item, Mapping) else None
                from_id = _record_id(source.get("id")) if isinstance(source, Mapping) else None
                if from_id is None:
                    raise malformed("POST", endpoint, 'each result to carry "from": {"id"}', response)
                yield from _link_rows(from_id, item.get("to"), response, "POST", endpoint)
                paging = item.get("paging")
                after = None
                if isinstance(paging, Mapping) and isinstance(paging.get("next"), Mapping):
                    after = paging["next"].get("after")
                if after not in (None, ""):
                    yield from self._object_link_rows(from_type, from_id, to_type, str(after))
            for raw in data.get("errors") or []:
                if not isinstance(raw, Mapping) or _says_no_associations(raw):
                    continue  # most ids of a big read have no link of a type: no model for each
                error = parse_model(BatchError, raw, response, "POST", endpoint)
                found_errors.append(error)
                if errors is not None:
                    errors.append(error)
                log.warning(
                    "associations %s->%s: %s (%s) for ids %s",
                    from_type,
                    to_type,
                    error.message,
                    error.category,
                    ",".join(error.ids[:10]),
                )

    def _object_link_rows(
        self, from_type: str, from_id: int, to_type: str, after: str | None
    ) -> Iterator[LinkRow]:
        path, endpoint = self.paths.object_associations(from_type, str(from_id), to_type)
        while True:
            params = [("limit", str(OBJECT_ASSOCIATIONS_PAGE))]
            if after is not None:
                params.append(("after", after))
            response = self.transport.request("GET", path, endpoint=endpoint, params=params)
            body_object(response, "GET", endpoint)
            yield from _link_rows(from_id, results_of(response, "GET", endpoint), response, "GET", endpoint)
            nxt = next_after(response, "GET", endpoint)
            if nxt is None or nxt == after:
                return
            after = nxt

    def record_associations(self, from_type: str, from_id: str | int, to_type: str) -> list[Association]:
        """Every link of one record to `to_type` (`GET /crm/v4/objects/{from}/{id}/associations/{to}`, paged)."""
        record_id = _record_id(from_id)
        if record_id is None:
            raise ValueError(f"{from_id!r} is not a record id (a number)")
        return [_as_model(row) for row in self._object_link_rows(from_type, record_id, to_type, None)]

    def association_labels(self, from_type: str, to_type: str) -> list[dict[str, Any]]:
        """Association types (labels) defined between two object types, HubSpot-defined and user-defined, as
        HubSpot returns them (`category`, `typeId`, `label`); each is checked against `AssociationLabel`
        (`AssociationLabel.model_validate` gives attributes)."""
        path, endpoint = self.paths.association_labels(from_type, to_type)
        response = self.transport.request("GET", path, endpoint=endpoint)
        out: list[dict[str, Any]] = []
        for item in results_of(response, "GET", endpoint):
            parse_model(AssociationLabel, item, response, "GET", endpoint)
            out.append(dict(item))
        return out

    def associate(
        self,
        from_type: str,
        from_id: str | int,
        to_type: str,
        to_id: str | int,
        *,
        type_id: int | None = None,
        category: str = "HUBSPOT_DEFINED",
    ) -> None:
        """Link two records (`PUT .../associations/{to}/{toId}`): with `type_id` under that label/type, otherwise
        with HubSpot's default type."""
        default = type_id is None
        path, endpoint = self.paths.association_link(
            from_type, str(from_id), to_type, str(to_id), default=default
        )
        body = None if default else [{"associationCategory": category, "associationTypeId": int(type_id)}]  # type: ignore[arg-type]
        self.transport.request("PUT", path, endpoint=endpoint, json=body)

    def unassociate(self, from_type: str, from_id: str | int, to_type: str, to_id: str | int) -> None:
        """Remove every link (all labels) between two records (`DELETE .../associations/{to}/{toId}`)."""
        path, endpoint = self.paths.association_link(
            from_type, str(from_id), to_type, str(to_id), default=False
        )
        self.transport.request("DELETE", path, endpoint=endpoint)

    def batch_associate(
        self,
        from_type: str,
        to_type: str,
        pairs: Sequence[tuple[str | int, str | int]],
        *,
        type_id: int,
        category: str = "HUBSPOT_DEFINED",
    ) -> list[BatchError]:
        """Link many pairs under one type, 1,000 per request (`POST /crm/v4/associations/{from}/{to}/batch/create`);
        returns per-pair errors (207) instead of raising."""
        path, endpoint = self.paths.associations_batch(from_type, to_type, "create")
        errors: list[BatchError] = []
        inputs = [
            {
                "from": {"id": str(a)},
                "to": {"id": str(b)},
                "types": [{"associationCategory": category, "associationTypeId": type_id}],
            }
            for a, b in pairs
        ]
        for chunk in chunked(inputs, ASSOCIATIONS_BATCH_MAX):
            response = self.transport.request(
                "POST", path, endpoint=endpoint, json={"inputs": chunk}, budget=Budget.ASSOCIATIONS,
                idempotent=True,  # linking a pair that is already linked changes nothing
            )
            if isinstance(response.data, Mapping):
                errors.extend(
                    parse_model(BatchError, e, response, "POST", endpoint)
                    for e in response.data.get("errors") or []
                    if isinstance(e, Mapping)
                )
        return errors
