"""Property definitions, custom object schemas, and the list of object types a portal has.

`GET /crm/v3/properties/{type}` is not paged: one call returns every property of a type, with its data type,
field type and enumeration options (value -> label). `GET /crm/v3/schemas` lists custom object types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubspot_assets.hubspot.area import ApiArea
from hubspot_assets.hubspot.errors import NotFoundError
from hubspot_assets.hubspot.logging import get_logger
from hubspot_assets.hubspot.models import ObjectType, Property
from hubspot_assets.hubspot.paths import LEGACY, ApiPaths
from hubspot_assets.hubspot.responses import flag, malformed, parse_model, results_of

log = get_logger(__name__)  # carries the redaction filter

# HubSpot's standard CRM object types: (plural API name, type id, singular label, plural label).
STANDARD_OBJECT_TYPES: tuple[tuple[str, str, str, str], ...] = (
    ("contacts", "0-1", "Contact", "Contacts"),
    ("companies", "0-2", "Company", "Companies"),
    ("deals", "0-3", "Deal", "Deals"),
    ("tickets", "0-5", "Ticket", "Tickets"),
    ("products", "0-7", "Product", "Products"),
    ("line_items", "0-8", "Line item", "Line items"),
    ("quotes", "0-14", "Quote", "Quotes"),
    ("communications", "0-18", "Communication", "Communications"),
    ("tasks", "0-27", "Task", "Tasks"),
    ("notes", "0-46", "Note", "Notes"),
    ("meetings", "0-47", "Meeting", "Meetings"),
    ("calls", "0-48", "Call", "Calls"),
    ("emails", "0-49", "Email", "Emails"),
)


class PropertiesApi(ApiArea):
    """Property definitions and object type discovery."""

    def properties(self, object_type: str, *, archived: bool = False) -> list[Property]:
        """Every property of a type (archived ones instead when `archived=True`): name, label, type, field_type,
        group_name, options (value -> label via `.labels`), calculated, hubspot_defined, archived.
        One request, no paging (`GET /crm/v3/properties/{objectType}`)."""
        path, endpoint = self.paths.properties(object_type)
        params = [("archived", flag(archived))] if archived else None
        response = self.transport.request("GET", path, endpoint=endpoint, params=params)
        return [
            parse_model(Property, item, response, "GET", endpoint)
            for item in results_of(response, "GET", endpoint)
        ]

    def schemas(self) -> list[dict[str, Any]]:
        """Custom object schemas as HubSpot returns them (id, name, labels, objectTypeId, properties, ...)
        (`GET /crm/v3/schemas`)."""
        path, endpoint = self.paths.schemas()
        try:
            response = self.transport.request("GET", path, endpoint=endpoint)
        except NotFoundError as exc:
            if self.paths.family == LEGACY or exc.category:
                raise
            # An unknown route (HTML 404, no category): this host serves no dated schemas path yet. HubSpot
            # fills in dated paths release by release; the legacy one answers the same body until 2027.
            log.info("GET %s is not served here; reading schemas from the legacy path", endpoint)
            path, endpoint = ApiPaths(LEGACY).schemas()
            response = self.transport.request("GET", path, endpoint=endpoint)
        out: list[dict[str, Any]] = []
        for item in results_of(response, "GET", endpoint):
            if not isinstance(item, Mapping) or not item.get("objectTypeId") or not item.get("name"):
                raise malformed("GET", endpoint, 'each schema to carry "name" and "objectTypeId"', response)
            out.append(dict(item))
        return out

    def object_types(self) -> list[ObjectType]:
        """Standard object types plus the portal's custom ones (from the schemas endpoint). For custom types use
        `object_type_id` (or `.path_name`) in the other calls."""
        types = [
            ObjectType(name=name, object_type_id=type_id, label=label, plural_label=plural, custom=False)
            for name, type_id, label, plural in STANDARD_OBJECT_TYPES
        ]
        for schema in self.schemas():
            labels = schema.get("labels") if isinstance(schema.get("labels"), Mapping) else {}
            types.append(
                ObjectType(
                    name=str(schema["name"]),
                    object_type_id=str(schema["objectTypeId"]),
                    label=str(labels.get("singular") or schema["name"]),
                    plural_label=str(labels.get("plural") or labels.get("singular") or schema["name"]),
                    custom=True,
                    primary_display_property=schema.get("primaryDisplayProperty") or None,
                    fully_qualified_name=schema.get("fullyQualifiedName") or None,
                )
            )
        return types
