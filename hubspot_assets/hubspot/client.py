"""`HubSpotClient`: the whole HubSpot API surface this project uses, behind one object.

    client = HubSpotClient.from_settings(load_settings())
    for page in client.list_records("contacts", [p.name for p in client.properties("contacts")]):
        ...

One client per process is enough (it is thread-safe through its transport, which pools connections and shares
the rate budget with every other process using the same credentials). Record-shaped data comes back as plain
dicts in HubSpot's shape (`id`, `properties`, `createdAt`, `updatedAt`, `archived`, ...); metadata as pydantic
models from `models.py`. Every call may raise the typed errors of `errors.py`; partial batch failures (207)
are returned in `BatchResult`, not raised. `ClientSettings.api_version` picks the legacy (v3/v4) or dated (2026-03)
paths.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hubspot_assets.hubspot.associations import AssociationsApi, LinkRow
from hubspot_assets.hubspot.conversations import ConversationsApi
from hubspot_assets.hubspot.crm import MAX_URL_LENGTH, CrmApi
from hubspot_assets.hubspot.models import (
    Association,
    BatchError,
    BatchResult,
    ObjectType,
    Property,
)
from hubspot_assets.hubspot.owners import OwnersApi
from hubspot_assets.hubspot.paths import ApiPaths
from hubspot_assets.hubspot.pipelines import PipelinesApi
from hubspot_assets.hubspot.properties import PropertiesApi
from hubspot_assets.hubspot.record_pages import RecordPage
from hubspot_assets.hubspot.search import SEARCH_CAP, SearchApi
from hubspot_assets.hubspot.transcripts import TranscriptsApi
from hubspot_assets.hubspot.transport import Transport
from hubspot_assets.hubspot.usage import UsageApi
from hubspot_assets.hubspot.webhooks_api import DeveloperKey, WebhooksApi
from hubspot_assets.hubspot.settings import ClientSettings

Record = dict[str, Any]


class HubSpotClient:
    """The HubSpot API for one account. Build with `HubSpotClient.from_settings(settings)`, or pass a ready
    `transport` (tests, shared transports). `max_url_length` caps GET URLs (see `crm.py` on 414 avoidance);
    `search_cap` is HubSpot's 10,000-result search cap (a lower value only makes searches restart sooner)."""

    def __init__(
        self,
        settings: ClientSettings | None = None,
        *,
        transport: Transport | None = None,
        max_url_length: int = MAX_URL_LENGTH,
        search_cap: int = SEARCH_CAP,
    ) -> None:
        if settings is None:
            settings = transport.settings if transport is not None else ClientSettings()
        self.settings = settings
        self.transport = transport if transport is not None else Transport(settings)
        self.paths = ApiPaths(settings.api_version)
        self._crm = CrmApi(self.transport, self.paths, settings.base_url, max_url_length=max_url_length)
        self._search = SearchApi(self.transport, self.paths, search_cap=search_cap)
        self._associations = AssociationsApi(self.transport, self.paths)
        self._properties = PropertiesApi(self.transport, self.paths)
        self._owners = OwnersApi(self.transport, self.paths)
        self._pipelines = PipelinesApi(self.transport, self.paths)
        self._conversations = ConversationsApi(self.transport, self.paths)
        self._transcripts = TranscriptsApi(self.transport, self.paths)
        self._webhooks = WebhooksApi(self.transport, self.paths)
        self._usage = UsageApi(self.transport, self.paths)

    @classmethod
    def from_settings(cls, settings: ClientSettings) -> HubSpotClient:
        """A client with its own transport (auth, rate limits, retries, breaker) built from settings."""
        return cls(settings)

    def close(self) -> None:
        """Close pooled connections."""
        self.transport.close()

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.settings.base_url!r}, api_version={self.paths.family!r})"

    # -- metadata --------------------------------------------------------------------------------------------
    def object_types(self) -> list[ObjectType]:
        """Standard object types and the portal's custom ones (`/crm/v3/schemas`). For custom types use
        `object_type_id` (or `.path_name`) in the other calls."""
        return self._properties.object_types()

    def properties(self, object_type: str, *, archived: bool = False) -> list[Property]:
        """Every property of a type: name, label, type, field_type, group_name, options (value -> label via
        `.labels`), calculated, hubspot_defined, archived. One request, no paging."""
        return self._properties.properties(object_type, archived=archived)

    def schemas(self) -> list[dict[str, Any]]:
        """Custom object schemas as HubSpot returns them."""
        return self._properties.schemas()

    def owners(self, archived: bool = False, *, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every owner (only archived ones with `archived=True`), paged lazily (at most 100 a page)."""
        return self._owners.owners(archived=archived, page_size=page_size)

    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """Pipelines of a type (deals, tickets) with their stages."""
        return self._pipelines.pipelines(object_type)

    # -- records ---------------------------------------------------------------------------------------------
    def list_records(
        self,
        object_type: str,
        properties: Sequence[str] | None = None,
        *,
        archived: bool = False,
        associations: Sequence[str] = (),
        properties_with_history: Sequence[str] = (),
        page_size: int = 100,
    ) -> Iterator[list[Record]]:
        """Every record of a type, one list per page, lazily; any number of properties without a 414.
        `archived=True` lists only archived records. See `CrmApi.list_records`."""
        return self._crm.list_records(
            object_type,
            properties,
            archived=archived,
            associations=associations,
            properties_with_history=properties_with_history,
            page_size=page_size,
        )

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
    ) -> Record:
        """One record; raises `NotFoundError` when absent. Any number of properties."""
        return self._crm.get_record(
            object_type,
            object_id,
            properties,
            properties_with_history=properties_with_history,
            associations=associations,
            archived=archived,
            id_property=id_property,
        )

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
        """Many records by id, 100 per request; `.results`, plus `.missing` ids and `.errors` (not raised)."""
        return self._crm.read_records(
            object_type,
            ids,
            properties,
            properties_with_history=properties_with_history,
            id_property=id_property,
            archived=archived,
        )

    def read_record_page(
        self, object_type: str, ids: Sequence[str | int], properties: Sequence[str], *, archived: bool = False
    ) -> RecordPage:
        """At most 100 records by id as an Arrow `RecordPage`, parsed outside the interpreter's lock: the bulk form
        of `read_records` (ids HubSpot cannot find are left out)."""
        return self._crm.read_record_page(object_type, ids, properties, archived=archived)

    def search_records(
        self,
        object_type: str,
        *,
        filter_groups: Sequence[Any] = (),
        sorts: Sequence[Any] = (),
        query: str | None = None,
        properties: Sequence[str] | None = None,
        page_size: int = 200,
    ) -> Iterator[list[Record]]:
        """Search, one list per page, lazily; continues past 10,000 results by restarting on hs_object_id.
        Spends the search budget (5/s). See `SearchApi.search_records` for the rules on sorts and filters."""
        return self._search.search_records(
            object_type,
            filter_groups=filter_groups,
            sorts=sorts,
            query=query,
            properties=properties,
            page_size=page_size,
        )

    def search_page(self, object_type: str, body: Mapping[str, Any]) -> tuple[list[Record], int | None, str | None]:
        """One search request with HubSpot's own body (`filterGroups`, `sorts`, `properties`, `limit`, `after`):
        (records, `total` matching, next `after` or None). Spends the search budget (5/s); no restart past
        10,000 results (use `search_records` for that)."""
        return self._search.search_page(object_type, body)

    def search_record_page(self, object_type: str, body: Mapping[str, Any]) -> tuple[RecordPage, int | None, str | None]:
        """`search_page` with the records as an Arrow `RecordPage`, parsed outside the interpreter's lock: for bulk
        reads of many properties."""
        return self._search.search_record_page(object_type, body)

    def modified_since(
        self,
        object_type: str,
        since_ms: int,
        properties: Sequence[str] | None = None,
        *,
        until_ms: int | None = None,
    ) -> Iterator[list[Record]]:
        """Records modified at or after `since_ms` (and before `until_ms`), via search on the last-modified
        property, past 10,000 results. Search lags and hides archived records: keep a look-back overlap."""
        return self._search.modified_since(object_type, since_ms, properties, until_ms=until_ms)

    def create_record(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        *,
        associations: Sequence[Mapping[str, Any]] = (),
    ) -> Record:
        """Create one record."""
        return self._crm.create_record(object_type, properties, associations=associations)

    def update_record(
        self,
        object_type: str,
        object_id: str | int,
        properties: Mapping[str, Any],
        *,
        id_property: str | None = None,
    ) -> Record:
        """Update one record ("" clears a value)."""
        return self._crm.update_record(object_type, object_id, properties, id_property=id_property)

    def archive_record(self, object_type: str, object_id: str | int) -> None:
        """Archive one record (restorable for 90 days)."""
        self._crm.archive_record(object_type, object_id)

    # Short names, as HubSpot's own clients call them.
    create = create_record
    update = update_record
    archive = archive_record

    def batch_create(self, object_type: str, inputs: Sequence[Mapping[str, Any]]) -> BatchResult:
        """Create many, 100 per request; per-record failures in `.errors`."""
        return self._crm.batch_create(object_type, inputs)

    def batch_update(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]], *, id_property: str | None = None
    ) -> BatchResult:
        """Update many (`{"id", "properties"}` each), 100 per request; per-record failures in `.errors`."""
        return self._crm.batch_update(object_type, inputs, id_property=id_property)

    def batch_upsert(
        self, object_type: str, inputs: Sequence[Mapping[str, Any]], *, id_property: str
    ) -> BatchResult:
        """Create or update by a unique property, 100 per request; results carry `new`."""
        return self._crm.batch_upsert(object_type, inputs, id_property=id_property)

    def batch_archive(self, object_type: str, ids: Sequence[str | int]) -> BatchResult:
        """Archive many, 100 per request."""
        return self._crm.batch_archive(object_type, ids)

    def merge(self, object_type: str, primary_id: str | int, id_to_merge: str | int) -> Record:
        """Merge two records of a type; returns the surviving record."""
        return self._crm.merge(object_type, primary_id, id_to_merge)

    def gdpr_delete(self, object_id: str | int, *, id_property: str | None = None) -> None:
        """Permanently delete a contact (GDPR)."""
        self._crm.gdpr_delete(object_id, id_property=id_property)

    # -- associations v4
    # ---------------------------------------------------------------------------------------
    def associations(
        self,
        from_type: str,
        to_type: str,
        ids: Sequence[str | int],
        *,
        errors: list[BatchError] | None = None,
    ) -> Iterator[Association]:
        """Every link from `ids` to `to_type`, one `Association` per (pair, label), lazily; 1,000 ids per
        request with per-input paging; ids without links yield nothing. Other per-id errors are logged and
        appended to `errors` (if given), and readable in `association_errors` after iteration."""
        return self._associations.associations(from_type, to_type, ids, errors=errors)

    def association_links(
        self,
        from_type: str,
        to_type: str,
        ids: Sequence[str | int],
        *,
        errors: list[BatchError] | None = None,
    ) -> Iterator[LinkRow]:
        """What `associations` reads, as `LinkRow` tuples of plain values (ids as ints), for bulk loads: no
        model per link."""
        return self._associations.link_rows(from_type, to_type, ids, errors=errors)

    @property
    def association_errors(self) -> list[BatchError]:
        """Per-id errors (other than "no associations") from the last `associations` call."""
        return list(self._associations.last_errors)

    def record_associations(self, from_type: str, from_id: str | int, to_type: str) -> list[Association]:
        """Every link of one record to `to_type`."""
        return self._associations.record_associations(from_type, from_id, to_type)

    def association_labels(self, from_type: str, to_type: str) -> list[dict[str, Any]]:
        """Association types (labels) between two object types: `{"category", "typeId", "label"}` each
        (`AssociationLabel.model_validate` gives attributes)."""
        return self._associations.labels(from_type, to_type)

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
        """Link two records (with a type/label id, or HubSpot's default type when `type_id` is None)."""
        self._associations.associate(from_type, from_id, to_type, to_id, type_id=type_id, category=category)

    def unassociate(self, from_type: str, from_id: str | int, to_type: str, to_id: str | int) -> None:
        """Remove every link between two records."""
        self._associations.unassociate(from_type, from_id, to_type, to_id)

    def batch_associate(
        self,
        from_type: str,
        to_type: str,
        pairs: Sequence[tuple[str | int, str | int]],
        *,
        type_id: int,
        category: str = "HUBSPOT_DEFINED",
    ) -> list[BatchError]:
        """Link many pairs under one type; returns per-pair errors."""
        return self._associations.batch_associate(
            from_type, to_type, pairs, type_id=type_id, category=category
        )

    # -- conversations & transcripts -------------------------------------------------------------------------
    def inboxes(self) -> Iterator[dict[str, Any]]:
        return self._conversations.inboxes()

    def channels(self) -> Iterator[dict[str, Any]]:
        return self._conversations.channels()

    def channel_accounts(self) -> Iterator[dict[str, Any]]:
        return self._conversations.channel_accounts()

    def threads(
        self,
        *,
        latest_message_after_ms: int | None = None,
        archived: bool = False,
        inbox_id: str | int | None = None,
        associated_contact_id: str | int | None = None,
        page_size: int = 500,
    ) -> Iterator[list[dict[str, Any]]]:
        """Threads, one list per page (at most 500); incremental with `latest_message_after_ms` (only threads
        whose latest message is after it, sorted by latestMessageTimestamp ascending)."""
        return self._conversations.threads(
            latest_message_after_ms=latest_message_after_ms,
            archived=archived,
            inbox_id=inbox_id,
            associated_contact_id=associated_contact_id,
            page_size=page_size,
        )

    def messages(self, thread_id: str | int, *, page_size: int = 100) -> Iterator[list[dict[str, Any]]]:
        """Every entry of a thread (messages, comments, status changes...), one list per page."""
        return self._conversations.messages(thread_id, page_size=page_size)

    def transcript(self, transcript_id: str | int) -> dict[str, Any]:
        """A call transcript; raises `MissingScopesError` (naming the scope) without OAuth transcript
        access."""
        return self._transcripts.transcript(transcript_id)

    # -- webhooks management & usage -------------------------------------------------------------------------
    def webhook_settings(self, app_id: int | str, developer_api_key: DeveloperKey) -> dict[str, Any]:
        return self._webhooks.webhook_settings(app_id, developer_api_key)

    def update_webhook_settings(
        self,
        app_id: int | str,
        developer_api_key: DeveloperKey,
        target_url: str,
        *,
        max_concurrent_requests: int = 10,
    ) -> dict[str, Any]:
        return self._webhooks.update_webhook_settings(
            app_id, developer_api_key, target_url, max_concurrent_requests=max_concurrent_requests
        )

    def delete_webhook_settings(self, app_id: int | str, developer_api_key: DeveloperKey) -> None:
        self._webhooks.delete_webhook_settings(app_id, developer_api_key)

    def webhook_subscriptions(
        self, app_id: int | str, developer_api_key: DeveloperKey
    ) -> list[dict[str, Any]]:
        return self._webhooks.webhook_subscriptions(app_id, developer_api_key)

    def webhook_subscription(
        self, app_id: int | str, developer_api_key: DeveloperKey, subscription_id: int | str
    ) -> dict[str, Any]:
        return self._webhooks.webhook_subscription(app_id, developer_api_key, subscription_id)

    def create_webhook_subscription(
        self,
        app_id: int | str,
        developer_api_key: DeveloperKey,
        event_type: str,
        *,
        property_name: str | None = None,
        active: bool = True,
    ) -> dict[str, Any]:
        return self._webhooks.create_webhook_subscription(
            app_id, developer_api_key, event_type, property_name=property_name, active=active
        )

    def update_webhook_subscription(
        self, app_id: int | str, developer_api_key: DeveloperKey, subscription_id: int | str, *, active: bool
    ) -> dict[str, Any]:
        return self._webhooks.update_webhook_subscription(
            app_id, developer_api_key, subscription_id, active=active
        )

    def delete_webhook_subscription(
        self, app_id: int | str, developer_api_key: DeveloperKey, subscription_id: int | str
    ) -> None:
        self._webhooks.delete_webhook_subscription(app_id, developer_api_key, subscription_id)

    def batch_update_webhook_subscriptions(
        self, app_id: int | str, developer_api_key: DeveloperKey, updates: Sequence[tuple[int | str, bool]]
    ) -> list[dict[str, Any]]:
        return self._webhooks.batch_update_webhook_subscriptions(app_id, developer_api_key, updates)

    def api_usage(self) -> list[dict[str, Any]]:
        """The account's daily API usage entries."""
        return self._usage.api_usage()
