"""Endpoint paths for each HubSpot API version family, so the rest of the client never spells a version.

`Settings.api_version` picks the family:
- `"legacy"`: the numeric paths (`/crm/v3/objects/...`, `/crm/v4/associations/...`), supported by HubSpot
until
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

    # -- CRM objects
    # -------------------------------------------------------------------------------------------
    def objects(self, object_type: str) -> Route:
        base = self._f.objects
        return f"{base}/{_seg(object_type)}", f"{base}/{{objectType}}"

    def object(self, object_type: str, object_id: str) -> Route:
        base = self._f.objects
        return f"{base}/{_seg(object_type)}/{_seg(object_id)}", f"{base}/{{objectType}}/{{objectId}}"

    def batch(self, object_type: str, action: str) -> Route:
        """`action` is read, create, update, upsert or archive."""
        base = self._f.objects
        return f"{base}/{_seg(object_type)}/batch/{action}", f"{base}/{{objectType}}/batch/{action}"

    def search(self, object_type: str) -> Route:
        base = self._f.objects
        return f"{base}/{_seg(object_type)}/search", f"{base}/{{objectType}}/search"

    def merge(self, object_type: str) -> Route:
        base = self._f.objects
        return f"{base}/{_seg(object_type)}/merge", f"{base}/{{objectType}}/merge"

    def gdpr_delete(self) -> Route:
        path = f"{self._f.objects}/contacts/gdpr-delete"
        return path, path

    # -- associations v4
    # ---------------------------------------------------------------------------------------
    def associations_batch(self, from_type: str, to_type: str, action: str) -> Route:
        """`action` is read, create, archive (v4 batch endpoints; outside the 10-second budget)."""
        base = self._f.associations
        return (
            f"{base}/{_seg(from_type)}/{_seg(to_type)}/batch/{action}",
            f"{base}/{{fromObjectType}}/{{toObjectType}}/batch/{action}",
        )

    def association_labels(self, from_type: str, to_type: str) -> Route:
        base = self._f.associations
        return (
            f"{base}/{_seg(from_type)}/{_seg(to_type)}/labels",
            f"{base}/{{fromObjectType}}/{{toObjectType}}/labels",
        )

    def object_associations(self, from_type: str, object_id: str, to_type: str) -> Route:
        """Per-record association list (`GET`, paged with `limit`/`after`)."""
        base = self._f.object_associations
        return (
            f"{base}/{_seg(from_type)}/{_seg(object_id)}/associations/{_seg(to_type)}",
            f"{base}/{{objectType}}/{{objectId}}/associations/{{toObjectType}}",
        )

    def association_link(
        self, from_type: str, from_id: str, to_type: str, to_id: str, *, default: bool
    ) -> Route:
        """One link between two records: `PUT` creates (labelled, or HubSpot's default type), `DELETE`
        removes."""
        base = self._f.object_associations
        middle = "associations/default" if default else "associations"
        return (
            f"{base}/{_seg(from_type)}/{_seg(from_id)}/{middle}/{_seg(to_type)}/{_seg(to_id)}",
            f"{base}/{{objectType}}/{{objectId}}/{middle}/{{toObjectType}}/{{toObjectId}}",
        )

    # -- metadata --------------------------------------------------------------------------------------------
    def properties(self, object_type: str) -> Route:
        base = self._f.properties
        return f"{base}/{_seg(object_type)}", f"{base}/{{objectType}}"

    def schemas(self) -> Route:
        return self._f.schemas, self._f.schemas

    def owners(self) -> Route:
        return self._f.owners, self._f.owners

    def pipelines(self, object_type: str) -> Route:
        base = self._f.pipelines
        return f"{base}/{_seg(object_type)}", f"{base}/{{objectType}}"

    # -- engagements extras ----------------------------------------------------------------------------------
    def transcript(self, transcript_id: str) -> Route:
        base = self._f.transcripts
        return f"{base}/{_seg(transcript_id)}", f"{base}/{{transcriptId}}"

    # -- conversations ---------------------------------------------------------------------------------------
    def conversations(self, collection: str) -> Route:
        """`collection` is inboxes, channels, channel-accounts or threads."""
        path = f"{self._f.conversations}/{collection}"
        return path, path

    def thread_messages(self, thread_id: str) -> Route:
        base = self._f.conversations
        return f"{base}/threads/{_seg(thread_id)}/messages", f"{base}/threads/{{threadId}}/messages"

    # -- webhooks management (developer API key) and usage
    # ----------------------------------------------------
    def webhook_settings(self, app_id: int | str) -> Route:
        base = self._f.webhooks
        return f"{base}/{_seg(app_id)}/settings", f"{base}/{{appId}}/settings"

    def webhook_subscriptions(self, app_id: int | str, subscription_id: int | str | None = None) -> Route:
        base = self._f.webhooks
        if subscription_id is None:
            return f"{base}/{_seg(app_id)}/subscriptions", f"{base}/{{appId}}/subscriptions"
        return (
            f"{base}/{_seg(app_id)}/subscriptions/{_seg(subscription_id)}",
            f"{base}/{{appId}}/subscriptions/{{subscriptionId}}",
        )

    def webhook_subscriptions_batch_update(self, app_id: int | str) -> Route:
        base = self._f.webhooks
        return (
            f"{base}/{_seg(app_id)}/subscriptions/batch/update",
            f"{base}/{{appId}}/subscriptions/batch/update",
        )

    def api_usage(self) -> Route:
        return self._f.usage, self._f.usage
