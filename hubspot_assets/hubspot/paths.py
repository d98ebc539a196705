"""Endpoint paths for each HubSpot API version family, so the rest of the client never spells a version.

`ClientSettings.api_version` picks the family:
- `"legacy"`: the numeric paths (`/crm/v3/objects/...`, `/crm/v4/associations/...`), supported by HubSpot until
  March 2027 (v4) and September 2027 (v1-v3).
- `"2026-03"`: the date-versioned paths (`/crm/objects/2026-03/...`); conversations threads and messages live
  under the 2026-09 family (`/conversations/conversations/2026-09/...`), as HubSpot published them.
Bodies and answers are the same in both families; only the paths differ.

Every method returns a pair `(path, template)`: the concrete path to call and its template with placeholders
(`/crm/v3/objects/{objectType}`), which the transport uses in logs, metrics and errors so that ids never
multiply the endpoint names.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

LEGACY = "legacy"
DATED = "2026-03"
VERSION_FAMILIES = (LEGACY, DATED)

Route = tuple[str, str]


def _seg(value: object) -> str:
    """One path segment, percent-encoded (ids and type names are plain, but never trust them to be)."""
    return quote(str(value), safe="")


def _route(template: str, **segments: object) -> Route:
    """`(path, template)`: the template with each `{name}` filled by its percent-encoded segment."""
    return template.format(**{name: _seg(value) for name, value in segments.items()}), template


@dataclass(frozen=True)
class _Family:
    objects: str  # "{objects}/{objectType}" is the CRM objects collection
    associations: str  # "{associations}/{from}/{to}/batch/read"
    object_associations: (
        str  # "{object_associations}/{type}/{id}/associations/{to}" (per-record v4 reads/writes)
    )
    properties: str
    schemas: str
    owners: str
    pipelines: str
    transcripts: str
    conversations: str
    webhooks: str
    usage: str


_FAMILIES = {
    LEGACY: _Family(
        objects="/crm/v3/objects",
        associations="/crm/v4/associations",
        object_associations="/crm/v4/objects",
        properties="/crm/v3/properties",
        schemas="/crm/v3/schemas",
        owners="/crm/v3/owners",
        pipelines="/crm/v3/pipelines",
        transcripts="/crm/v3/extensions/calling/transcripts",
        conversations="/conversations/v3/conversations",
        webhooks="/webhooks/v3",
        usage="/account-info/v3/api-usage/daily/private-apps",
    ),
    DATED: _Family(
        objects="/crm/objects/2026-03",
        associations="/crm/associations/2026-03",
        object_associations="/crm/objects/2026-03",
        properties="/crm/properties/2026-03",
        schemas="/crm-object-schemas/2026-03/schemas",  # as HubSpot documents it
        owners="/crm/owners/2026-03",
        pipelines="/crm/pipelines/2026-03",
        transcripts="/crm/extensions/calling/2026-03/transcripts",
        conversations="/conversations/conversations/2026-09",
        # HubSpot has published no dated webhooks-management path; both families use v3 there.
        webhooks="/webhooks/v3",
        usage="/account-info/2026-03/api-usage/daily/private-apps",
    ),
}


class ApiPaths:
    """Builds `(path, template)` pairs for one API version family (`"legacy"` or `"2026-03"`)."""

    def __init__(self, family: str = LEGACY) -> None:
        if family not in _FAMILIES:
            raise ValueError(
                f"unknown HubSpot API version family {family!r}; set HUBSPOT_API_VERSION to one of "
                f"{', '.join(VERSION_FAMILIES)}"
            )
        self.family = family
        self._f = _FAMILIES[family]

    def __repr__(self) -> str:
        return f"ApiPaths({self.family!r})"

    # -- CRM objects ---------------------------------------------------------------------------------------
    def objects(self, object_type: str) -> Route:
        return _route(f"{self._f.objects}/{{objectType}}", objectType=object_type)

    def object(self, object_type: str, object_id: str) -> Route:
        return _route(f"{self._f.objects}/{{objectType}}/{{objectId}}", objectType=object_type, objectId=object_id)

    def batch(self, object_type: str, action: str) -> Route:
        """`action` is read, create, update, upsert or archive."""
        return _route(f"{self._f.objects}/{{objectType}}/batch/{action}", objectType=object_type)

    def search(self, object_type: str) -> Route:
        return _route(f"{self._f.objects}/{{objectType}}/search", objectType=object_type)

    def merge(self, object_type: str) -> Route:
        return _route(f"{self._f.objects}/{{objectType}}/merge", objectType=object_type)

    def gdpr_delete(self) -> Route:
        return _route(f"{self._f.objects}/contacts/gdpr-delete")

    # -- associations v4 -----------------------------------------------------------------------------------
    def associations_batch(self, from_type: str, to_type: str, action: str) -> Route:
        """`action` is read, create, archive (v4 batch endpoints; outside the 10-second budget)."""
        return _route(
            f"{self._f.associations}/{{fromObjectType}}/{{toObjectType}}/batch/{action}",
            fromObjectType=from_type, toObjectType=to_type,
        )

    def association_labels(self, from_type: str, to_type: str) -> Route:
        return _route(
            f"{self._f.associations}/{{fromObjectType}}/{{toObjectType}}/labels",
            fromObjectType=from_type, toObjectType=to_type,
        )

    def object_associations(self, from_type: str, object_id: str, to_type: str) -> Route:
        """Per-record association list (`GET`, paged with `limit`/`after`)."""
        return _route(
            f"{self._f.object_associations}/{{objectType}}/{{objectId}}/associations/{{toObjectType}}",
            objectType=from_type, objectId=object_id, toObjectType=to_type,
        )

    def association_link(
        self, from_type: str, from_id: str, to_type: str, to_id: str, *, default: bool
    ) -> Route:
        """One link between two records: `PUT` creates (labelled, or HubSpot's default type), `DELETE`
        removes."""
        middle = "associations/default" if default else "associations"
        return _route(
            f"{self._f.object_associations}/{{objectType}}/{{objectId}}/{middle}/{{toObjectType}}/{{toObjectId}}",
            objectType=from_type, objectId=from_id, toObjectType=to_type, toObjectId=to_id,
        )

    # -- metadata ------------------------------------------------------------------------------------------
    def properties(self, object_type: str) -> Route:
        return _route(f"{self._f.properties}/{{objectType}}", objectType=object_type)

    def schemas(self) -> Route:
        return _route(self._f.schemas)

    def owners(self) -> Route:
        return _route(self._f.owners)

    def pipelines(self, object_type: str) -> Route:
        return _route(f"{self._f.pipelines}/{{objectType}}", objectType=object_type)

    # -- engagements extras --------------------------------------------------------------------------------
    def transcript(self, transcript_id: str) -> Route:
        return _route(f"{self._f.transcripts}/{{transcriptId}}", transcriptId=transcript_id)

    # -- conversations -------------------------------------------------------------------------------------
    def conversations(self, collection: str) -> Route:
        """`collection` is inboxes, channels, channel-accounts or threads."""
        return _route(f"{self._f.conversations}/{collection}")

    def thread(self, thread_id: str) -> Route:
        return _route(f"{self._f.conversations}/threads/{{threadId}}", threadId=thread_id)

    def thread_messages(self, thread_id: str) -> Route:
        return _route(f"{self._f.conversations}/threads/{{threadId}}/messages", threadId=thread_id)

    # -- webhooks management (developer API key) and usage -------------------------------------------------
    def webhook_settings(self, app_id: int | str) -> Route:
        return _route(f"{self._f.webhooks}/{{appId}}/settings", appId=app_id)

    def webhook_subscriptions(self, app_id: int | str, subscription_id: int | str | None = None) -> Route:
        if subscription_id is None:
            return _route(f"{self._f.webhooks}/{{appId}}/subscriptions", appId=app_id)
        return _route(
            f"{self._f.webhooks}/{{appId}}/subscriptions/{{subscriptionId}}",
            appId=app_id, subscriptionId=subscription_id,
        )

    def webhook_subscriptions_batch_update(self, app_id: int | str) -> Route:
        return _route(f"{self._f.webhooks}/{{appId}}/subscriptions/batch/update", appId=app_id)

    def api_usage(self) -> Route:
        return _route(self._f.usage)
