"""Which OAuth scopes each API family needs, and HubSpot's 403 MISSING_SCOPES body when a token lacks them.

`missing_scopes(method, path, granted)` returns the unmet requirements of a request, each one a tuple of scopes
of which any one suffices (HubSpot's "One or more of the following scopes are required"). The platform
middleware answers 403 with `missing_scopes_body(...)` when the list is not empty. Private-app tokens hold every
known scope except transcripts, so only OAuth tokens granted fewer scopes meet these 403s. Transcripts check
their scope in `transcripts.py`; paths not listed here (account usage, OAuth, webhooks API) need none.

Object reads (GET, batch/read, search) need the type's read scope, writes its write scope:
contacts/companies/deals `crm.objects.<type>.read|write`, tickets `tickets`, products and line items
`e-commerce` (or their granular scope), quotes `crm.objects.quotes.*`, emails `sales-email-read` to read,
other engagements (calls, notes, meetings, tasks, communications) the contacts scopes, custom objects
`crm.objects.custom.*`. Associations need the scopes of both types; properties the read scope or the type's
schema scope; custom object schemas `crm.schemas.custom.read`; owners `crm.objects.owners.read`; pipelines the
read scope of deals or tickets; conversations `conversations.read` (`conversations.write` to write).
"""

from __future__ import annotations

from hubspot_assets.sandbox.portal import SPEC_BY_NAME, resolve_type_name

Requirement = tuple[str, ...]  # any one of these scopes

_CONTACTS = ("crm.objects.contacts.read",), ("crm.objects.contacts.write",)
_OBJECT_SCOPES: dict[str, tuple[Requirement, Requirement]] = {
    "contacts": _CONTACTS,
    "companies": (("crm.objects.companies.read",), ("crm.objects.companies.write",)),
    "deals": (("crm.objects.deals.read",), ("crm.objects.deals.write",)),
    "tickets": (("tickets",), ("tickets",)),
    "products": (("e-commerce", "crm.objects.products.read"), ("e-commerce", "crm.objects.products.write")),
    "line_items": (("e-commerce", "crm.objects.line_items.read"), ("e-commerce", "crm.objects.line_items.write")),
    "quotes": (("crm.objects.quotes.read",), ("crm.objects.quotes.write",)),
    "emails": (("sales-email-read",), ("crm.objects.contacts.write",)),
    "calls": _CONTACTS,
    "notes": _CONTACTS,
    "meetings": _CONTACTS,
    "tasks": _CONTACTS,
    "communications": _CONTACTS,
}
_CUSTOM = (("crm.objects.custom.read",), ("crm.objects.custom.write",))
_SCHEMA_SCOPES = {"contacts": "crm.schemas.contacts.read", "companies": "crm.schemas.companies.read",
                  "deals": "crm.schemas.deals.read", "line_items": "crm.schemas.line_items.read",
                  "quotes": "crm.schemas.quotes.read"}
_SCHEMA_PATHS = ("/crm/v3/schemas", "/crm-object-schemas/", "/crm/object-schemas/")


def _object(type_value: str, write: bool) -> Requirement | None:
    name = resolve_type_name(type_value)
    if name is None:
        return None  # the route answers 400 for an unknown type
    scopes = _CUSTOM if SPEC_BY_NAME[name].custom else _OBJECT_SCOPES.get(name)
    if scopes is None:
        return None
    return scopes[1] if write else scopes[0]


def _schema(type_value: str) -> tuple[str, ...]:
    name = resolve_type_name(type_value)
    if name is None:
        return ()
    if SPEC_BY_NAME[name].custom:
        return ("crm.schemas.custom.read",)
    return (_SCHEMA_SCOPES[name],) if name in _SCHEMA_SCOPES else ()


def required_scopes(method: str, path: str) -> list[Requirement]:
    """The scope requirements of a request (each satisfied by any one of its scopes); [] when none apply."""
    segs = [s for s in path.split("/") if s]
    write = method not in ("GET", "HEAD", "OPTIONS")
    if not segs:
        return []
    if path.startswith(_SCHEMA_PATHS):
        return [("crm.schemas.custom.read",)]
    if segs[0] == "conversations":
        return [("conversations.write",) if write else ("conversations.read",)]
    if segs[0] != "crm" or len(segs) < 3:
        return []
    family, rest = (segs[2], segs[3:]) if segs[1] in ("v3", "v4") else (segs[1], segs[3:])
    if family == "extensions":
        return []  # transcripts check their own scope
    if family == "owners":
        return [("crm.objects.owners.read",)]
    if family == "objects" and rest:
        action = rest[1] if len(rest) > 1 else ""
        if rest[0] == "contacts" and action == "gdpr-delete":
            return [_CONTACTS[1]]
        if len(rest) > 2 and rest[2] == "associations":  # v4 per-object associations
            types = [rest[0], rest[4] if rest[3] == "default" and len(rest) > 4 else rest[3]]
            return [r for r in (_object(t, write) for t in types) if r]
        reads = not write or action == "search" or rest[1:3] == ["batch", "read"]  # POSTs that only read
        found = _object(rest[0], not reads)
        return [found] if found else []
    if family == "associations" and len(rest) >= 2:
        reads = not write or rest[2:4] == ["batch", "read"]
        return [r for r in (_object(t, not reads) for t in rest[:2]) if r]
    if family == "properties" and rest:
        found = _object(rest[0], False)
        return [(*found, *_schema(rest[0]))] if found else []
    if family == "pipelines" and rest:
        found = _object(rest[0], False)
        return [found] if found else []
    return []


def missing_scopes(method: str, path: str, granted: frozenset[str] | set[str]) -> list[Requirement]:
    """The requirements of the request that `granted` meets none of."""
    return [req for req in dict.fromkeys(required_scopes(method, path)) if not granted.intersection(req)]


def missing_scopes_body(missing: list[Requirement], correlation_id: str) -> dict:
    """HubSpot's 403 body: one `errors` entry per unmet requirement, naming the scopes that would do."""
    return {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call. Read more about required "
                   "scopes here: https://developers.hubspot.com/scopes.",
        "correlationId": correlation_id,
        "errors": [{"message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": list(req)}} for req in missing],
        "links": {"scopes": "https://developers.hubspot.com/scopes"},
        "category": "MISSING_SCOPES",
    }


__all__ = ["missing_scopes", "missing_scopes_body", "required_scopes"]
